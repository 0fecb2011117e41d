import { createHmac } from 'node:crypto';
import { Type } from 'typebox';
import { invalidParameter } from '../errors.js';
import { canonicalJson } from '../event/seal.js';
import { PII_ACTIONS, type PiiAction, type PiiRule } from './stream.js';

/**
 * A stream's PII rules (docs/streams/formats.md#pii-rules): what each delivered event's personal data
 * becomes before it is formatted. Applied per stream, so the stored event and its hash are never
 * touched; a record that went through a rule says so (`redacted`) because its hash no longer
 * recomputes from it.
 */

/** What a masked string becomes. Fixed and short, so a receiver sees at once that it is not data. */
export const MASK = '****';

/** Members that prove the event (contiguity and hash): a rule on them would make every record unverifiable. */
const PROOF_FIELDS = new Set(['tenant', 'seq', 'hash']);

/** Names a path may not walk through: reaching an object's prototype is never a field of an event. */
const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

const SEGMENT = '[A-Za-z0-9_-]{1,64}';
/** A dotted path of up to 8 names, none of them a proof field at the top. */
export const PII_FIELD_PATTERN = `^(?!(?:tenant|seq|hash)(?:\\.|$))${SEGMENT}(?:\\.${SEGMENT}){0,7}$`;
const FIELD = new RegExp(PII_FIELD_PATTERN);

export const MAX_PII_RULES = 50;

/** The `pii` member of a stream's body (POST and PATCH /v1/streams). */
export const PiiRulesSchema = Type.Array(
  Type.Object(
    {
      field: Type.String({
        maxLength: 200,
        pattern: PII_FIELD_PATTERN,
        description:
          'A dotted path into the event (`actor.email`, `source.ip`, `changes.old`); arrays along it apply to every element. Not `tenant`, `seq` or `hash`.',
      }),
      action: Type.Enum(PII_ACTIONS, {
        description: 'hmac: keyed HMAC-SHA256 (hex) under the stream’s key; mask: `****`; drop: removed.',
      }),
    },
    { additionalProperties: false },
  ),
  { maxItems: MAX_PII_RULES, description: 'What personal data becomes in the delivered events.' },
);

/**
 * Refuses a rule's field that is not a path this module can apply, naming it as the API
 * body does (`pii[2].field`). Beside the schema's pattern so the refusal says why.
 */
export function checkPiiField(field: string, where = 'pii.field'): void {
  const segments = field.split('.');
  if (PROOF_FIELDS.has(segments[0] ?? ''))
    invalidParameter(where, `may not be ${segments[0]}: it proves the event (contiguity and hash).`);
  if (!FIELD.test(field) || field.length > 200)
    invalidParameter(where, 'must be a dotted path of names (letters, digits, _ and -), at most 8 deep.');
  if (segments.some((s) => UNSAFE_SEGMENTS.has(s))) invalidParameter(where, 'names no field of an event.');
}

/** Checks every rule of a `pii` array (the schema has checked its shape). */
export function checkPiiRules(rules: readonly PiiRule[]): void {
  rules.forEach((rule, i) => {
    checkPiiField(rule.field, `pii.rules[${i}].field`);
  });
}

type Json = unknown;
interface Outcome {
  value: Json;
  changed: boolean;
}

const isObject = (v: Json): v is Record<string, Json> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** A masked value keeps its type, so a receiver's schema for the field still holds. */
function mask(value: Json): Outcome {
  if (Array.isArray(value)) return eachOf(value, mask);
  if (isObject(value)) return membersOf(value, mask);
  const masked =
    typeof value === 'string'
      ? MASK
      : typeof value === 'number'
        ? 0
        : typeof value === 'boolean'
          ? false
          : null;
  return { value: masked, changed: masked !== value };
}

function hmacOf(key: Uint8Array): (value: Json) => Outcome {
  const digest = (value: Json): Outcome => {
    // Each element of an array on its own, so one address in `source.ip` joins across events.
    if (Array.isArray(value)) return eachOf(value, digest);
    const text = typeof value === 'string' ? value : canonicalJson(value);
    return { value: createHmac('sha256', key).update(text, 'utf8').digest('hex'), changed: true };
  };
  return digest;
}

/** `f` over every element; the same array back when nothing changed (copy on write). */
function eachOf(values: Json[], f: (v: Json) => Outcome): Outcome {
  let changed = false;
  const out = values.map((v) => {
    const r = f(v);
    changed ||= r.changed;
    return r.value;
  });
  return changed ? { value: out, changed } : { value: values, changed };
}

function membersOf(obj: Record<string, Json>, f: (v: Json) => Outcome): Outcome {
  let changed = false;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(obj)) {
    const r = f(v);
    changed ||= r.changed;
    out[k] = r.value;
  }
  return changed ? { value: out, changed } : { value: obj, changed };
}

/** Applies `leaf` to every value at `path` under `value`; `drop` removes the members instead. */
function applyAt(value: Json, path: readonly string[], leaf: ((v: Json) => Outcome) | 'drop'): Outcome {
  if (Array.isArray(value)) return eachOf(value, (v) => applyAt(v, path, leaf));
  const [name, ...rest] = path;
  if (!isObject(value) || name === undefined || !Object.hasOwn(value, name)) return { value, changed: false };
  if (rest.length === 0 && leaf === 'drop') {
    const { [name]: _, ...others } = value;
    return { value: others, changed: true };
  }
  const r =
    rest.length === 0 ? (leaf as (v: Json) => Outcome)(value[name]) : applyAt(value[name], rest, leaf);
  return r.changed ? { value: { ...value, [name]: r.value }, changed: true } : { value, changed: false };
}

/**
 * The event with `rules` applied, in order, and the fields they changed (each once, in rule
 * order). Pure: `event` is never changed; what no rule touches is shared with it.
 * `hmacKey` is the stream's key; a rule `hmac` without one is a bug of the caller.
 */
export function applyPii<E extends Record<string, unknown>>(
  event: E,
  rules: readonly PiiRule[],
  hmacKey: Uint8Array | null,
): { event: E; redacted: string[] } {
  let current: Json = event;
  const redacted: string[] = [];
  for (const rule of rules) {
    const path = rule.field.split('.');
    // Rules are checked when a stream is saved; again here, so no caller can reach a proof field.
    checkPiiField(rule.field);
    const r = applyAt(current, path, leafFor(rule.action, hmacKey));
    current = r.value;
    if (r.changed && !redacted.includes(rule.field)) redacted.push(rule.field);
  }
  return { event: current as E, redacted };
}

function leafFor(action: PiiAction, key: Uint8Array | null): ((v: Json) => Outcome) | 'drop' {
  if (action === 'drop') return 'drop';
  if (action === 'mask') return mask;
  if (!key) throw new Error('a pii rule "hmac" needs the stream’s key');
  return hmacOf(key);
}
