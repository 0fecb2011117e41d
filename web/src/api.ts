import type { Param } from './query.js';

/**
 * The viewer's client of Trailkeep's public API: the same routes and credentials as any other
 * client, with `Authorization: Bearer`. Errors come in the native envelope
 * (`{"error":{"code","message"},"request_id"}`) and become ApiError.
 */

/** A stored event as the API returns it (event-model.md §2); the viewer reads these members. */
export interface StoredEvent {
  id: string;
  tenant: string;
  seq: number;
  hash: string;
  occurred_at: string;
  received_at: string;
  action: string;
  category?: string;
  outcome?: string;
  level?: string;
  service?: string;
  description?: string;
  actor?: Record<string, unknown> & { id?: string; name?: string; email?: string; type?: string };
  target?: Record<string, unknown> & { type?: string; id?: string; name?: string };
  source?: Record<string, unknown> & { ip?: string[]; user_agent?: string };
  client?: Record<string, unknown>;
  changes?: { field: string; old?: string[]; new?: string[] }[];
  context?: Record<string, string>;
  [member: string]: unknown;
}

export interface Page {
  data: StoredEvent[];
  next_cursor: string | null;
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ExportJob {
  id: string;
  state: JobState;
  rows: number | null;
  bytes: number | null;
  error: string | null;
  format: 'csv' | 'ndjson';
  download_url: string | null;
}

export interface LogKey {
  verifier_key: string;
  origin: string;
}

export interface Inclusion {
  leaf_index: number;
  tree_size: number;
  hashes: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The credential is no longer accepted (expired, revoked, or never valid). */
  get expired(): boolean {
    return this.status === 401;
  }
}

/** The error of a failed answer, from its envelope when it has one. */
export async function errorOf(res: Response): Promise<ApiError> {
  let code = 'http_error';
  let message = `The server answered ${res.status} ${res.statusText}`.trim();
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not the envelope (a proxy's page): the status says it.
  }
  return new ApiError(res.status, code, message);
}

export const query = (params: readonly Param[]): string => {
  const p = new URLSearchParams();
  for (const [name, value] of params) p.append(name, value);
  const text = p.toString();
  return text === '' ? '' : `?${text}`;
};

export class Api {
  /** `server` is the Trailkeep base URL (its API at `<server>/v1/…`). */
  constructor(
    readonly server: string,
    private readonly token: string,
  ) {}

  url(path: string): string {
    return `${this.server.replace(/\/+$/, '')}${path}`;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.token}`, ...extra };
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(this.url(path), {
      ...init,
      headers: this.headers(init.headers as Record<string, string> | undefined),
    });
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }

  list(
    params: readonly Param[],
    options: { order: 'desc' | 'asc'; limit: number; cursor?: string | null; signal?: AbortSignal },
  ): Promise<Page> {
    const paging: Param[] = options.cursor
      ? [['cursor', options.cursor]]
      : [['order', options.order], ...params];
    return this.json<Page>(`/v1/events${query([...paging, ['limit', String(options.limit)]])}`, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  event(idOrSeq: string | number): Promise<StoredEvent> {
    return this.json<StoredEvent>(`/v1/events/${encodeURIComponent(String(idOrSeq))}`);
  }

  logKey(): Promise<LogKey> {
    return this.json<LogKey>('/v1/log/key');
  }

  /** The latest signed checkpoint, or null before the log's first. */
  async checkpoint(): Promise<string | null> {
    try {
      return await (await this.request('/v1/log/checkpoint')).text();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  inclusion(seq: number, treeSize: number): Promise<Inclusion> {
    return this.json<Inclusion>(`/v1/log/inclusion?seq=${seq}&tree_size=${treeSize}`);
  }

  startExport(format: 'csv' | 'ndjson', filters: Record<string, string | string[]>): Promise<ExportJob> {
    return this.json<ExportJob>('/v1/exports', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ format, filters }),
    });
  }

  exportJob(id: string): Promise<ExportJob> {
    return this.json<ExportJob>(`/v1/exports/${encodeURIComponent(id)}`);
  }

  /**
   * A finished export's file, read with the credential (the download route needs it), reporting
   * bytes read against the file's length as it goes.
   */
  async download(job: ExportJob, onBytes: (done: number, total: number | null) => void): Promise<Blob> {
    const res = await this.request(`/v1/exports/${encodeURIComponent(job.id)}/download`);
    const total = Number(res.headers.get('content-length')) || job.bytes || null;
    const type = res.headers.get('content-type') ?? 'application/octet-stream';
    if (!res.body) return new Blob([await res.arrayBuffer()], { type });
    const parts: Uint8Array[] = [];
    let done = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      parts.push(value);
      done += value.byteLength;
      onBytes(done, total);
    }
    return new Blob(parts as unknown as ConstructorParameters<typeof Blob>[0], { type });
  }
}
