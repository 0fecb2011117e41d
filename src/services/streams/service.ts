import { randomBytes } from 'node:crypto';
import { invalidParameter, TrailkeepError } from '../../core/errors.js';
import { toEventFilter } from '../../core/filters.js';
import { type StreamAction, type StreamActor, streamEvent } from '../../core/streams/events.js';
import { checkPiiRules } from '../../core/streams/pii.js';
import {
  type BatchLimits,
  DEFAULT_BATCH,
  type DeliveryState,
  type StreamRecord,
} from '../../core/streams/stream.js';
import type { DeliveryFilter, EventStore, StreamChanges, StreamLag, StreamStore } from '../../store/types.js';
import type { EventService } from '../events.js';
import { BatchReader } from './batches.js';
import { DESTINATIONS } from './destinations/index.js';
import type { SafeNet } from './net.js';
import type { OpenDestinations } from './open.js';
import type { CreateStream, StreamView, UpdateStream } from './schema.js';
import type { StreamSecrets } from './secrets.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The destination settings a request gives, split into what is stored plainly and the secrets that are sealed. */
function splitSecrets(destination: CreateStream['destination']) {
  const module = DESTINATIONS[destination.type];
  if (!module)
    throw new TrailkeepError('invalid_request', `Destination type ${destination.type} is not available.`);
  const plain: Record<string, unknown> = {};
  const secret: Record<string, string> = {};
  for (const [k, v] of Object.entries(destination)) {
    if ((module.secrets as readonly string[]).includes(k)) secret[k] = String(v);
    else plain[k] = v;
  }
  return { module, plain: plain as StreamRecord['destination'], secret };
}

/**
 * Streams to SIEMs (docs/streams.md), as their admins manage them. Every change is recorded as
 * an event of the tenant before it is answered, by the credential that asked.
 */
export class StreamService {
  private readonly reader: BatchReader;

  constructor(
    private readonly streams: StreamStore,
    private readonly events: Pick<EventStore, 'lastSeq' | 'window'>,
    private readonly ingest: Pick<EventService, 'ingest'>,
    private readonly secrets: StreamSecrets,
    private readonly destinations: OpenDestinations,
    private readonly net: SafeNet,
    private readonly clock: () => number = Date.now,
  ) {
    this.reader = new BatchReader(events, (s) => destinations.piiKeyOf(s));
  }

  /** Records what happened to a stream as an event of its tenant; resolves once committed. */
  async record(
    stream: Pick<StreamRecord, 'tenant' | 'id' | 'name' | 'destination'>,
    action: StreamAction,
    actor: StreamActor,
    details: Record<string, string | number | null> = {},
  ): Promise<void> {
    await this.ingest.ingest(
      stream.tenant,
      [streamEvent(action, stream, actor, this.clock(), details)],
      () => '$',
    );
  }

  async create(tenant: string, body: CreateStream, actor: StreamActor): Promise<StreamView> {
    const now = this.clock();
    const id = `str_${randomBytes(10).toString('hex')}`;
    const { module, plain, secret } = splitSecrets(body.destination);
    module.validate?.(body.destination as never, this.net);
    const filters = body.filters ?? {};
    toEventFilter(filters);
    const pii = body.pii?.rules ?? [];
    checkPiiRules(pii);
    if (pii.some((r) => r.action === 'hmac'))
      secret.pii_hmac_key = body.pii?.hmac_key ?? randomBytes(32).toString('base64url');
    const stream: StreamRecord = {
      id,
      tenant,
      name: body.name,
      destination: plain,
      secrets: Object.keys(secret).length ? this.secrets.seal(secret, tenant, id) : null,
      format: body.format ?? 'native',
      filters,
      batch: this.limits(module.limits, body.batch),
      pii,
      state: 'active',
      cursor: await this.startCursor(tenant, body.start ?? 'now'),
      replay: null,
      created_at: now,
      updated_at: now,
      last_error: null,
      last_error_at: null,
      last_delivered_at: null,
      next_attempt_at: 0,
      lease_owner: null,
      lease_until: null,
    };
    await this.record(stream, 'create', actor, { format: stream.format, start_after_seq: stream.cursor });
    await this.streams.create(stream);
    return this.shown(stream);
  }

  async list(tenant: string): Promise<StreamView[]> {
    return this.views(await this.streams.list(tenant));
  }

  async get(tenant: string, id: string): Promise<StreamView> {
    return this.shown(await this.find(tenant, id));
  }

  async update(tenant: string, id: string, body: UpdateStream, actor: StreamActor): Promise<StreamView> {
    const stream = await this.find(tenant, id);
    const changes: StreamChanges = {};
    let secret = this.destinations.secretsOf(stream);
    if (body.destination) {
      const { module, plain, secret: given } = splitSecrets(body.destination);
      module.validate?.(body.destination as never, this.net);
      changes.destination = plain;
      changes.batch = this.limits(module.limits, body.batch ?? stream.batch);
      secret = { ...given, ...(secret.pii_hmac_key ? { pii_hmac_key: secret.pii_hmac_key } : {}) };
    }
    if (body.name !== undefined) changes.name = body.name;
    if (body.format !== undefined) changes.format = body.format;
    if (body.filters !== undefined) {
      toEventFilter(body.filters);
      changes.filters = body.filters;
    }
    if (body.batch !== undefined && !changes.batch) {
      changes.batch = this.limits(DESTINATIONS[stream.destination.type]?.limits, {
        ...stream.batch,
        ...body.batch,
      });
    }
    if (body.pii !== undefined) {
      checkPiiRules(body.pii.rules);
      changes.pii = body.pii.rules;
      const { pii_hmac_key: old, ...rest } = secret;
      const key = body.pii.hmac_key ?? old ?? randomBytes(32).toString('base64url');
      secret = body.pii.rules.some((r) => r.action === 'hmac') ? { ...rest, pii_hmac_key: key } : rest;
    }
    changes.secrets = Object.keys(secret).length ? this.secrets.seal(secret, tenant, id) : null;
    await this.record(stream, 'update', actor, { changed: Object.keys(body).sort().join(',') });
    return this.shown(await this.changed(tenant, id, changes));
  }

  async delete(tenant: string, id: string, actor: StreamActor): Promise<void> {
    const stream = await this.find(tenant, id);
    await this.record(stream, 'delete', actor, { cursor: stream.cursor });
    await this.streams.delete(tenant, id);
  }

  async pause(tenant: string, id: string, actor: StreamActor): Promise<StreamView> {
    const stream = await this.find(tenant, id);
    if (stream.state === 'paused') return this.shown(stream);
    await this.record(stream, 'pause', actor, { was: stream.state });
    return this.shown(await this.changed(tenant, id, { state: 'paused' }));
  }

  /** Active again, at once: a paused or disabled stream, or one waiting out a backoff. */
  async resume(tenant: string, id: string, actor: StreamActor): Promise<StreamView> {
    const stream = await this.find(tenant, id);
    await this.record(stream, 'resume', actor, { was: stream.state });
    return this.shown(await this.changed(tenant, id, { state: 'active', next_attempt_at: 0 }));
  }

  async replay(tenant: string, id: string, range: { from_seq: number; to_seq: number }, actor: StreamActor) {
    const stream = await this.find(tenant, id);
    if (range.from_seq > range.to_seq)
      invalidParameter('from_seq', 'must not be after to_seq.', 'body.from_seq');
    const last = await this.events.lastSeq(tenant);
    if (range.to_seq > last)
      invalidParameter('to_seq', `is past the tenant's last seq (${last}).`, 'body.to_seq');
    if (stream.replay)
      throw new TrailkeepError(
        'conflict',
        `A replay of seqs ${stream.replay.from_seq}–${stream.replay.to_seq} is under way (at ${stream.replay.cursor}); wait for it to end.`,
      );
    // When it was asked for (ms): one replay at a time, so no two of a stream share it.
    const n = this.clock();
    await this.record(stream, 'replay', actor, { from_seq: range.from_seq, to_seq: range.to_seq });
    return this.shown(
      await this.changed(tenant, id, {
        replay: { from_seq: range.from_seq, to_seq: range.to_seq, cursor: range.from_seq - 1, n },
        next_attempt_at: 0,
      }),
    );
  }

  /**
   * Sends the tenant's latest event matching the stream's filters (or a test event recorded for
   * the purpose when none matches) to the destination at once, as a batch of its own with an id
   * of its own; the outcome is answered, and the stream itself is left as it was.
   */
  async test(tenant: string, id: string, actor: StreamActor) {
    const stream = await this.find(tenant, id);
    await this.record(stream, 'test', actor);
    const last = await this.events.lastSeq(tenant);
    const batch = await this.reader.read({ ...stream, filters: {} }, last - 1, last, 1);
    const destination = this.destinations.open(stream);
    try {
      const now = this.clock();
      const outcome = await destination.send(
        {
          id: `${stream.id}.test-${now}`,
          tenant,
          stream: stream.id,
          streamName: stream.name,
          format: stream.format,
          fromSeq: last,
          toSeq: last,
          records: batch.records,
          checkpoint: null,
          createdAt: now,
        },
        AbortSignal.timeout(30_000),
      );
      return {
        ok: outcome.kind === 'accepted',
        outcome: outcome.kind,
        error: outcome.kind === 'accepted' ? null : outcome.error,
        seq: last,
      };
    } finally {
      await destination.close();
    }
  }

  async deliveries(tenant: string, id: string, filter: DeliveryFilter | null, limit: number) {
    await this.find(tenant, id);
    const rows = await this.streams.deliveries(tenant, id, filter, limit);
    return rows.map(({ tenant: _t, stream: _s, ...d }) => ({
      ...d,
      state: d.state as DeliveryState,
      created_at: new Date(d.created_at).toISOString(),
      updated_at: new Date(d.updated_at).toISOString(),
    }));
  }

  /** Streams as the API shows them, with their lag (one read for all): never their secrets. */
  async views(streams: StreamRecord[]): Promise<StreamView[]> {
    const tenants = [...new Set(streams.map((s) => s.tenant))];
    const lags = new Map<string, StreamLag>();
    for (const lag of (await Promise.all(tenants.map((t) => this.streams.lags(t)))).flat())
      lags.set(`${lag.tenant}/${lag.id}`, lag);
    return streams.map((s) => this.view(s, lags.get(`${s.tenant}/${s.id}`)));
  }

  /** A stream as the API and /metrics show it; `lag` from StreamStore.lags (absent: as if caught up). */
  view(s: StreamRecord, lag?: StreamLag): StreamView {
    const last = lag?.last_seq ?? s.cursor;
    const oldest = lag?.oldest_received_at ?? null;
    return {
      id: s.id,
      name: s.name,
      destination: s.destination,
      format: s.format,
      filters: s.filters,
      batch: s.batch,
      pii: { rules: s.pii },
      state: s.state,
      cursor: s.cursor,
      lag: {
        events: Math.max(0, last - s.cursor),
        seconds: oldest === null ? 0 : Math.max(0, (this.clock() - oldest) / 1000),
      },
      replay: s.replay
        ? { from_seq: s.replay.from_seq, to_seq: s.replay.to_seq, cursor: s.replay.cursor }
        : null,
      last_error: s.last_error,
      last_error_at: iso(s.last_error_at),
      last_delivered_at: iso(s.last_delivered_at),
      next_attempt_at:
        s.state === 'active' && s.next_attempt_at > this.clock() ? iso(s.next_attempt_at) : null,
      created_at: new Date(s.created_at).toISOString(),
      updated_at: new Date(s.updated_at).toISOString(),
    };
  }

  /** One stream's view. */
  private async shown(stream: StreamRecord): Promise<StreamView> {
    return (await this.views([stream]))[0] as StreamView;
  }

  private async find(tenant: string, id: string): Promise<StreamRecord> {
    const stream = await this.streams.get(tenant, id);
    if (!stream) throw new TrailkeepError('not_found', `Stream ${id} does not exist.`);
    return stream;
  }

  private async changed(tenant: string, id: string, changes: StreamChanges): Promise<StreamRecord> {
    const stream = await this.streams.update(tenant, id, changes, this.clock());
    if (!stream) throw new TrailkeepError('not_found', `Stream ${id} does not exist.`);
    return stream;
  }

  /** The batch limits asked for, the defaults for the rest, capped by what the destination's intake takes. */
  private limits(
    cap: { max_events?: number; max_bytes?: number } | undefined,
    asked: Partial<BatchLimits> = {},
  ): BatchLimits {
    const b = { ...DEFAULT_BATCH, ...asked };
    return {
      max_events: Math.min(b.max_events, cap?.max_events ?? b.max_events),
      max_bytes: Math.min(b.max_bytes, cap?.max_bytes ?? b.max_bytes),
      max_wait_ms: b.max_wait_ms,
    };
  }

  /**
   * The cursor a new stream starts at: the tenant's last seq (`now`), the seq before the one
   * given, or the seq before the first event received at or after a time: seqs are assigned in
   * the order events are received, so that seq is found by bisection, a few one-row reads.
   */
  private async startCursor(tenant: string, start: CreateStream['start'] & {}): Promise<number> {
    const last = await this.events.lastSeq(tenant);
    if (start === 'now') return last;
    if ('seq' in start) return Math.min(start.seq - 1, last);
    const at = Date.parse(start.time);
    let lo = 0;
    let hi = last;
    // Invariant: every seq ≤ lo was received before `at`; seq hi + 1 (if any) was received at or after it.
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      const [row] = await this.events.window(tenant, { fields: {} }, mid - 1, mid);
      const received = row ? Date.parse((JSON.parse(row.json) as { received_at: string }).received_at) : at;
      if (received < at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
