import { isIP } from 'node:net';
import { v7 as uuidv7 } from 'uuid';
import { type ChangeFacets, changeFacetsOf } from '../change-rows.js';
import { TrailkeepError } from '../errors.js';
import { parseDateTime } from '../interval.js';
import { tokenize } from '../query.js';
import { addSchemaErrors, compileBounded, type Problem, Problems } from '../schema.js';
import { type EventInput, EventInputSchema, MAX_EVENT_BYTES, SEQ_TEXT } from './schema.js';
import { canonicalEvent, type SealTemplate, sha256Hex } from './seal.js';

/** The filterable scalar columns of an event, in the order every engine stores them. */
export const INDEX_COLUMNS = [
  'action',
  'category',
  'outcome',
  'service',
  'actor_id',
  'actor_type',
  'actor_home_org_id',
  'target_type',
  'target_id',
  'client_id',
  'session_id',
  'trace_id',
  'transaction_id',
] as const;

/** The indexed columns of an event: what the stores filter on. */
export interface EventIndex {
  action: string;
  category: string;
  outcome: string;
  service: string | null;
  actor_id: string | null;
  actor_type: string | null;
  actor_home_org_id: string | null;
  target_type: string | null;
  target_id: string | null;
  client_id: string | null;
  session_id: string | null;
  trace_id: string | null;
  transaction_id: string | null;
  ips: string[];
  /** Search tokens for `q` (description, names, change values), space-separated. */
  text: string;
  /** What LivePerson's change rows count and filter by (core/change-rows.ts). */
  facets: ChangeFacets;
}

/** A validated, normalised event, ready for a store to seal and append. */
export interface PreparedEvent {
  id: string;
  /** The tenant the event names (its `tenant` field), if it names one; the writer decides where it goes. */
  tenant: string | undefined;
  occurredAt: number;
  /** SHA-256 of the normalised content: the same id with another digest is a conflict. */
  digest: string;
  /** Its canonical JSON cut where the server's members go: sealing is concatenation. */
  template: SealTemplate;
  /** Bytes of its canonical JSON (before the server's members). */
  bytes: number;
  index: EventIndex;
}

/** Every error of an invalid event up to the event size limit; no valid event is larger. */
const check = compileBounded<EventInput>(EventInputSchema, MAX_EVENT_BYTES);

/** A member's path: `.name` for identifiers, `["odd key"]` otherwise. */
const member = (path: string, key: string): string =>
  /^[A-Za-z_]\w*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

/**
 * Problems no JSON schema expresses: NUL and lone surrogates in strings and keys, and keys named
 * `__proto__`. Paths are built only when a problem is found: this walk runs on every event
 * ingested.
 */
function deepProblems(value: unknown, path: () => string, out: Problems): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.add(path(), 'must not contain NUL characters');
    else if (!value.isWellFormed()) out.add(path(), 'must be well-formed Unicode');
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) deepProblems(value[i], () => `${path()}[${i}]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const k in value) {
      if (k.includes('\u0000') || !k.isWellFormed()) out.add(path(), 'has a malformed key');
      // JSON.parse keeps it as a plain key, but many readers (Object.assign, merges, Fastify's
      // own JSON parser) take it for the object's prototype: refused on every encoding alike.
      else if (k === '__proto__') out.add(member(path(), k), 'is refused: __proto__ is not a usable key');
      deepProblems((value as Record<string, unknown>)[k], () => member(path(), k), out);
    }
  }
}

/** Validates one event into `out`; `root` names it in problems. Returns the event when valid. */
function checkEvent(input: unknown, root: string, out: Problems): EventInput | undefined {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    out.add(root, 'must be an event object');
    return undefined;
  }
  const before = out.count;
  if (!check(input)) {
    addSchemaErrors(out, check.errors, root);
    return undefined;
  }
  // Only a schema-valid event is walked: the schema bounds its depth and size.
  deepProblems(input, () => root, out);
  const event = input as EventInput;
  if (out.count > before) return undefined;
  // Also within years 0000–9999 in UTC, so it is returned as an RFC 3339 date-time too.
  if (parseDateTime(event.occurred_at) === null) {
    out.add(`${root}.occurred_at`, 'must be a valid RFC 3339 date-time');
  }
  event.source?.ip?.forEach((ip, i) => {
    if (isIP(ip) === 0) out.add(`${root}.source.ip[${i}]`, 'must be an IPv4 or IPv6 address');
  });
  if (event.id !== undefined && SEQ_TEXT.test(event.id)) {
    out.add(
      `${root}.id`,
      'must not be a positive integer: GET /v1/events/{n} reads a number as the seq Trailkeep assigns, so give the id a prefix (e.g. "ev-42")',
    );
  }
  return out.count > before ? undefined : event;
}

/** Validates one event; `root` names it in problems (`$`, `$.events[3]`, `$[41]` for NDJSON lines). */
export function validateEvent(input: unknown, root: string): { event?: EventInput; problems: Problem[] } {
  const out = new Problems();
  const event = checkEvent(input, root, out);
  return event ? { event, problems: [] } : { problems: out.list(root) };
}

const nz = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

function searchText(e: EventInput): string {
  const parts = [
    e.description,
    e.actor?.name,
    e.actor?.email,
    e.target?.name,
    e.client?.name,
    e.message?.text,
  ];
  for (const c of e.changes ?? []) parts.push(...(c.old ?? []), ...(c.new ?? []));
  return tokenize(parts.filter((p): p is string => typeof p === 'string').join(' ')).join(' ');
}

/** Normalises a valid event: defaults filled, time in UTC with milliseconds, an id assigned. */
export function prepareEvent(e: EventInput): PreparedEvent {
  const occurredAt = Date.parse(e.occurred_at);
  const event: Record<string, unknown> = {
    ...e,
    id: e.id ?? uuidv7(),
    occurred_at: new Date(occurredAt).toISOString(),
    category: e.category ?? 'admin',
    outcome: e.outcome ?? 'success',
    level: e.level ?? 'user',
    automatic: e.automatic ?? false,
  };
  const { json, template } = canonicalEvent(event);
  return {
    id: event.id as string,
    tenant: e.tenant,
    occurredAt,
    digest: sha256Hex(json),
    template,
    bytes: Buffer.byteLength(json),
    index: {
      action: e.action,
      category: event.category as string,
      outcome: event.outcome as string,
      service: nz(e.service),
      actor_id: nz(e.actor?.id),
      actor_type: nz(e.actor?.type),
      actor_home_org_id: nz(e.actor?.home_org_id),
      target_type: nz(e.target?.type),
      target_id: nz(e.target?.id),
      client_id: nz(e.client?.id),
      session_id: nz(e.source?.session_id),
      trace_id: nz(e.source?.trace_id),
      transaction_id: nz(e.transaction_id),
      ips: [...new Set(e.source?.ip ?? [])],
      text: searchText(e),
      facets: changeFacetsOf(e),
    },
  };
}

/**
 * Validates and prepares a whole batch, all or nothing: any problem anywhere rejects the batch
 * with every problem named. `rootOf(i)` names event i in problems.
 */
export function prepareBatch(inputs: unknown[], rootOf: (i: number) => string): PreparedEvent[] {
  const problems = new Problems();
  const prepared: PreparedEvent[] = [];
  inputs.forEach((input, i) => {
    const event = checkEvent(input, rootOf(i), problems);
    if (!event) return;
    const p = prepareEvent(event);
    if (p.bytes > MAX_EVENT_BYTES)
      problems.add(rootOf(i), `must be at most ${MAX_EVENT_BYTES} bytes of JSON`);
    else prepared.push(p);
  });
  if (problems.count > 0) throw new TrailkeepError('invalid_event', undefined, problems.list());
  return prepared;
}
