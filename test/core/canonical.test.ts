import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalEvent, canonicalJson, sealEvent } from '../../src/core/event/seal.js';

/** JSON values as an event can hold them: finite numbers, well-formed strings, any keys. */
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }).filter((s) => s.isWellFormed()),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.string({ unit: 'binary' }).filter((s) => s.isWellFormed()),
      tie('value'),
      {
        maxKeys: 6,
      },
    ),
  ),
})).value;

describe('canonical JSON against the RFC 8785 reference implementation', () => {
  it('writes every generated value exactly as the reference does', () => {
    fc.assert(
      fc.property(json, (v) => {
        assert.equal(canonicalJson(v), canonicalize(v));
      }),
      { seed: 8785, numRuns: 2000 },
    );
  });

  it('seals by concatenation exactly as canonicalising the stored event would', () => {
    const server = fc.record({
      tenant: fc.string({ minLength: 1 }).filter((s) => s.isWellFormed()),
      seq: fc.integer({ min: 1 }),
      received_at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    });
    // Keys around and equal to the server's, where the cuts fall.
    const key = fc.oneof(
      fc.constantFrom(
        'tenant',
        'seq',
        'received_at',
        'action',
        'r',
        'received',
        'sea',
        'seqs',
        'tenants',
        'z',
      ),
      fc.string().filter((s) => s.isWellFormed()),
    );
    const event = fc.dictionary(key, json, { maxKeys: 12 });
    fc.assert(
      fc.property(event, server, (e, s) => {
        const { json: content, template } = canonicalEvent(e);
        const { tenant: _t, seq: _s, received_at: _r, ...client } = e;
        assert.equal(content, canonicalize(client));
        assert.equal(
          sealEvent(template, s.tenant, s.seq, s.received_at).body,
          canonicalize({ ...client, ...s }),
        );
      }),
      { seed: 9162, numRuns: 2000 },
    );
  });
});
