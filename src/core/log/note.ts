import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';

/**
 * C2SP signed-note with Ed25519 keys, and the key strings Go's `golang.org/x/mod/sumdb/note`
 * reads and writes: a verifier key `<name>+<8 hex key id>+<base64(0x01 ‖ public key)>` and a
 * signer key `PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 ‖ seed)>`. A note is its text
 * (ending in a newline), a blank line, and one line per signature:
 * `— <name> <base64(key id ‖ signature)>`.
 */

const ED25519 = 0x01;
/** DER prefixes that wrap a raw Ed25519 seed (PKCS #8) and public key (SPKI) for node:crypto. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+=*)$/;

export interface Verifier {
  name: string;
  /** The key id: the first four bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), big-endian. */
  id: number;
  publicKey: Buffer;
  /** The verifier key string. */
  text: string;
}

export interface Signer extends Verifier {
  privateKey: KeyObject;
  /** The signer key string, the secret to back up. */
  secret: string;
}

/** A signer's public half, safe to hand to code that only verifies. */
export const publicHalf = ({ name, id, publicKey, text }: Verifier): Verifier => ({
  name,
  id,
  publicKey,
  text,
});

/** A key name: non-empty, no whitespace, no `+`. */
export const validKeyName = (name: string): boolean => /^[^\s+]+$/u.test(name);

function keyId(name: string, publicKey: Buffer): number {
  const digest = createHash('sha256')
    .update(`${name}\n`)
    .update(Buffer.from([ED25519]))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

const hex8 = (id: number) => id.toString(16).padStart(8, '0');

function verifierOf(name: string, publicKey: Buffer): Verifier {
  const id = keyId(name, publicKey);
  const text = `${name}+${hex8(id)}+${Buffer.concat([Buffer.from([ED25519]), publicKey]).toString('base64')}`;
  return { name, id, publicKey, text };
}

function signerOf(name: string, seed: Buffer): Signer {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicKey = createPublicKey(privateKey)
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_PREFIX.length);
  const verifier = verifierOf(name, Buffer.from(publicKey));
  const secret = `PRIVATE+KEY+${name}+${hex8(verifier.id)}+${Buffer.concat([Buffer.from([ED25519]), seed]).toString('base64')}`;
  return { ...verifier, privateKey, secret };
}

/** A new Ed25519 signer named `name`. */
export function generateSigner(name: string): Signer {
  if (!validKeyName(name)) throw new Error(`not a key name: ${JSON.stringify(name)}`);
  return signerOf(name, randomBytes(32));
}

/** `name+hexid+base64` split, its key bytes checked: type 0x01 and 32 bytes, the id matching. */
function parseKey(name: string, hexId: string, key: string): { name: string; bytes: Buffer } | null {
  if (!validKeyName(name) || !/^[0-9a-f]{8}$/.test(hexId)) return null;
  const raw = Buffer.from(key, 'base64');
  if (raw.toString('base64') !== key || raw.length !== 33 || raw[0] !== ED25519) return null;
  return { name, bytes: raw.subarray(1) };
}

/** `text` split at its first `count` plus signs: the base64 key at the end may hold more. */
function fields(text: string, count: number): string[] | null {
  const out: string[] = [];
  let rest = text.trim();
  for (let i = 0; i < count; i++) {
    const at = rest.indexOf('+');
    if (at < 0) return null;
    out.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  return [...out, rest];
}

/** A signer key string as a signer, or null when it is not one (or its id does not match). */
export function parseSigner(text: string): Signer | null {
  const parts = fields(text, 4);
  if (parts?.[0] !== 'PRIVATE' || parts[1] !== 'KEY') return null;
  const key = parseKey(parts[2] as string, parts[3] as string, parts[4] as string);
  if (!key) return null;
  const signer = signerOf(key.name, key.bytes);
  return hex8(signer.id) === parts[3] ? signer : null;
}

/** A verifier key string as a verifier, or null when it is not one (or its id does not match). */
export function parseVerifier(text: string): Verifier | null {
  const parts = fields(text, 2);
  if (!parts) return null;
  const key = parseKey(parts[0] as string, parts[1] as string, parts[2] as string);
  if (!key) return null;
  const verifier = verifierOf(key.name, key.bytes);
  return hex8(verifier.id) === parts[1] ? verifier : null;
}

/** The signed note of `text` (which must end in a newline). */
export function signNote(text: string, signer: Signer): string {
  if (!text.endsWith('\n')) throw new Error('a note text ends in a newline');
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  const id = Buffer.alloc(4);
  id.writeUInt32BE(signer.id);
  return `${text}\n\u2014 ${signer.name} ${Buffer.concat([id, signature]).toString('base64')}\n`;
}

/**
 * The text of a note that `verifier` signed, or null: malformed, or without a valid signature
 * by that key. Signatures by other keys are ignored, as the spec asks.
 */
export function openNote(note: string, verifier: Verifier): string | null {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return null;
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, verifier.publicKey]),
    format: 'der',
    type: 'spki',
  });
  let ok = false;
  for (const line of lines) {
    const m = SIGNATURE_LINE.exec(line);
    if (!m) return null;
    if (m[1] !== verifier.name) continue;
    const raw = Buffer.from(m[2] as string, 'base64');
    if (raw.length !== 68 || raw.readUInt32BE(0) !== verifier.id) continue;
    if (!verify(null, Buffer.from(text, 'utf8'), publicKey, raw.subarray(4))) return null;
    ok = true;
  }
  return ok ? text : null;
}
