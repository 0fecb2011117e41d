import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CursorSigner } from '../../src/core/cursor.js';

describe('CursorSigner', () => {
  const signer = new CursorSigner(Buffer.alloc(32, 7));
  const state = { order: 'desc' as const, occurredAt: 1767225600123, seq: 42 };

  it('round-trips a position', () => {
    assert.deepEqual(signer.verify('acme', 'events', signer.sign('acme', 'events', state)), state);
  });
  it('binds the cursor to its tenant, scope and key', () => {
    const c = signer.sign('acme', 'events', state);
    assert.throws(() => signer.verify('globex', 'events', c), /cursor/);
    assert.throws(() => signer.verify('acme', 'query:j1', c), /cursor/);
    assert.throws(() => new CursorSigner(Buffer.alloc(32, 8)).verify('acme', 'events', c), /cursor/);
  });
  it('rejects edits and garbage', () => {
    const c = signer.sign('acme', 'events', state);
    const [p, m] = c.split('.');
    const edited = `${Buffer.from('d.1767225600123.43').toString('base64url')}.${m}`;
    for (const bad of [edited, `${p}.`, '', '.', 'a.b.c', `${p}.${m}x`]) {
      assert.throws(() => signer.verify('acme', 'events', bad), /cursor/, bad);
    }
  });
});
