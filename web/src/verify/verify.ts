import { fromBase64, fromHex } from './bytes.js';
import { parseCheckpoint } from './checkpoint.js';
import { contentHash } from './event.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { openNote, parseVerifierKey } from './note.js';

/**
 * The viewer's "verified" mark, computed in the browser from nothing but the event, the log's
 * verifier key, its latest signed checkpoint and the event's inclusion proof (docs/log.md, "How
 * an auditor verifies"):
 *
 * 1. the event's content gives its hash (RFC 8785 canonical JSON without `hash`, SHA-256);
 * 2. the checkpoint is signed by the verifier key (C2SP signed note, Ed25519) and is the log
 *    of the event's tenant (origin `<key name>/<tenant>`);
 * 3. the leaf SHA-256(0x00 ‖ hash) at index seq − 1 and the audit path give the checkpoint's
 *    root (RFC 9162 §2.1.3.2).
 *
 * The key is fetched from the server unless the embedding page pins one (what an auditor who
 * holds the key out of band does), in which case a server that swapped keys fails step 2.
 */

export type Verdict =
  | { state: 'verified'; size: number }
  | { state: 'pending'; size: number | null; reason: string }
  | { state: 'failed'; reason: string };

/** Where the verifier reads the log; each may throw (network, credential), which the caller shows. */
export interface LogSource {
  /** The verifier key string. */
  key(): Promise<string>;
  /** The latest signed checkpoint, or null before the first. */
  checkpoint(): Promise<string | null>;
  /** The audit path of leaf `seq − 1` in the tree of `size`, base64 hashes. */
  inclusion(seq: number, size: number): Promise<{ hashes: string[] }>;
}

export interface Verifiable {
  seq: number;
  hash: string;
  tenant: string;
  [member: string]: unknown;
}

const failed = (reason: string): Verdict => ({ state: 'failed', reason });

export async function verifyEvent(event: Verifiable, log: LogSource, pinnedKey?: string): Promise<Verdict> {
  if ((await contentHash(event)) !== event.hash) return failed('its content does not give its hash');
  const entry = fromHex(event.hash);
  if (entry?.length !== 32) return failed('its hash is not a SHA-256 digest');

  const keyText = pinnedKey ?? (await log.key());
  const key = await parseVerifierKey(keyText);
  if (!key) return failed(`the log’s verifier key is malformed (${keyText})`);

  const note = await log.checkpoint();
  if (note === null) return { state: 'pending', size: null, reason: 'the log has no signed checkpoint yet' };
  const text = await openNote(note, key);
  if (text === null) return failed(`the checkpoint is not signed by the key of ${key.name}`);
  const checkpoint = parseCheckpoint(text);
  if (!checkpoint) return failed('the checkpoint is malformed');
  const origin = `${key.name}/${event.tenant}`;
  if (checkpoint.origin !== origin) {
    return failed(`the checkpoint is of another log (${checkpoint.origin}, not ${origin})`);
  }
  if (checkpoint.size < event.seq) {
    return {
      state: 'pending',
      size: checkpoint.size,
      reason: `the latest checkpoint covers seqs 1–${checkpoint.size}; this event is seq ${event.seq}`,
    };
  }

  const { hashes } = await log.inclusion(event.seq, checkpoint.size);
  const proof = hashes.map(fromBase64);
  if (proof.some((h) => h === null)) return failed('its inclusion proof is malformed');
  const leaf = await leafHash(entry);
  const ok = await verifyInclusion(
    event.seq - 1,
    checkpoint.size,
    leaf,
    proof as Uint8Array[],
    checkpoint.root,
  );
  if (!ok) return failed('its inclusion proof does not lead to the checkpoint’s root');
  return { state: 'verified', size: checkpoint.size };
}
