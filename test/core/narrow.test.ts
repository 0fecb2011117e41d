import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { andFilters, MATCHES_NOTHING } from '../../src/core/narrow.js';
import type { EventFilter } from '../../src/core/query.js';
import { matches, type StoredEvent } from '../store/catalogue-cases.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
const some = <T>(values: readonly T[]) => fc.subarray([...values], { minLength: 1 });

const ACTORS = ['ann', 'bob', 'cy'] as const;
const IPS = ['10.0.0.1', '10.0.0.2', '2001:db8::1'] as const;
const WORDS = ['alpha', 'beta', 'gamma', 'delta'] as const;
const ATTRIBUTES = ['app', 'group', 'role'] as const;
const ACTIONS = ['user.login', 'user.logout', 'doc.read'] as const;

/** Events over small domains, so random filters often select some of them and not others. */
const eventArb = fc
  .record({
    seq: fc.integer({ min: 1, max: 20 }),
    minute: fc.integer({ min: 0, max: 20 }),
    action: pick(ACTIONS),
    actor: pick(ACTORS),
    login: fc.option(pick(ACTORS), { nil: undefined }),
    ips: some(IPS),
    attributes: fc.subarray([...ATTRIBUTES]),
    words: fc.subarray([...WORDS]),
    automatic: fc.boolean(),
    privileged: fc.boolean(),
    outcome: pick(['success', 'failure'] as const),
    result: fc.option(pick(['Success', 'Failure', 'Partial']), { nil: undefined }),
  })
  .map(
    (e): StoredEvent => ({
      seq: e.seq,
      occurred_at: new Date(T0 + e.minute * 60_000).toISOString(),
      action: e.action,
      actor: { id: e.actor, ...(e.login ? { login: e.login } : {}), privileged: e.privileged },
      source: { ip: e.ips },
      attributes: e.attributes.map((type) => ({ type })),
      description: e.words.join(' '),
      automatic: e.automatic,
      outcome: e.outcome,
      ...(e.result ? { auth: { result: e.result } } : {}),
    }),
  );

/** Filters of every member but `all`, each often absent. */
const flatFilterArb = fc.record(
  {
    fields: fc.record(
      { actor_id: some(ACTORS), ip: some(IPS), attribute_type: some(ATTRIBUTES) },
      { requiredKeys: [] },
    ),
    from: fc.integer({ min: 0, max: 20 }).map((m) => T0 + m * 60_000),
    to: fc.integer({ min: 0, max: 20 }).map((m) => T0 + m * 60_000),
    q: fc.oneof(
      some(WORDS).map((w) => w.join(' ')),
      fc.constant('!!!'),
    ),
    actionPrefix: pick(['u', 'user.', 'user.log', 'user.login', 'doc', 'd', 'x']),
    minSeq: fc.integer({ min: 1, max: 20 }),
    maxSeq: fc.integer({ min: 1, max: 20 }),
    actorIdOrLogin: some(ACTORS),
    automatic: fc.boolean(),
    privileged: fc.boolean(),
    result: pick(['Success', 'Failure', 'Partial']),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<EventFilter>;

/** Filters with every member EventFilter has, `all` holding flat ones. */
const filterArb: fc.Arbitrary<EventFilter> = fc
  .tuple(flatFilterArb, fc.option(fc.array(flatFilterArb, { maxLength: 2 }), { nil: undefined }))
  .map(([f, all]) => (all === undefined ? f : { ...f, all }));

describe('andFilters', () => {
  it('selects exactly the events both filters select (random filters, random events)', () => {
    fc.assert(
      fc.property(
        filterArb,
        filterArb,
        fc.array(eventArb, { minLength: 1, maxLength: 8 }),
        (a, b, events) => {
          const both = andFilters(a, b);
          for (const e of events) assert.equal(matches(both, e), matches(a, e) && matches(b, e));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('per field, the values both allow; nothing when none', () => {
    assert.deepEqual(
      andFilters(
        { fields: { actor_id: ['ann', 'bob'] } },
        { fields: { actor_id: ['bob', 'cy'], action: ['x'] } },
      ),
      { fields: { actor_id: ['bob'], action: ['x'] } },
    );
    assert.deepEqual(
      andFilters({ fields: { actor_id: ['ann'] } }, { fields: { actor_id: ['bob'] } }),
      MATCHES_NOTHING,
    );
  });

  it('bounds: the later from, the earlier to, the narrower seq range', () => {
    assert.deepEqual(
      andFilters({ from: 5, to: 50, minSeq: 2, maxSeq: 9 }, { from: 7, to: 40, minSeq: 1, maxSeq: 20 }),
      {
        from: 7,
        to: 40,
        minSeq: 2,
        maxSeq: 9,
      },
    );
  });

  it('full text: the terms of both, the first filter’s first; none matches nothing', () => {
    assert.deepEqual(andFilters({ q: 'alpha' }, { q: 'beta gamma' }), { q: 'alpha beta gamma' });
    assert.deepEqual(andFilters({ q: 'alpha' }, { q: '!!!' }), MATCHES_NOTHING);
    // Past 16 terms one q would drop the second's unread: it is kept whole, to hold as well.
    const many = Array.from({ length: 16 }, (_, i) => `t${i}`).join(' ');
    assert.deepEqual(andFilters({ q: many }, { q: 'beta' }), { q: many, all: [{ q: 'beta' }] });
  });

  it('a field an event holds several values of: the smaller list when one holds the other, else both', () => {
    assert.deepEqual(
      andFilters({ fields: { ip: ['10.0.0.1', '10.0.0.2'] } }, { fields: { ip: ['10.0.0.1'] } }),
      { fields: { ip: ['10.0.0.1'] } },
    );
    // An event with both IPs matches each list; no list of one member selects it and only it.
    assert.deepEqual(andFilters({ fields: { ip: ['10.0.0.1'] } }, { fields: { ip: ['2001:db8::1'] } }), {
      fields: { ip: ['10.0.0.1'] },
      all: [{ fields: { ip: ['2001:db8::1'] } }],
    });
    assert.deepEqual(andFilters({ actorIdOrLogin: ['ann'] }, { actorIdOrLogin: ['bob'] }), {
      actorIdOrLogin: ['ann'],
      all: [{ actorIdOrLogin: ['bob'] }],
    });
  });

  it('action prefixes: the longer when one extends the other, else nothing', () => {
    assert.deepEqual(andFilters({ actionPrefix: 'user.' }, { actionPrefix: 'user.log' }), {
      actionPrefix: 'user.log',
    });
    assert.deepEqual(andFilters({ actionPrefix: 'user.login' }, { actionPrefix: 'user.' }), {
      actionPrefix: 'user.login',
    });
    assert.deepEqual(andFilters({ actionPrefix: 'user.' }, { actionPrefix: 'doc.' }), MATCHES_NOTHING);
  });

  it('flags and results: the same value, else nothing', () => {
    assert.deepEqual(andFilters({ automatic: true }, { automatic: true, privileged: false }), {
      automatic: true,
      privileged: false,
    });
    assert.deepEqual(andFilters({ automatic: true }, { automatic: false }), MATCHES_NOTHING);
    assert.deepEqual(andFilters({ result: 'Success' }, { result: 'Failure' }), MATCHES_NOTHING);
  });

  it('an empty list of values is no condition, as the stores read it', () => {
    assert.deepEqual(andFilters({ fields: { actor_id: [] } }, { fields: { actor_id: ['ann'] } }), {
      fields: { actor_id: ['ann'] },
    });
  });

  it('leaves its arguments as they were', () => {
    const a: EventFilter = { fields: { actor_id: ['ann', 'bob'] }, all: [{ q: 'x' }] };
    const b: EventFilter = { fields: { actor_id: ['bob'] }, all: [{ q: 'y' }] };
    const copies = structuredClone([a, b]);
    andFilters(a, b);
    assert.deepEqual([a, b], copies);
    assert.ok(Object.isFrozen(MATCHES_NOTHING));
  });
});
