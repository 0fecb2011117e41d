import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Credential } from '../../core/credentials.js';
import type { FilterParams } from '../../core/filters.js';
import type { Tenant } from '../../core/tenant.js';
import type { ExportFormat } from '../../services/exports/writer.js';
import { CliError, write } from '../context.js';
import { HttpClient } from './http.js';
import type { Backend, EventPage, ExportProgress, IngestBatch, IngestOutcome } from './types.js';

/** Filters as the list endpoint takes them: a repeated parameter ORs its values. */
export function filterQuery(filters: FilterParams): URLSearchParams {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) q.append(name, String(v));
  }
  return q;
}

/** A tenant's keys, or with tenant null the operator keys. */
const keysPath = (tenant: string | null): string =>
  tenant === null ? '/v1/keys' : `/v1/tenants/${encodeURIComponent(tenant)}/keys`;

interface ExportJob {
  id: string;
  state: string;
  rows?: number | null;
  error?: string | null;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * The same operations over the native HTTP API. A tenant-bound credential decides the tenant;
 * an operator key acts on `tenant` (sent as Trailkeep-Tenant) or on the tenants events name.
 */
export class RemoteBackend implements Backend {
  private readonly http: HttpClient;
  readonly where: string;

  constructor(url: string, token: string | undefined, tenant?: string) {
    this.http = new HttpClient(url, token, tenant === undefined ? {} : { 'trailkeep-tenant': tenant });
    this.where = this.http.base.origin;
  }

  async createTenant(id: string, name?: string): Promise<Tenant> {
    return this.http.json('POST', '/v1/tenants', { json: name === undefined ? { id } : { id, name } });
  }

  async listTenants(): Promise<Tenant[]> {
    return (await this.http.json<{ data: Tenant[] }>('GET', '/v1/tenants')).data;
  }

  async createKey(tenant: string | null, name: string, scopes: string[]) {
    const { secret, ...key } = await this.http.json<Credential & { secret: string }>(
      'POST',
      keysPath(tenant),
      {
        json: { name, scopes },
      },
    );
    return { key, secret };
  }

  async listKeys(tenant: string | null): Promise<Credential[]> {
    return (await this.http.json<{ data: Credential[] }>('GET', keysPath(tenant))).data;
  }

  async revokeKey(tenant: string | null, id: string): Promise<void> {
    await this.http.request('DELETE', `${keysPath(tenant)}/${encodeURIComponent(id)}`);
  }

  async ingest(batch: IngestBatch): Promise<IngestOutcome> {
    // One event per line, blank lines already dropped: line i of the body is event i of the batch.
    const reply = await this.http.json<IngestOutcome>('POST', '/v1/events', {
      body: `${batch.texts.join('\n')}\n`,
      contentType: 'application/x-ndjson',
    });
    return { accepted: reply.accepted, duplicates: reply.duplicates };
  }

  async page(
    filters: FilterParams,
    req: { order?: 'asc' | 'desc'; limit: number; cursor?: string },
  ): Promise<EventPage> {
    const query = filterQuery(filters);
    query.set('limit', String(req.limit));
    // A cursor carries its order; the server refuses a second one.
    if (req.cursor !== undefined) query.set('cursor', req.cursor);
    else if (req.order !== undefined) query.set('order', req.order);
    const page = await this.http.json<{ data: unknown[]; next_cursor: string | null }>('GET', '/v1/events', {
      query,
    });
    return { events: page.data.map((e) => JSON.stringify(e)), nextCursor: page.next_cursor };
  }

  async count(filters: FilterParams): Promise<number> {
    return (
      await this.http.json<{ count: number }>('GET', '/v1/events/count', { query: filterQuery(filters) })
    ).count;
  }

  /** Runs an export job on the server, waits for it, then streams its file into `out`. */
  async exportTo(
    filters: FilterParams,
    format: ExportFormat,
    out: Writable,
    onProgress: (p: ExportProgress) => void,
    { proofs = false } = {},
  ): Promise<number | null> {
    const json = { format, filters, ...(proofs ? { proofs } : {}) };
    let job = await this.http.json<ExportJob>('POST', '/v1/exports', { json });
    let delay = 200;
    while (!TERMINAL.has(job.state)) {
      onProgress({ phase: job.state, done: 0, unit: 'events' });
      await sleep(delay);
      delay = Math.min(delay * 1.5, 2000);
      job = await this.http.json<ExportJob>('GET', `/v1/exports/${encodeURIComponent(job.id)}`);
    }
    if (job.state !== 'succeeded') {
      throw new CliError(`Export ${job.id} ${job.state}${job.error ? `: ${job.error}` : '.'}`);
    }
    // The file is fetched from the server the user named, with the credential, by the contract's
    // path: `download_url` is built from the Host header the server saw, which a proxy may change.
    const res = await this.http.request('GET', `/v1/exports/${encodeURIComponent(job.id)}/download`);
    const length = Number(res.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : undefined;
    let done = 0;
    onProgress({ phase: 'downloading', done, unit: 'bytes', ...(total ? { total } : {}) });
    if (res.body) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        await write(out, chunk);
        done += chunk.byteLength;
        onProgress({ phase: 'downloading', done, unit: 'bytes', ...(total ? { total } : {}) });
      }
    }
    return typeof job.rows === 'number' ? job.rows : null;
  }

  async close(): Promise<void> {}
}
