import { canonicalJson } from '../../event/seal.js';
import { ocsfClassOf } from './ocsf-classes.js';
import type { ProofFields, StoredEvent, StreamFormat } from './types.js';

/** The OCSF schema version records claim (`metadata.version`). */
export const OCSF_SCHEMA_VERSION = '1.3.0';

/**
 * The version of Trailkeep's mapping onto that schema (`unmapped.trailkeep.mapping_version`).
 * Raised whenever any event would map differently (another class rule, a field moved), so a
 * receiver's parsers can tell records of the old mapping from the new. docs/streams/formats.md
 * lists what each version changed.
 */
export const OCSF_MAPPING_VERSION = '1';

const PRODUCT = { name: 'Trailkeep', vendor_name: 'Trailkeep' } as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** An object with its undefined members left out, or undefined when none is left. */
function compact(obj: Obj): Obj | undefined {
  const out: Obj = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

/** The members of `obj` the mapping did not place elsewhere (they go to `unmapped`). */
function rest(obj: unknown, placed: readonly string[]): Obj | undefined {
  if (!isObj(obj)) return undefined;
  const out: Obj = {};
  for (const [k, v] of Object.entries(obj)) if (!placed.includes(k)) out[k] = v;
  return compact(out);
}

const SEVERITY = {
  success: [1, 'Informational'],
  warning: [2, 'Low'],
  failure: [3, 'Medium'],
} as const;
const STATUS = { success: [1, 'Success'], failure: [2, 'Failure'], warning: [99, 'Warning'] } as const;

/** OCSF user types by the actor's `type`; any other type is Other (99), its text kept. */
const USER_TYPES: Record<string, [number, string]> = {
  user: [1, 'User'],
  admin: [2, 'Admin'],
  system: [3, 'System'],
};

/** OCSF `user` of the event's actor: login is the user name, name the person's full name. */
function actorUser(actor: Obj): Obj | undefined {
  const given = str(actor.type);
  const [type_id, type] = given === undefined ? [] : (USER_TYPES[given] ?? [99, given]);
  return compact({
    uid: str(actor.id),
    name: str(actor.login),
    full_name: str(actor.name),
    email_addr: str(actor.email),
    type,
    type_id,
    org: compact({ uid: str(actor.home_org_id) }),
  });
}

/** Target types that are accounts (Account Change's `user`). */
const ACCOUNT_TYPES = /^(?:user|account|member)s?$/i;

const ACTOR_PLACED = ['id', 'login', 'name', 'email', 'type', 'home_org_id', 'user_agent'];
const SOURCE_PLACED = ['ip', 'user_agent', 'session_id', 'request_id'];
const TARGET_PLACED = ['id', 'name', 'type'];
const CLIENT_PLACED = ['id', 'name'];
const AUTH_PLACED = ['result'];
const MESSAGE_PLACED = ['text'];
/** Members placed whole; every other member of the event goes to `unmapped` as it is. */
const TOP_PLACED = [
  'id',
  'tenant',
  'seq',
  'hash',
  'occurred_at',
  'received_at',
  'action',
  'outcome',
  'description',
  'transaction_id',
];
const PARTLY_PLACED: Record<string, readonly string[]> = {
  actor: ACTOR_PLACED,
  source: SOURCE_PLACED,
  client: CLIENT_PLACED,
  auth: AUTH_PLACED,
  message: MESSAGE_PLACED,
};

/** Every member of the event that no attribute holds; `placedHere` says what the class placed beside the common ones. */
function unmappedOf(
  event: StoredEvent,
  placedHere: { service: boolean; target: boolean },
  trailkeep: Obj,
): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(event)) {
    if (TOP_PLACED.includes(k) || (k === 'service' && placedHere.service)) continue;
    const placed = k === 'target' ? (placedHere.target ? TARGET_PLACED : []) : PARTLY_PLACED[k];
    const left = placed ? rest(v, placed) : v;
    if (left !== undefined) out[k] = left;
  }
  out.trailkeep = trailkeep;
  return out;
}

/**
 * OCSF 1.3 (docs/streams/formats.md#ocsf): one record of class Authentication, Account Change
 * or API Activity per event. `raw_data` is the event's canonical JSON (hash included), so a
 * receiver recomputes the hash from the record alone; what OCSF has no place for is in
 * `unmapped`, and Trailkeep's own members in `unmapped.trailkeep` (hash, mapping version, the
 * fields PII rules changed).
 */
function render(event: StoredEvent, redacted: readonly string[]): Record<string, unknown> {
  const cls = ocsfClassOf(event.action as string, str(event.category));
  const outcome = (str(event.outcome) ?? 'success') as keyof typeof STATUS;
  const [severity_id, severity] = SEVERITY[outcome] ?? SEVERITY.success;
  const [status_id, status] = STATUS[outcome] ?? STATUS.success;
  const actor = isObj(event.actor) ? event.actor : {};
  const source = isObj(event.source) ? event.source : {};
  const target = isObj(event.target) ? event.target : {};
  const client = isObj(event.client) ? event.client : {};
  const auth = isObj(event.auth) ? event.auth : {};
  const message = isObj(event.message) ? event.message : {};
  const ips = Array.isArray(source.ip) ? source.ip.filter((ip): ip is string => typeof ip === 'string') : [];
  const user = actorUser(actor);
  const resource = compact({ uid: str(target.id), name: str(target.name), type: str(target.type) });
  // Account Change's `user` is the account changed: the target when it is one, else the actor (a change of one's own).
  const targetIsAccount =
    typeof target.id === 'string' && (target.type === undefined || ACCOUNT_TYPES.test(String(target.type)));

  const placedHere = {
    service: cls.class_uid !== 3001,
    target: cls.class_uid === 6003 || (cls.class_uid === 3001 && targetIsAccount),
  };
  const byClass: Obj =
    cls.class_uid === 6003
      ? {
          api: compact({
            operation: event.action,
            service: compact({ name: str(event.service) }),
            request: compact({ uid: str(source.request_id) }),
          }),
          resources: resource ? [resource] : undefined,
        }
      : cls.class_uid === 3001
        ? { user: targetIsAccount ? compact({ uid: str(target.id), full_name: str(target.name) }) : user }
        : { user, service: compact({ name: str(event.service) }) };

  const trailkeep = compact({
    hash: event.hash,
    mapping_version: OCSF_MAPPING_VERSION,
    redacted: redacted.length ? [...redacted] : undefined,
  }) as Obj;

  return compact({
    ...cls,
    type_uid: cls.class_uid * 100 + cls.activity_id,
    type_name: `${cls.class_name}: ${cls.activity_name}`,
    time: Date.parse(event.occurred_at as string),
    severity_id,
    severity,
    status_id,
    status,
    status_detail: str(auth.result),
    message: str(event.description) ?? str(message.text),
    actor: compact({
      user,
      session: compact({ uid: str(source.session_id) }),
      app_uid: str(client.id),
      app_name: str(client.name),
    }),
    src_endpoint: compact({ ip: ips[0], intermediate_ips: ips.length > 1 ? ips.slice(1) : undefined }),
    http_request: compact({ user_agent: str(source.user_agent) ?? str(actor.user_agent) }),
    ...byClass,
    metadata: compact({
      version: OCSF_SCHEMA_VERSION,
      product: { ...PRODUCT },
      uid: str(event.id),
      sequence: event.seq,
      tenant_uid: event.tenant,
      log_name: 'audit',
      event_code: event.action,
      correlation_uid: str(event.transaction_id),
      original_time: str(event.occurred_at),
      logged_time: typeof event.received_at === 'string' ? Date.parse(event.received_at) : undefined,
    }),
    unmapped: unmappedOf(event, placedHere, trailkeep),
    raw_data: canonicalJson(event),
  }) as Obj;
}

function trailkeepOf(record: Obj): Obj | null {
  const unmapped = record.unmapped;
  return isObj(unmapped) && isObj(unmapped.trailkeep) ? unmapped.trailkeep : null;
}

function proof(record: Obj): ProofFields | null {
  const metadata = record.metadata;
  const trailkeep = trailkeepOf(record);
  if (!isObj(metadata) || !trailkeep || !isObj(metadata.product)) return null;
  if (metadata.product.name !== PRODUCT.name || typeof record.class_uid !== 'number') return null;
  const { tenant_uid: tenant, sequence: seq } = metadata;
  const { hash } = trailkeep;
  return typeof tenant === 'string' && Number.isSafeInteger(seq) && typeof hash === 'string'
    ? { tenant, seq: seq as number, hash }
    : null;
}

function original(record: Obj): Obj | null {
  const trailkeep = trailkeepOf(record);
  if (!proof(record) || !trailkeep || 'redacted' in trailkeep || typeof record.raw_data !== 'string')
    return null;
  try {
    const event: unknown = JSON.parse(record.raw_data);
    return isObj(event) ? event : null;
  } catch {
    return null;
  }
}

/** `unmapped.trailkeep.redacted` lists the fields PII rules changed. */
const redacted = (record: Obj): boolean => Array.isArray(trailkeepOf(record)?.redacted);

export const ocsf: StreamFormat = { name: 'ocsf', render, proof, original, redacted };
