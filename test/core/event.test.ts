import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TrailkeepError } from '../../src/core/errors.js';
import { prepareBatch, prepareEvent, validateEvent } from '../../src/core/event/prepare.js';
import type { EventInput } from '../../src/core/event/schema.js';
import { canonicalJson, sealEvent, sha256Hex, verifyEvent, withHash } from '../../src/core/event/seal.js';
import { searchTerms, tokenize } from '../../src/core/query.js';
import { jsonExceeds, MAX_PROBLEMS, Problems } from '../../src/core/schema.js';

const base: EventInput = { occurred_at: '2026-01-02T03:04:05.6+01:00', action: 'Create' };

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and formats numbers as ECMAScript does', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1e21, 0.000001, -0], c: 'é\u2028' }, '\u20ac': 1, '\r': 2 }),
      '{"\\r":2,"a":{"c":"é\u2028","d":[1e+21,0.000001,0]},"b":1,"€":1}',
    );
  });
});

describe('validateEvent', () => {
  it('accepts the minimal event', () => {
    assert.deepEqual(validateEvent(base, '$').problems, []);
  });
  it('reports every problem with its JSON path', () => {
    const r = validateEvent(
      { action: 'x'.repeat(201), actor: { id: 1, nick: 'n' }, changes: 'many' },
      '$.events[2]',
    );
    assert.deepEqual(r.problems.map((p) => p.path).sort(), [
      '$.events[2].action',
      '$.events[2].actor.id',
      '$.events[2].actor.nick',
      '$.events[2].changes',
      '$.events[2].occurred_at',
    ]);
  });
  it('rejects non-objects', () => {
    for (const v of [null, 1, 'x', []]) assert.equal(validateEvent(v, '$').problems[0]?.path, '$');
  });
  it('rejects date-times that would not come back as RFC 3339 in UTC', () => {
    assert.equal(
      validateEvent({ ...base, occurred_at: '9999-12-31T23:59:59-01:00' }, '$').problems[0]?.path,
      '$.occurred_at',
    );
    assert.deepEqual(validateEvent({ ...base, occurred_at: '9999-12-31T23:59:59Z' }, '$').problems, []);
  });
  it('rejects a date-time without a zone', () => {
    assert.equal(
      validateEvent({ ...base, occurred_at: '2026-01-02T03:04:05' }, '$').problems[0]?.path,
      '$.occurred_at',
    );
  });
  it('limits context keys and changes', () => {
    const context = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    assert.equal(validateEvent({ ...base, context }, '$').problems[0]?.path, '$.context');
    const changes = Array.from({ length: 1001 }, () => ({ field: 'f' }));
    assert.equal(validateEvent({ ...base, changes }, '$').problems[0]?.path, '$.changes');
  });
});

describe('prepareEvent', () => {
  it('fills defaults, normalises time to UTC milliseconds and assigns a UUIDv7', () => {
    const p = prepareEvent(base);
    const stored = JSON.parse(sealEvent(p.template, 't', 1, '2026-01-02T02:04:06.000Z').body);
    assert.equal(stored.occurred_at, '2026-01-02T02:04:05.600Z');
    assert.equal(p.occurredAt, Date.parse('2026-01-02T02:04:05.600Z'));
    assert.deepEqual(
      [stored.category, stored.outcome, stored.level, stored.automatic],
      ['admin', 'success', 'user', false],
    );
    assert.equal(stored.id, p.id);
    assert.match(p.id, /^[0-9a-f-]{14}7/);
  });
  it('gives equal content the same digest and different content another', () => {
    const a = prepareEvent({ ...base, id: 'x', actor: { id: 'u', name: 'n' } });
    const b = prepareEvent({
      actor: { name: 'n', id: 'u' },
      id: 'x',
      action: 'Create',
      occurred_at: '2026-01-02T02:04:05.600Z',
    });
    const c = prepareEvent({ ...base, id: 'x', actor: { id: 'u', name: 'N' } });
    assert.equal(a.digest, b.digest, 'key order and time notation do not matter');
    assert.notEqual(a.digest, c.digest);
  });
  it('indexes filter fields and gathers searchable text', () => {
    const p = prepareEvent({
      ...base,
      actor: { id: 'u1', name: 'Alice' },
      target: { type: 'user', id: 'u2', name: 'Bob' },
      source: { ip: ['10.0.0.1', '10.0.0.1', '::1'] },
      changes: [{ field: 'role', old: ['Admin'], new: ['Agent'] }],
      description: 'Role changed',
    });
    assert.deepEqual(p.index.ips, ['10.0.0.1', '::1']);
    assert.equal(p.index.actor_id, 'u1');
    assert.equal(p.index.text, 'role changed alice bob admin agent');
  });
});

describe('prepareBatch', () => {
  it('rejects the whole batch with every problem', () => {
    assert.throws(
      () => prepareBatch([base, { action: 'x' }, base, { occurred_at: 'x' }], (i) => `$[${i}]`),
      (e: unknown) =>
        e instanceof TrailkeepError &&
        e.code === 'invalid_event' &&
        JSON.stringify(e.details) ===
          JSON.stringify([
            { path: '$[1].occurred_at', message: 'is required' },
            { path: '$[3].action', message: 'is required' },
            { path: '$[3].occurred_at', message: 'must be a valid date-time' },
          ]),
    );
  });
});

describe('bounded problems', () => {
  it('names the first MAX_PROBLEMS and counts the rest in one last problem', () => {
    const out = new Problems();
    for (let i = 0; i < 12_445; i++) out.add(`$[${i}]`, 'is wrong');
    const list = out.list();
    assert.equal(out.count, 12_445);
    assert.equal(list.length, MAX_PROBLEMS + 1);
    assert.deepEqual(list.at(-1), { path: '$', message: 'and 12,345 more problems' });
    const few = new Problems();
    few.add('$.a', 'is wrong');
    assert.deepEqual(few.list(), [{ path: '$.a', message: 'is wrong' }]);
  });

  it('validates events of millions of parts without overflowing the stack', () => {
    const changes = Array.from({ length: 1_000_000 }, () => 0);
    const keys = Object.fromEntries(Array.from({ length: 400_000 }, (_, i) => [`k${i}`, 0]));
    for (const input of [
      { ...base, changes },
      { ...base, ...keys },
    ]) {
      const { problems } = validateEvent(input, '$');
      assert.ok(problems.length <= MAX_PROBLEMS + 1, `${problems.length} problems`);
      assert.match(problems.at(-1)?.message ?? '', /more than 65536 bytes/);
    }
    assert.throws(
      () =>
        prepareBatch(
          Array.from({ length: 1000 }, () => ({ action: 1 })),
          (i) => `$[${i}]`,
        ),
      (e: unknown) =>
        e instanceof TrailkeepError &&
        Array.isArray(e.details) &&
        e.details.length === MAX_PROBLEMS + 1 &&
        e.details.at(-1)?.message === 'and 1,900 more problems',
    );
  });

  it('sizes JSON from below, stopping at the bound, at any depth', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.equal(jsonExceeds(deep, 1_000_000), false);
    assert.equal(jsonExceeds(deep, 100_000), true);
    for (const v of [base, { a: [1, 'é', null, true, { b: '' }] }, 'x'.repeat(50)]) {
      const bytes = Buffer.byteLength(JSON.stringify(v));
      assert.equal(jsonExceeds(v, bytes), false, JSON.stringify(v));
    }
    assert.equal(jsonExceeds({ a: 'x'.repeat(100) }, 100), true);
  });

  it('refuses __proto__ keys and ids that read as a seq, whoever parsed the JSON', () => {
    const input = JSON.parse(
      '{"occurred_at":"2026-01-01T00:00:00Z","action":"x","id":"7","context":{"__proto__":"x"}}',
    );
    assert.deepEqual(
      validateEvent(input, '$').problems.map((p) => p.path),
      ['$.context.__proto__'],
    );
    assert.deepEqual(
      validateEvent({ ...base, id: '7' }, '$').problems.map((p) => p.path),
      ['$.id'],
    );
  });
});

describe('sealing', () => {
  it('hashes the canonical stored event, and detects any change', () => {
    const input = { ...base, id: 'e1', actor: { id: 'u', name: 'Ünï' }, context: { z: '1', a: '2' } };
    const p = prepareEvent(input);
    const { body, hash } = sealEvent(p.template, 'acme', 7, '2026-01-02T02:04:06.000Z');
    const normalised = {
      ...input,
      occurred_at: '2026-01-02T02:04:05.600Z',
      category: 'admin',
      outcome: 'success',
      level: 'user',
      automatic: false,
    };
    assert.equal(p.digest, sha256Hex(canonicalJson(normalised)));
    assert.equal(
      body,
      canonicalJson({ ...normalised, tenant: 'acme', seq: 7, received_at: '2026-01-02T02:04:06.000Z' }),
    );
    assert.equal(hash, sha256Hex(body));
    const returned = JSON.parse(withHash(body, hash)) as Record<string, unknown>;
    assert.equal(returned.seq, 7);
    assert.ok(verifyEvent(returned));
    assert.ok(!verifyEvent({ ...returned, action: 'Delete' }));
    assert.ok(!verifyEvent({ ...returned, seq: 8 }));
    assert.ok(
      !verifyEvent({
        ...returned,
        hash: hash.replace(/.$/, '0') === hash ? hash.replace(/.$/, '1') : hash.replace(/.$/, '0'),
      }),
    );
  });
});

describe('tokenize', () => {
  it('gives ASCII text, on its fast path, the terms the Unicode path gives', () => {
    // A trailing " é" sends the same text down the Unicode path and adds one term, "e".
    fc.assert(
      fc.property(
        fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)) }),
        (s) => {
          assert.deepEqual(tokenize(`${s} é`), [...tokenize(s), 'e']);
        },
      ),
      { seed: 1, numRuns: 1000 },
    );
  });
  it('folds accents and case, and splits on anything but letters, digits and _', () => {
    assert.deepEqual(tokenize('Crème-Brûlée ADA@example.com snake_case 42'), [
      'creme',
      'brulee',
      'ada',
      'example',
      'com',
      'snake_case',
      '42',
    ]);
    assert.deepEqual(searchTerms('a A a b'), ['a', 'b']);
  });
});
