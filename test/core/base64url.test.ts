import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { strictBase64url } from '../../src/core/base64url.js';
import { CursorSigner } from '../../src/core/cursor.js';
import { LinkSigner } from '../../src/core/links.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Every text one edit away from `text`: a character replaced, removed, or inserted. */
const edits = (text: string) =>
  fc
    .tuple(
      fc.nat(text.length),
      fc.constantFrom('replace', 'remove', 'insert'),
      fc.constantFrom(...ALPHABET, '=', '!', '.', ' ', '+', '/'),
    )
    .map(([at, kind, c]) =>
      kind === 'replace'
        ? text.slice(0, at) + c + text.slice(at + 1)
        : kind === 'remove'
          ? text.slice(0, at) + text.slice(at + 1)
          : text.slice(0, at) + c + text.slice(at),
    )
    .filter((edited) => edited !== text);

describe('strict base64url', () => {
  it('reads back exactly what toString("base64url") writes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64url');
        assert.deepEqual(strictBase64url(text), Buffer.from(bytes));
      }),
    );
  });

  it('refuses other spellings of the same bytes that Node’s decoder accepts', () => {
    const text = Buffer.from('sixteen bytes!!!').toString('base64url');
    // The last of 22 characters carries 2 bits of the 16 bytes: its lowest bit is padding.
    const last = ALPHABET[ALPHABET.indexOf(text.at(-1) as string) ^ 1] as string;
    for (const other of [
      `${text}=`,
      `!${text}`,
      `${text.slice(0, 5)} ${text.slice(5)}`,
      text.slice(0, -1) + last,
    ]) {
      assert.deepEqual(
        Buffer.from(other, 'base64url'),
        Buffer.from(text, 'base64url'),
        `${other} decodes alike`,
      );
      assert.equal(strictBase64url(other), null, other);
    }
  });

  it('a cursor or link token one edit away never verifies', () => {
    const cursors = new CursorSigner(Buffer.alloc(32, 7));
    const cursor = cursors.sign('acme', 'events', { order: 'desc', occurredAt: 1767225600123, seq: 42 });
    const links = new LinkSigner(Buffer.alloc(32, 9));
    const token = links.sign('acme', 'job-1', 2_000_000_000_000);
    fc.assert(
      fc.property(edits(cursor), (edited) => {
        assert.throws(() => cursors.verify('acme', 'events', edited), /cursor/);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(edits(token), (edited) => {
        assert.throws(() => links.verify(edited, 'job-1', 0), /link/);
      }),
      { numRuns: 500 },
    );
  });
});
