import { fromBase64 } from './bytes.js';
import { HASH_BYTES } from './merkle.js';

/** A C2SP tlog-checkpoint: the note text `<origin>\n<tree size>\n<base64 root>\n`. */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
}

/**
 * A checkpoint's text read back, or null when it is not one: an origin line, a decimal size
 * without leading zeros, a base64 SHA-256 root, then optional extension lines (ignored).
 */
export function parseCheckpoint(text: string): Checkpoint | null {
  if (!text.endsWith('\n')) return null;
  const [origin, size, root, ...rest] = text.slice(0, -1).split('\n');
  if (!origin || size === undefined || root === undefined || rest.some((l) => l === '')) return null;
  if (!/^(?:0|[1-9]\d{0,15})$/.test(size) || !Number.isSafeInteger(Number(size))) return null;
  const hash = fromBase64(root);
  if (hash?.length !== HASH_BYTES) return null;
  return { origin, size: Number(size), root: hash };
}
