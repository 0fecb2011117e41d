import { concat, equal, fromBase64, sha256, utf8 } from './bytes.js';

/**
 * C2SP signed notes with Ed25519 keys, verified with WebCrypto: the browser's port of the
 * verifying half of src/core/log/note.ts. A verifier key is
 * `<name>+<8 hex key id>+<base64(0x01 ‖ public key)>`; a note is its text (ending in a newline),
 * a blank line, and signature lines `— <name> <base64(key id ‖ signature)>`.
 */

const ED25519 = 0x01;
const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+=*)$/;

export interface NoteVerifier {
  name: string;
  /** The key id, four bytes: the first four of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key). */
  id: Uint8Array;
  publicKey: Uint8Array;
}

/** A verifier key string as a verifier, or null when it is not one or its id does not match. */
export async function parseVerifierKey(text: string): Promise<NoteVerifier | null> {
  // The base64 key at the end may hold plus signs itself: only the first two separate.
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = trimmed.indexOf('+', first + 1);
  if (first < 0 || second < 0) return null;
  const name = trimmed.slice(0, first);
  const hexId = trimmed.slice(first + 1, second);
  const key = trimmed.slice(second + 1);
  if (!name) return null;
  if (/\s/.test(name) || !/^[0-9a-f]{8}$/.test(hexId)) return null;
  const raw = fromBase64(key);
  if (raw?.length !== 33 || raw[0] !== ED25519) return null;
  const publicKey = raw.subarray(1);
  const id = (await sha256(utf8(`${name}\n`), raw)).subarray(0, 4);
  const hex = Array.from(id, (b) => b.toString(16).padStart(2, '0')).join('');
  return hex === hexId ? { name, id, publicKey } : null;
}

/**
 * The text of a note that `verifier` signed, or null: malformed, or without a valid signature
 * by that key. Signatures by other keys are ignored, as the spec asks.
 */
export async function openNote(note: string, verifier: NoteVerifier): Promise<string | null> {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return null;
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  const key = await crypto.subtle.importKey('raw', concat(verifier.publicKey), { name: 'Ed25519' }, false, [
    'verify',
  ]);
  let ok = false;
  for (const line of lines) {
    const m = SIGNATURE_LINE.exec(line);
    if (!m) return null;
    if (m[1] !== verifier.name) continue;
    const raw = fromBase64(m[2] as string);
    if (raw?.length !== 68 || !equal(raw.subarray(0, 4), verifier.id)) continue;
    const signature = concat(raw.subarray(4));
    if (!(await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, utf8(text)))) return null;
    ok = true;
  }
  return ok ? text : null;
}
