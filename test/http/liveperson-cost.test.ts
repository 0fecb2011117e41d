// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { event, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest } from '../helpers/jobs.js';

/**
 * What one LivePerson GraphQL document may cost (rows asked for × fields selected, aliases and
 * fragments expanded) and how large an answer it may build: both refused with a 400 in the
 * LivePerson envelope, the cost before anything is read.
 */
const URL = '/api/account/acme/configuration/metadata/audit';
const BIG = 8000;

/** `n` aliases of `field`: `a0: field a1: field …`. */
const aliases = (n: number, field = 'oldValue') =>
  Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');

/** Events of one change each whose old and new values are `value`. */
const bigEvents = (n: number, value: string, type = 'Big') =>
  Array.from({ length: n }, (_, i) =>
    event({
      occurred_at: new Date(Date.UTC(2026, 2, 1) + i * 1000).toISOString(),
      target: { type, name: `n${i}` },
      changes: [{ field: 'f', old: [value], new: [value] }],
    }),
  );

async function appWith(env: Record<string, string>, events: Record<string, unknown>[]) {
  const t = await startTestApp(env);
  const key = await t.tenantWithKey('acme');
  await ingest(t, key, events);
  const post = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
    t.app.inject({
      method: 'POST',
      url: URL,
      headers: { authorization: `Bearer ${key}` },
      payload: { query, ...(variables ? { variables } : {}), ...(operationName ? { operationName } : {}) },
    });
  return { t, post };
}

type Post = Awaited<ReturnType<typeof appWith>>['post'];

/** Asserts a 400 in LivePerson's envelope whose one message matches, with no total. */
async function refused(post: Promise<Awaited<ReturnType<Post>>>, pattern: RegExp) {
  const res = await post;
  assert.equal(res.statusCode, 400, res.body.slice(0, 300));
  const body = res.json<{ errors: { message: string }[] }>();
  assert.deepEqual(Object.keys(body), ['errors']);
  assert.equal(body.errors.length, 1, res.body);
  assert.match(body.errors[0]?.message ?? '', pattern);
  assert.equal(res.headers['x-total-count'], undefined);
}

async function answered(post: Promise<Awaited<ReturnType<Post>>>, rows: number) {
  const res = await post;
  assert.equal(res.statusCode, 200, res.body.slice(0, 300));
  assert.equal(res.json<{ data: { auditData: unknown[] } }>().data.auditData.length, rows);
  return res;
}

describe('LivePerson query cost, default limits', () => {
  let t: TestApp;
  let post: Post;

  before(async () => {
    ({ t, post } = await appWith({}, bigEvents(40, 'o'.repeat(BIG))));
  });
  after(() => t.close());

  it('refuses the alias attack (first: 1000 × 64 aliases of oldValue) before it runs', async () => {
    await refused(
      post(`{ auditData(first: 1000) { ${aliases(64)} } }`),
      /^The query costs 64000 \(rows asked for × fields selected\), more than the limit of 20000; ask for fewer rows \(first\) or fields\.$/,
    );
    // The same fields over fewer rows fit.
    await answered(post(`{ auditData(first: 300) { ${aliases(64, 'element')} } }`), 40);
  });

  it('refuses more than 64 fields per row, however few rows', async () => {
    await refused(
      post(`{ auditData(first: 1) { ${aliases(65)} } }`),
      /^auditData selects 65 fields per row \(aliases and fragments counted\); at most 64\.$/,
    );
    await refused(post(`{ auditData(first: 0) { ${aliases(100)} } }`), /selects 100 fields per row/);
    await answered(post(`{ auditData(first: 1) { ${aliases(64)} } }`), 1);
    // Each spread counts (GraphQL would merge them): 2^12 fields in a few lines.
    const doubling = Array.from(
      { length: 12 },
      (_, i) => `fragment F${i + 1} on AuditData { ...F${i} ... on AuditData { ...F${i} } }`,
    );
    await refused(
      post(`{ auditData(first: 1) { ...F12 } } fragment F0 on AuditData { element } ${doubling.join(' ')}`),
      /selects 4096 fields per row/,
    );
  });

  it('counts first from literals, variables and its default, and every field through fragments', async () => {
    // Seven fields, spread three times (named, inside an inline fragment, inside another named
    // fragment): 21 per row.
    const doc = `query Q($n: Int!) { auditData(first: $n) { ...Seven ... on AuditData { ...Seven } ...Again } }
      fragment Seven on AuditData { element a: oldValue b: oldValue newValue objectName objectType accountId }
      fragment Again on AuditData { ...Seven }`;
    await refused(post(doc, { n: 1000 }), /costs 21000 .* limit of 20000/);
    await answered(post(doc, { n: 952 }), 40);
    // Exactly at the limit is allowed: 1000 × 20.
    await answered(post(`{ auditData(first: 1000) { ${aliases(20, 'element')} } }`), 40);
    await refused(post(`{ auditData(first: 1000) { ${aliases(21, 'element')} } }`), /costs 21000/);
    // A query-level fragment holds auditData as well.
    await refused(
      post(`query($n: Int = 1000) { ...Q } fragment Q on Query { auditData(first: $n) { ${aliases(21)} } }`),
      /costs 21000/,
    );
    // Variables are checked as execute checks them; an out-of-range first is the resolver's own 400.
    const one = 'query($n: Int!) { auditData(first: $n) { element } }';
    await refused(post(one, { n: 'many' }), /\$n/);
    await refused(post(one, { n: null }), /\$n/);
    await refused(post(one, { n: 2_000_000 }), /first must be between 0 and 1000/);
  });

  it('costs only the operation that runs', async () => {
    const doc = `query Big { auditData(first: 1000) { ${aliases(30)} } } query Small { auditData(first: 2) { element } }`;
    await answered(post(doc, undefined, 'Small'), 2);
    await refused(post(doc, undefined, 'Big'), /costs 30000/);
  });
});

describe('LivePerson query cost and answer bytes, tight limits', () => {
  let t: TestApp;
  let post: Post;

  before(async () => {
    ({ t, post } = await appWith({ TRAILKEEP_GRAPHQL_COST: '100', TRAILKEEP_ANSWER_BYTES: '65536' }, [
      ...bigEvents(20, 'o'.repeat(BIG), 'Ascii'),
      // 4,000 characters, 8,000 bytes of UTF-8.
      ...bigEvents(20, 'é'.repeat(BIG / 2), 'Accented'),
    ]));
  });
  after(() => t.close());

  it('applies first’s default of 50 to the cost', async () => {
    await answered(post('{ auditData { element accountId } }'), 40);
    await refused(post('{ auditData { element accountId objectType } }'), /costs 150 .* limit of 100;/);
  });

  it('refuses an answer larger than TRAILKEEP_ANSWER_BYTES, aliases included', async () => {
    const ascii = 'componentTypes: ["Ascii"]';
    await answered(post(`{ auditData(${ascii}, first: 5) { oldValue } }`), 5);
    await refused(
      post(`{ auditData(${ascii}, first: 10) { oldValue } }`),
      /^The answer would be \d+ bytes, more than the limit of 65536; ask for fewer rows \(first\) or fields\.$/,
    );
    await refused(
      post(`{ auditData(${ascii}, first: 5) { oldValue again: oldValue } }`),
      /more than the limit/,
    );
    await refused(
      post(
        `{ auditData(${ascii}, first: 5) { ...V ...W } } fragment V on AuditData { oldValue } fragment W on AuditData { newValue }`,
      ),
      /more than the limit/,
    );
  });

  it('counts the answer in bytes, not characters', async () => {
    const accented = 'componentTypes: ["Accented"]';
    // 10 × 4,000 characters fit in 64 KiB; 10 × 8,000 bytes do not.
    await refused(post(`{ auditData(${accented}, first: 10) { newValue } }`), /more than the limit of 65536/);
    const res = await answered(post(`{ auditData(${accented}, first: 7) { newValue } }`), 7);
    assert.ok(res.rawPayload.length > 7 * BIG && res.rawPayload.length < 65536);
  });
});
