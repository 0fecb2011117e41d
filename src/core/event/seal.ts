import { hash } from 'node:crypto';

/**
 * RFC 8785 canonical JSON: object keys sorted by UTF-16 code units (the default order of
 * Array.prototype.sort), no whitespace, strings and numbers exactly as ECMAScript's
 * JSON.stringify writes them (which is how RFC 8785 defines them). Inputs are validated first,
 * so it never meets NaN, Infinity or lone surrogates. Written here rather than taken from the
 * reference package because ingest runs it on every event and this loop is twice as fast;
 * test/core/canonical.test.ts checks it against that package on generated values.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

// The one-shot form: about half the cost of createHash().update().digest() for an event's size.
export const sha256Hex = (text: string): string => hash('sha256', text, 'hex');

/** The members the server adds when it stores an event, in canonical order. */
const SERVER_KEYS = ['received_at', 'seq', 'tenant'] as const;
const IS_SERVER_KEY = new Set<string>(SERVER_KEYS);

/**
 * An event's canonical JSON cut where the server's members go, so that sealing is string
 * concatenation: `parts[0] + received_at + parts[1] + seq + parts[2] + tenant + parts[3]`,
 * each server member written as `"key":value`. Plain strings, so it crosses to the SQLite
 * writer thread cheaply.
 */
export type SealTemplate = [string, string, string, string];

/**
 * The canonical JSON of a client event (its digest input) and its seal template, from one
 * pass over its sorted keys. Server-assigned keys in the input are ignored.
 */
export function canonicalEvent(event: Record<string, unknown>): { json: string; template: SealTemplate } {
  const groups = ['', '', '', ''];
  let group = 0;
  for (const key of Object.keys(event).sort()) {
    const v = event[key];
    if (v === undefined || IS_SERVER_KEY.has(key)) continue;
    while (group < SERVER_KEYS.length && key > (SERVER_KEYS[group] as string)) group += 1;
    const m = `${JSON.stringify(key)}:${canonicalJson(v)}`;
    groups[group] = groups[group] ? `${groups[group]},${m}` : m;
  }
  const [a, b, c, d] = groups as [string, string, string, string];
  return {
    json: `{${[a, b, c, d].filter((g) => g !== '').join(',')}}`,
    template: [
      `{${a}${a ? ',' : ''}`,
      `${b ? `,${b}` : ''},`,
      `${c ? `,${c}` : ''},`,
      `${d ? `,${d}` : ''}}`,
    ],
  };
}

/**
 * Seals an event at commit: adds what the server assigns and hashes the canonical JSON of the
 * result. `body` is that canonical JSON (hash left out), so `sha256(body) === hash` verifies it.
 * Equal to `canonicalJson({...event, tenant, seq, received_at})`, without canonicalising again.
 */
export function sealEvent(
  template: SealTemplate,
  tenant: string,
  seq: number,
  receivedAt: string,
): { body: string; hash: string } {
  const body = `${template[0]}"received_at":${JSON.stringify(receivedAt)}${template[1]}"seq":${seq}${template[2]}"tenant":${JSON.stringify(tenant)}${template[3]}`;
  return { body, hash: sha256Hex(body) };
}

/** The event as returned: the sealed body with its hash added (key order is not significant in JSON). */
export const withHash = (body: string, hash: string): string => `${body.slice(0, -1)},"hash":"${hash}"}`;

/** The hash an event's content gives: SHA-256 of the canonical JSON of all but its `hash`. */
export function contentHash(event: Record<string, unknown>): string {
  const { hash: _, ...rest } = event;
  return sha256Hex(canonicalJson(rest));
}

/** Recomputes an event's hash from its returned JSON object; true when it is unaltered. */
export function verifyEvent(event: Record<string, unknown>): boolean {
  return typeof event.hash === 'string' && contentHash(event) === event.hash;
}
