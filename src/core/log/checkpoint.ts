import { HASH_BYTES, type Hash } from './merkle.js';
import { openNote, type Verifier } from './note.js';

/**
 * A C2SP tlog-checkpoint: the note text `<origin>\n<tree size>\n<base64 root>\n`. The origin
 * names the log (here `<log name>/<tenant>`), so a checkpoint of one tenant's log can never
 * pass for another's.
 */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Hash;
}

export const checkpointText = ({ origin, size, root }: Checkpoint): string =>
  `${origin}\n${size}\n${root.toString('base64')}\n`;

/**
 * A checkpoint's text read back, or null when it is not one: an origin line, a decimal size
 * without leading zeros, a base64 SHA-256 root, then optional extension lines (ignored).
 */
export function parseCheckpoint(text: string): Checkpoint | null {
  if (!text.endsWith('\n')) return null;
  const [origin, size, root, ...rest] = text.slice(0, -1).split('\n');
  if (!origin || size === undefined || root === undefined || rest.some((l) => l === '')) return null;
  if (!/^(?:0|[1-9]\d{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) return null;
  const hash = Buffer.from(root, 'base64');
  if (hash.length !== HASH_BYTES || hash.toString('base64') !== root) return null;
  return { origin, size: Number(size), root: hash };
}

/** A tenant's log origin: the log's name and the tenant, so no tenant's checkpoint passes for another's. */
export const originOf = (logName: string, tenant: string): string => `${logName}/${tenant}`;

/**
 * The checkpoint in a signed note, or null unless `verifier` signed it and it is the log of
 * `tenant` (its origin is `<key name>/<tenant>`).
 */
export function openCheckpoint(note: string, verifier: Verifier, tenant: string): Checkpoint | null {
  const text = openNote(note, verifier);
  const checkpoint = text === null ? null : parseCheckpoint(text);
  return checkpoint?.origin === originOf(verifier.name, tenant) ? checkpoint : null;
}
