import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { TrailkeepError } from '../../src/core/errors.js';
import { type PreparedEvent, prepareEvent } from '../../src/core/event/prepare.js';
import type { EventInput } from '../../src/core/event/schema.js';
import { canonicalJson, sha256Hex } from '../../src/core/event/seal.js';
import { andFilters } from '../../src/core/narrow.js';
import type { EventFilter, EventQuery } from '../../src/core/query.js';
import type {
  ExportFileRef,
  ExportFileWriter,
  JobAdmitted,
  JobOutcome,
  Store,
} from '../../src/store/types.js';
import { catalogueRows, type FilterCase, matches, type StoredEvent } from './catalogue-cases.js';
import { logCases } from './log-cases.js';
import { streamCases } from './stream-cases.js';

export interface EngineUnderTest {
  store: Store;
  /** Closes the store and removes what the engine created. */
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-01-01T00:00:00Z');
const minute = 60_000;

const ev = (n: number, over: Partial<EventInput> = {}): PreparedEvent =>
  prepareEvent({
    id: `e${n}`,
    occurred_at: new Date(T0 + n * minute).toISOString(),
    action: n % 2 ? 'update' : 'create',
    actor: {
      id: `u${n % 3}`,
      type: n % 3 ? 'user' : 'system',
      name: `User ${n % 3}`,
      ...(n % 6 === 0 ? { home_org_id: 'org-trustee' } : {}),
      ...(n % 4 === 1 ? { login: `login${n % 8}` } : {}),
      ...(n % 6 === 1 ? { privileged: true } : {}),
    },
    target: { type: n % 4 ? 'ticket' : 'user', id: `t${n % 5}` },
    service: n % 2 ? 'billing' : 'directory',
    client: { id: `c${n % 2}` },
    source: {
      ip: [`10.0.0.${n % 3}`, '2001:db8::1'],
      session_id: `s${n % 2}`,
      trace_id: `tr${n}`,
      token_id: `tok${n % 4}`,
      ...(n % 3 === 0 ? { request_id: `req${n}` } : {}),
    },
    ...(n % 7 === 0
      ? {
          auth: {
            event: 'login',
            stage: n % 2 ? 'password' : 'mfa',
            result: n % 14 === 0 ? 'Failure' : 'Success',
            upstream_idp: 'google',
            upstream_user_id: `up${n}`,
            login_org_id: 'org-login',
          },
        }
      : {}),
    ...(n % 5 === 0
      ? {
          attributes: [
            { type: 'app', id: `app${n % 3}`, org_id: 'o1' },
            { type: 'group', id: 'g1' },
          ],
        }
      : {}),
    transaction_id: `tx${Math.floor(n / 3)}`,
    outcome: n % 5 === 0 ? 'failure' : 'success',
    category: n % 7 === 0 ? 'auth' : 'admin',
    description: n === 7 ? 'Role changed from Admin to Agent' : `event number ${n}`,
    changes:
      n === 9
        ? [{ field: 'plan', old: ['basic'], new: ['enterprise'] }]
        : n % 11 === 2
          ? ['a', 'b', 'c'].map((field) => ({ field, new: [`${field}${n}`] }))
          : n === 10
            ? []
            : undefined,
    ...(n % 10 === 3 ? { automatic: true } : {}),
    ...over,
  } as EventInput);

/** Writes `data` in uneven pieces (1 byte to ~1.3 MiB), waiting for 'drain' whenever asked to. */
async function writeAll(writer: ExportFileWriter, data: Buffer): Promise<void> {
  const sizes = [1, 300_000, 7, 1_400_000, 65_536];
  for (let at = 0, i = 0; at < data.length; i++) {
    const end = Math.min(data.length, at + (sizes[i % sizes.length] as number));
    if (!writer.stream.write(data.subarray(at, end))) await once(writer.stream, 'drain');
    at = end;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts);
}

const rejectsWith = async (p: Promise<unknown>, code: string) =>
  assert.rejects(p, (e: unknown) => e instanceof TrailkeepError && e.code === code);

/**
 * The one behavioural contract of a Store. Every engine runs this same file unchanged:
 * `storeConformance('sqlite', openSqlite)`.
 */
export function storeConformance(engine: string, open: () => Promise<EngineUnderTest>): void {
  describe(`store conformance: ${engine}`, () => {
    let under: EngineUnderTest;
    let store: Store;
    const N = 40;
    const seqOf = (rows: { json: string }[]) => rows.map((r) => (JSON.parse(r.json) as { seq: number }).seq);
    const list = (q: Partial<EventQuery>, tenant = 'acme') =>
      store.events.list(tenant, { order: 'asc', limit: 1000, ...q });
    /** Seqs the reference model says match: event n has seq n (appended in order below). */
    const expected = (pred: (n: number) => boolean) =>
      Array.from({ length: N }, (_, i) => i + 1).filter(pred);

    before(async () => {
      under = await open();
      store = under.store;
      await store.tenants.create({ id: 'acme', name: 'Acme' }, T0);
      await store.tenants.create({ id: 'globex', name: 'Globex' }, T0);
      const batch = Array.from({ length: N }, (_, i) => ev(i + 1));
      await store.events.append('acme', batch.slice(0, 15), T0);
      await store.events.append('acme', batch.slice(15), T0 + 1);
      await store.events.append('globex', [ev(1, { action: 'globex-only' })], T0);
    });
    // close() is idempotent: cleanup() closes the store once more.
    after(async () => {
      await store.close();
      await under.cleanup();
    });

    describe('migrations and settings', () => {
      it('migrate is idempotent', async () => {
        await store.migrate();
        await store.migrate();
        await store.ping();
      });
      it('putIfAbsent keeps the first value', async () => {
        assert.equal(await store.settings.get('k'), null);
        assert.equal(await store.settings.putIfAbsent('k', 'one'), 'one');
        assert.equal(await store.settings.putIfAbsent('k', 'two'), 'one');
        await store.settings.put('k', 'three');
        assert.equal(await store.settings.get('k'), 'three');
      });
    });

    describe('tenants and credentials', () => {
      it('creates, gets and lists tenants; a duplicate id conflicts', async () => {
        await rejectsWith(store.tenants.create({ id: 'acme', name: 'Again' }, T0), 'conflict');
        assert.equal((await store.tenants.get('acme'))?.name, 'Acme');
        assert.equal(await store.tenants.get('nope'), null);
        assert.deepEqual(
          (await store.tenants.list()).map((t) => t.id),
          ['acme', 'globex'],
        );
      });
      it('a new tenant records viewer reads; update changes what it is given, and only that tenant', async () => {
        const made = await store.tenants.create({ id: 'settings', name: 'Settings' }, T0);
        const first = {
          id: 'settings',
          name: 'Settings',
          created_at: new Date(T0).toISOString(),
          record_viewer_reads: true,
        };
        assert.deepEqual(made, first);
        assert.deepEqual(await store.tenants.get('settings'), first);
        const off = await store.tenants.update('settings', { record_viewer_reads: false });
        assert.deepEqual(off, { ...first, record_viewer_reads: false });
        assert.deepEqual(await store.tenants.get('settings'), off, 'as read back');
        const renamed = await store.tenants.update('settings', { name: 'Renamed' });
        assert.deepEqual(
          renamed,
          { ...first, name: 'Renamed', record_viewer_reads: false },
          'the flag stays',
        );
        assert.deepEqual(await store.tenants.update('settings', {}), renamed, 'no change');
        assert.deepEqual(
          await store.tenants.update('settings', { record_viewer_reads: true, name: 'Settings' }),
          first,
        );
        assert.equal(await store.tenants.update('nope', { record_viewer_reads: false }), null);
        assert.equal(await store.tenants.get('nope'), null, 'update creates nothing');
        assert.equal(
          (await store.tenants.get('acme'))?.record_viewer_reads,
          true,
          'another tenant is untouched',
        );
        await store.tenants.update('settings', { record_viewer_reads: false });
        assert.deepEqual(
          (await store.tenants.list()).map((t) => [t.id, t.record_viewer_reads]),
          [
            ['acme', true],
            ['globex', true],
            ['settings', false],
          ],
        );
      });
      it('stores credentials by id, lists per tenant and kind, revokes once', async () => {
        const base = { tenant: 'acme', name: 'ci', scopes: ['events:read'], secret_hash: 'ab'.repeat(32) };
        await store.credentials.create({ ...base, id: 'key_1', kind: 'key' }, T0);
        await store.credentials.create({ ...base, id: 'cli_1', kind: 'oauth_client' }, T0);
        const found = await store.credentials.find('key_1');
        assert.equal(found?.secret_hash, base.secret_hash);
        assert.deepEqual(found?.scopes, ['events:read']);
        assert.deepEqual(
          (await store.credentials.list('acme', 'key')).map((c) => c.id),
          ['key_1'],
        );
        assert.deepEqual(await store.credentials.list('globex', 'key'), []);
        assert.equal(await store.credentials.revoke('globex', 'key', 'key_1', T0), false, 'other tenant');
        assert.equal(
          await store.credentials.revoke('acme', 'oauth_client', 'key_1', T0),
          false,
          'other kind',
        );
        assert.equal(await store.credentials.revoke('acme', 'key', 'key_1', T0), true);
        assert.equal(await store.credentials.revoke('acme', 'key', 'key_1', T0), false, 'already revoked');
        assert.ok((await store.credentials.find('key_1'))?.revoked_at);
      });
      it('keeps operator-level credentials (tenant null) apart from every tenant', async () => {
        const record = {
          id: 'opk_1',
          tenant: null,
          kind: 'key' as const,
          name: 'saas',
          scopes: ['events:write'],
        };
        await store.credentials.create({ ...record, secret_hash: 'cd'.repeat(32) }, T0);
        assert.equal((await store.credentials.find('opk_1'))?.tenant, null);
        assert.deepEqual(
          (await store.credentials.list(null, 'key')).map((c) => c.id),
          ['opk_1'],
        );
        assert.ok(!(await store.credentials.list('acme', 'key')).some((c) => c.id === 'opk_1'));
        assert.equal(await store.credentials.revoke('acme', 'key', 'opk_1', T0), false, 'not a tenant key');
        assert.equal(await store.credentials.revoke(null, 'key', 'key_1', T0), false, 'not an operator key');
        assert.equal(await store.credentials.revoke(null, 'key', 'opk_1', T0), true);
      });
    });

    describe('append', () => {
      it('assigns gapless per-tenant seqs and seals each event', async () => {
        const rows = await list({});
        assert.deepEqual(
          seqOf(rows),
          expected(() => true),
        );
        for (const r of rows) {
          const e = JSON.parse(r.json) as Record<string, unknown>;
          const { hash, ...rest } = e;
          assert.equal(e.tenant, 'acme');
          assert.match(String(e.received_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
          assert.equal(sha256Hex(canonicalJson(rest)), hash);
        }
        assert.equal(await store.events.lastSeq('acme'), N);
        assert.equal(await store.events.lastSeq('globex'), 1);
      });
      it('treats the same id and content as a duplicate, without writing', async () => {
        const [r] = await store.events.append('acme', [ev(3)], T0 + 5);
        assert.deepEqual({ seq: r?.seq, duplicate: r?.duplicate }, { seq: 3, duplicate: true });
        assert.equal(await store.events.lastSeq('acme'), N);
      });
      it('rejects a batch whose id exists with other content, storing none of it', async () => {
        await rejectsWith(
          store.events.append('acme', [ev(100), ev(3, { action: 'changed' })], T0),
          'conflict',
        );
        assert.equal(await store.events.lastSeq('acme'), N);
        assert.equal(await store.events.get('acme', 'e100'), null);
      });
      it('collapses repeats inside one batch and rejects conflicting ones', async () => {
        await rejectsWith(store.events.append('globex', [ev(50), ev(50, { action: 'x' })], T0), 'conflict');
        const r = await store.events.append('globex', [ev(51), ev(51)], T0);
        assert.equal(r[0]?.seq, 2);
        assert.deepEqual(r[1], { ...r[0], duplicate: true });
        assert.equal(await store.events.lastSeq('globex'), 2);
      });
      it('rejects an unknown tenant', async () => {
        await rejectsWith(store.events.append('nobody', [ev(1)], T0), 'not_found');
      });
    });

    describe('append across tenants', () => {
      const seqs = (results: { seq: number }[][]) => results.map((g) => g.map((r) => r.seq));
      before(async () => {
        for (const id of ['grp-a', 'grp-b']) await store.tenants.create({ id, name: id }, T0);
        await store.events.append('grp-a', [ev(1)], T0);
      });

      it('stores every group, each tenant counting its own gapless seqs and ids', async () => {
        const results = await store.events.appendGroups(
          [
            { tenant: 'grp-a', events: [ev(2), ev(3)] },
            { tenant: 'grp-b', events: [ev(2), ev(1)] },
          ],
          T0,
        );
        assert.deepEqual(seqs(results), [
          [2, 3],
          [1, 2],
        ]);
        for (const [tenant, n] of [
          ['grp-a', 3],
          ['grp-b', 2],
        ] as const) {
          assert.equal(await store.events.lastSeq(tenant), n);
          const rows = await list({}, tenant);
          assert.deepEqual(
            seqOf(rows).sort((x, y) => x - y),
            Array.from({ length: n }, (_, i) => i + 1),
          );
          for (const r of rows) {
            const { hash, ...rest } = JSON.parse(r.json) as Record<string, unknown>;
            assert.equal(rest.tenant, tenant);
            assert.equal(sha256Hex(canonicalJson(rest)), hash);
          }
        }
        const again = await store.events.appendGroups(
          [
            { tenant: 'grp-b', events: [ev(1)] },
            { tenant: 'grp-a', events: [ev(1)] },
          ],
          T0,
        );
        assert.deepEqual(
          again.map((g) => g.map((r) => [r.seq, r.duplicate])),
          [[[2, true]], [[1, true]]],
          "an id is a duplicate in its own tenant's log",
        );
      });

      it('stores nothing of any group when one fails', async () => {
        await rejectsWith(
          store.events.appendGroups(
            [
              { tenant: 'grp-a', events: [ev(20)] },
              { tenant: 'nobody', events: [ev(21)] },
            ],
            T0,
          ),
          'not_found',
        );
        await rejectsWith(
          store.events.appendGroups(
            [
              { tenant: 'grp-a', events: [ev(22)] },
              { tenant: 'grp-b', events: [ev(23), ev(1, { action: 'changed' })] },
            ],
            T0,
          ),
          'conflict',
        );
        assert.equal(await store.events.lastSeq('grp-a'), 3);
        assert.equal(await store.events.lastSeq('grp-b'), 2);
        for (const id of ['e20', 'e22']) assert.equal(await store.events.get('grp-a', id), null);
        assert.equal(await store.events.get('grp-b', 'e23'), null);
      });

      it("creates unknown tenants only when asked, in the batch's transaction", async () => {
        await rejectsWith(
          store.events.appendGroups([{ tenant: 'grp-new', events: [ev(1)] }], T0),
          'not_found',
        );
        await rejectsWith(
          store.events.appendGroups(
            [
              { tenant: 'grp-new', events: [ev(1)] },
              { tenant: 'grp-b', events: [ev(1, { action: 'changed' })] },
            ],
            T0,
            { createTenants: true },
          ),
          'conflict',
        );
        assert.equal(await store.tenants.get('grp-new'), null, 'a failed batch creates no tenant');
        const [created] = await store.events.appendGroups([{ tenant: 'grp-new', events: [ev(1)] }], T0 + 9, {
          createTenants: true,
        });
        assert.equal(created?.[0]?.seq, 1);
        assert.deepEqual(await store.tenants.get('grp-new'), {
          id: 'grp-new',
          name: 'grp-new',
          created_at: new Date(T0 + 9).toISOString(),
          record_viewer_reads: true,
        });
      });

      it('commits concurrent batches that share tenants, in any order, without gaps', async () => {
        const tenants = ['grp-x', 'grp-y', 'grp-z'];
        for (const id of tenants) await store.tenants.create({ id, name: id }, T0);
        const orders = [tenants, [...tenants].reverse(), ['grp-y', 'grp-x', 'grp-z'], ['grp-z', 'grp-x']];
        await Promise.all(
          Array.from({ length: 12 }, (_, b) =>
            store.events.appendGroups(
              (orders[b % orders.length] as string[]).map((tenant, g) => ({
                tenant,
                events: [ev(100 + b * 10 + g), ev(200 + b * 10 + g)],
              })),
              T0,
            ),
          ),
        );
        for (const tenant of tenants) {
          const n = await store.events.lastSeq(tenant);
          assert.ok(n > 0);
          assert.deepEqual(
            seqOf(await list({}, tenant)).sort((x, y) => x - y),
            Array.from({ length: n }, (_, i) => i + 1),
            tenant,
          );
        }
      });
    });

    describe('list and count', () => {
      const cases: [string, EventFilter, (n: number) => boolean][] = [
        ['actor_id', { fields: { actor_id: ['u1'] } }, (n) => n % 3 === 1],
        ['actor_id OR', { fields: { actor_id: ['u1', 'u2'] } }, (n) => n % 3 !== 0],
        ['actor_type', { fields: { actor_type: ['system'] } }, (n) => n % 3 === 0],
        ['actor_home_org_id', { fields: { actor_home_org_id: ['org-trustee'] } }, (n) => n % 6 === 0],
        ['action', { fields: { action: ['create'] } }, (n) => n % 2 === 0],
        ['category', { fields: { category: ['auth'] } }, (n) => n % 7 === 0],
        ['outcome', { fields: { outcome: ['failure'] } }, (n) => n % 5 === 0],
        ['service', { fields: { service: ['billing'] } }, (n) => n % 2 === 1],
        ['target_type', { fields: { target_type: ['user'] } }, (n) => n % 4 === 0],
        ['target_id', { fields: { target_id: ['t2', 't3'] } }, (n) => n % 5 === 2 || n % 5 === 3],
        ['client_id', { fields: { client_id: ['c0'] } }, (n) => n % 2 === 0],
        ['ip', { fields: { ip: ['10.0.0.2'] } }, (n) => n % 3 === 2],
        ['ip (second address)', { fields: { ip: ['2001:db8::1'] } }, () => true],
        ['session_id', { fields: { session_id: ['s1'] } }, (n) => n % 2 === 1],
        ['trace_id', { fields: { trace_id: ['tr5', 'tr6'] } }, (n) => n === 5 || n === 6],
        ['transaction_id', { fields: { transaction_id: ['tx2'] } }, (n) => Math.floor(n / 3) === 2],
        ['token_id (JSON)', { fields: { token_id: ['tok1'] } }, (n) => n % 4 === 1],
        [
          'request_id (JSON, absent on most)',
          { fields: { request_id: ['req3', 'req6'] } },
          (n) => n === 3 || n === 6,
        ],
        ['auth_stage (JSON)', { fields: { auth_stage: ['mfa'] } }, (n) => n % 14 === 0],
        [
          'auth_result and auth_event',
          { fields: { auth_result: ['Success'], auth_event: ['login'] } },
          (n) => n % 7 === 0 && n % 14 !== 0,
        ],
        ['auth_upstream_user_id', { fields: { auth_upstream_user_id: ['up7'] } }, (n) => n === 7],
        [
          'auth_upstream_idp and auth_login_org_id',
          { fields: { auth_upstream_idp: ['google'], auth_login_org_id: ['org-login'] } },
          (n) => n % 7 === 0,
        ],
        ['attribute_type (any element)', { fields: { attribute_type: ['group'] } }, (n) => n % 5 === 0],
        [
          'attribute_id OR',
          { fields: { attribute_id: ['app0', 'app2'] } },
          (n) => n % 5 === 0 && n % 3 !== 1,
        ],
        [
          'attribute_type and attribute_id from different elements',
          { fields: { attribute_type: ['app'], attribute_id: ['g1'] } },
          (n) => n % 5 === 0,
        ],
        ['attribute_org_id', { fields: { attribute_org_id: ['o1'] } }, (n) => n % 5 === 0],
        [
          'JSON field with an indexed one',
          { fields: { token_id: ['tok2'], action: ['create'] } },
          (n) => n % 4 === 2,
        ],
        [
          'fields AND together',
          { fields: { action: ['update'], actor_id: ['u1'], target_type: ['ticket'] } },
          (n) => n % 2 === 1 && n % 3 === 1 && n % 4 !== 0,
        ],
        [
          'from inclusive, to exclusive',
          { from: T0 + 10 * minute, to: T0 + 20 * minute },
          (n) => n >= 10 && n < 20,
        ],
        ['maxSeq', { maxSeq: 12 }, (n) => n <= 12],
        ['actor id or login', { actorIdOrLogin: ['u2', 'login1'] }, (n) => n % 3 === 2 || n % 8 === 1],
        [
          'result as shown: Failure (auth.result, else the outcome)',
          { result: 'Failure' },
          (n) => (n % 7 === 0 ? n % 14 === 0 : n % 5 === 0),
        ],
        [
          'result as shown: Success',
          { result: 'Success' },
          (n) => (n % 7 === 0 ? n % 14 !== 0 : n % 5 !== 0),
        ],
        ['result as shown: Denied (only auth.result says it)', { result: 'Denied' }, () => false],
        ['automatic', { automatic: true }, (n) => n % 10 === 3],
        ['not automatic', { automatic: false }, (n) => n % 10 !== 3],
        ['privileged actor', { privileged: true }, (n) => n % 6 === 1],
        ['not privileged (absent counts as false)', { privileged: false }, (n) => n % 6 !== 1],
        [
          'flags with a field and a time range',
          {
            privileged: false,
            automatic: false,
            fields: { target_type: ['ticket'] },
            from: T0 + 20 * minute,
          },
          (n) => n % 6 !== 1 && n % 10 !== 3 && n % 4 !== 0 && n >= 20,
        ],
        ['full text', { q: 'role ADMIN' }, (n) => n === 7],
        ['full text in change values', { q: 'enterprise' }, (n) => n === 9],
        ['full text in names', { q: 'User 2' }, (n) => n % 3 === 2],
        ['full text, no term', { q: '!!!' }, () => false],
        ['full text, no term, with an indexed field', { q: ' ', fields: { actor_id: ['u1'] } }, () => false],
        [
          'full text, no term, with indexed fields',
          { q: '-', fields: { target_type: ['ticket'], target_id: ['t1'], service: ['s'] } },
          () => false,
        ],
        ['full text, FTS syntax is inert', { q: 'AND OR NOT "(' }, () => false],
        ['no match', { fields: { action: ['globex-only'] } }, () => false],
      ];
      /** The seqs a window of seqs 6…30 holds: what `list` selects there, in seq order. */
      const windowOf = (tenant: string, filter: EventFilter) => store.events.window(tenant, filter, 5, 30);
      const inWindow = (seqs: number[]) => seqs.filter((n) => n > 5 && n <= 30).sort((x, y) => x - y);

      for (const [name, filter, pred] of cases) {
        it(`filters by ${name}, counts the same, and reads the same in a seq window`, async () => {
          assert.deepEqual(seqOf(await list(filter)), expected(pred));
          assert.equal(await store.events.count('acme', filter), expected(pred).length);
          assert.deepEqual(seqOf(await windowOf('acme', filter)), inWindow(expected(pred)));
        });
      }

      // Generated from core/filter-catalogue.ts: a filter added there is tested here on every engine.
      describe('every filter of the catalogue', () => {
        for (const row of catalogueRows) {
          it(`${row.name} (${row.kind}) selects exactly the events it should, counts them, reads them in a window`, async () => {
            const events = (await list({})).map((r) => JSON.parse(r.json) as StoredEvent);
            const cases = row.cases(events);
            const sizes = cases.map((c) => events.filter(c.selects).length);
            assert.ok(
              sizes.some((n) => n > 0 && n < events.length),
              'the events give the row a case that selects some of them but not all',
            );
            for (const { filter, selects } of cases) {
              const want = events.filter(selects).map((e) => e.seq);
              assert.deepEqual(seqOf(await list(filter)), want, JSON.stringify(filter));
              assert.equal(await store.events.count('acme', filter), want.length, JSON.stringify(filter));
              assert.deepEqual(seqOf(await windowOf('acme', filter)), inWindow(want), JSON.stringify(filter));
            }
          });
        }
      });

      // core/narrow.ts on stored data: what a viewer token's narrowing ANDed with a request selects.
      describe('two filters ANDed (andFilters)', () => {
        /** Each row's cases with each other (one member twice), and with the next row's first case. */
        const pairs = (events: StoredEvent[]): [FilterCase, FilterCase][] => {
          const rows = catalogueRows.map((row) => row.cases(events));
          return rows.flatMap((cases, i) => {
            const next = rows[(i + 1) % rows.length]?.[0] as FilterCase;
            return [
              ...cases.flatMap((x) => cases.map((y): [FilterCase, FilterCase] => [x, y])),
              ...cases.map((x): [FilterCase, FilterCase] => [x, next]),
            ];
          });
        };
        /** Members an event holds several values of: a value each may select it where no one value does. */
        const several: [EventFilter, EventFilter][] = [
          [{ fields: { ip: ['10.0.0.1'] } }, { fields: { ip: ['2001:db8::1'] } }],
          [{ fields: { attribute_type: ['app'] } }, { fields: { attribute_type: ['group'] } }],
          [{ fields: { attribute_id: ['app0'] } }, { fields: { attribute_id: ['g1', 'app1'] } }],
          [{ actorIdOrLogin: ['u1'] }, { actorIdOrLogin: ['login1'] }],
        ];

        it('selects exactly the events both select, for pairs of catalogue cases', async () => {
          const events = (await list({})).map((r) => JSON.parse(r.json) as StoredEvent);
          const all = [
            ...pairs(events),
            ...several.map(([a, b]): [FilterCase, FilterCase] => [
              { filter: a, selects: (e) => matches(a, e) },
              { filter: b, selects: (e) => matches(b, e) },
            ]),
          ];
          assert.ok(all.length > 200, `${all.length} pairs`);
          for (const [x, y] of all) {
            const both = andFilters(x.filter, y.filter);
            const want = events.filter((e) => x.selects(e) && y.selects(e)).map((e) => e.seq);
            const what = `${JSON.stringify(x.filter)} AND ${JSON.stringify(y.filter)}`;
            assert.deepEqual(seqOf(await list(both)), want, what);
            assert.equal(await store.events.count('acme', both), want.length, what);
          }
        });

        it('an event several values select is kept, not lost to an intersection', async () => {
          for (const [a, b] of several) {
            assert.ok((await store.events.count('acme', andFilters(a, b))) > 0, JSON.stringify([a, b]));
          }
        });
      });

      it('counts change rows: one per change, one for an event without any, within the tenant', async () => {
        // Events 2, 13, 24 and 35 have three changes each; 9 has one; 10 has an empty list.
        const rowsOf = (n: number) => (n % 11 === 2 ? 3 : 1);
        const sum = (pred: (n: number) => boolean) => expected(pred).reduce((t, n) => t + rowsOf(n), 0);
        assert.equal(await store.events.countChangeRows('acme', {}), N + 8);
        const cases: [EventFilter, (n: number) => boolean][] = [
          [{ fields: { action: ['create'] } }, (n) => n % 2 === 0],
          [
            { fields: { target_type: ['ticket', 'user'] }, from: T0 + 10 * minute, to: T0 + 30 * minute },
            (n) => n >= 10 && n < 30,
          ],
          [
            { fields: { target_type: ['user'] }, privileged: false, automatic: false },
            (n) => n % 4 === 0 && n % 6 !== 1 && n % 10 !== 3,
          ],
          [{ actorIdOrLogin: ['u2'], maxSeq: 30 }, (n) => n % 3 === 2 && n <= 30],
          [{ q: 'a13 b24' }, () => false],
          [{ q: 'c24' }, (n) => n === 24],
        ];
        for (const [filter, pred] of cases) {
          assert.equal(await store.events.countChangeRows('acme', filter), sum(pred), JSON.stringify(filter));
        }
        // globex holds two events without changes; an unknown tenant none.
        assert.equal(await store.events.countChangeRows('globex', {}), 2);
        assert.equal(await store.events.countChangeRows('nobody', {}), 0);
      });

      it('orders by occurred_at then seq, both ways', async () => {
        await store.tenants.create({ id: 'ties', name: 'Ties' }, T0);
        const same = { occurred_at: '2026-02-01T00:00:00.000Z' };
        await store.events.append(
          'ties',
          [ev(1, same), ev(2, same), ev(3, { occurred_at: '2025-12-01T00:00:00Z' })],
          T0,
        );
        assert.deepEqual(seqOf(await list({}, 'ties')), [3, 1, 2]);
        assert.deepEqual(seqOf(await list({ order: 'desc' }, 'ties')), [2, 1, 3]);
      });

      it('holds every year from 0000 to 9999, and takes bounds and positions far beyond', async () => {
        await store.tenants.create({ id: 'ages', name: 'Ages' }, T0);
        const at = (iso: string) => ({ occurred_at: iso });
        await store.events.append(
          'ages',
          [
            ev(1, at('0000-01-01T00:00:00Z')),
            ev(2, at('9999-12-31T23:59:59.999Z')),
            ev(3, at('0001-06-01T12:00:00Z')),
          ],
          T0,
        );
        assert.deepEqual(seqOf(await list({}, 'ages')), [1, 3, 2]);
        const rows = await list({}, 'ages');
        assert.deepEqual(
          rows.map((r) => r.occurredAt),
          [
            Date.parse('0000-01-01T00:00:00Z'),
            Date.parse('0001-06-01T12:00:00Z'),
            Date.parse('9999-12-31T23:59:59.999Z'),
          ],
        );
        const year1 = Date.parse('0001-01-01T00:00:00Z');
        assert.deepEqual(seqOf(await list({ to: year1 }, 'ages')), [1]);
        assert.deepEqual(seqOf(await list({ from: year1, order: 'desc' }, 'ages')), [2, 3]);
        assert.deepEqual(seqOf(await list({ from: -8.64e15, to: 8.64e15 }, 'ages')), [1, 3, 2]);
        assert.equal(await store.events.count('ages', { from: -8.64e15, to: year1 }), 1);
        const first = rows[0] as { occurredAt: number; seq: number };
        assert.deepEqual(seqOf(await list({ after: first }, 'ages')), [3, 2]);
        assert.deepEqual(
          seqOf(await list({ order: 'desc', after: { occurredAt: -8.64e15, seq: 1 } }, 'ages')),
          [],
        );
      });

      it('pages by keyset in both orders without gaps or repeats, as pages and as scans', async () => {
        for (const [order, scan] of [
          ['asc', false],
          ['desc', false],
          ['asc', true],
          ['desc', true],
        ] as const) {
          const seen: number[] = [];
          let position: EventQuery['after'];
          for (;;) {
            const rows = await list({ order, limit: 7, scan, ...(position ? { after: position } : {}) });
            if (rows.length === 0) break;
            seen.push(...seqOf(rows));
            const last = rows.at(-1);
            position = last && { occurredAt: last.occurredAt, seq: last.seq };
          }
          const all = expected(() => true);
          assert.deepEqual(seen, order === 'asc' ? all : all.reverse());
        }
      });

      it('pages by offset in both orders', async () => {
        assert.deepEqual(seqOf(await list({ limit: 5, offset: 10 })), [11, 12, 13, 14, 15]);
        assert.deepEqual(seqOf(await list({ order: 'desc', limit: 2, offset: 3 })), [N - 3, N - 4]);
        assert.deepEqual(seqOf(await list({ fields: { action: ['create'] }, limit: 2, offset: 1 })), [4, 6]);
        assert.deepEqual(await list({ limit: 5, offset: N }), []);
      });

      it('lists the distinct service, target type and action combinations, sorted, nulls last', async () => {
        assert.deepEqual(await store.events.facets('acme', {}), [
          { service: 'billing', target_type: 'ticket', action: 'update' },
          { service: 'directory', target_type: 'ticket', action: 'create' },
          { service: 'directory', target_type: 'user', action: 'create' },
        ]);
        assert.deepEqual(await store.events.facets('acme', { fields: { target_type: ['user'] } }), [
          { service: 'directory', target_type: 'user', action: 'create' },
        ]);
        await store.tenants.create({ id: 'facets', name: 'Facets' }, T0);
        const bare = prepareEvent({ occurred_at: '2026-01-01T00:00:00Z', action: 'Zeta' });
        const full = prepareEvent({
          occurred_at: '2026-01-01T00:00:00Z',
          action: 'alpha',
          service: 'Svc',
          target: { type: 'T' },
        });
        await store.events.append('facets', [bare, full], T0);
        assert.deepEqual(await store.events.facets('facets', {}), [
          { service: 'Svc', target_type: 'T', action: 'alpha' },
          { service: null, target_type: null, action: 'Zeta' },
        ]);
        assert.deepEqual(await store.events.facets('nobody', {}), []);
      });

      it('reads a window of seqs in seq order, whatever the times, within its bounds and the filter’s', async () => {
        const window = (filter: EventFilter, after: number, upTo: number, tenant = 'acme') =>
          store.events.window(tenant, filter, after, upTo).then(seqOf);
        // `ties` holds seq 3 with the earliest time: lists put it first, a window in its place.
        assert.deepEqual(await window({}, 0, 3, 'ties'), [1, 2, 3]);
        assert.deepEqual(
          (await store.events.window('ties', {}, 1, 3)).map((r) => r.seq),
          [2, 3],
          'rows carry their seq',
        );
        assert.deepEqual(await window({}, 0, 5), [1, 2, 3, 4, 5]);
        assert.deepEqual(await window({}, N - 2, N + 50), [N - 1, N], 'up to the last seq there is');
        assert.deepEqual(await window({ minSeq: 8, maxSeq: 10 }, 5, 30), [8, 9, 10]);
        assert.deepEqual(await window({ minSeq: 3 }, 5, 7), [6, 7]);
        assert.deepEqual(await window({}, 7, 7), []);
        assert.deepEqual(await window({}, 9, 7), []);
        assert.deepEqual(await window({ fields: { action: ['globex-only'] } }, 0, N), []);
        const globex = seqOf(await list({}, 'globex')).sort((x, y) => x - y);
        assert.ok(globex.length > 0);
        assert.deepEqual(await window({}, 0, N, 'globex'), globex);
        assert.deepEqual(await window({}, 0, N, 'nobody'), []);
        const rows = await store.events.window('acme', {}, 6, 7);
        assert.equal(rows[0]?.json, await store.events.get('acme', 'e7'), 'the stored JSON as stored');
      });

      it('never shows another tenant’s events', async () => {
        assert.deepEqual(seqOf(await list({ fields: { action: ['globex-only'] } }, 'globex')), [1]);
        assert.equal(await store.events.count('globex', {}), 2);
        assert.equal(await store.events.get('globex', 'e7'), null);
        assert.equal(await store.events.count('nobody', {}), 0);
      });
    });

    describe('get', () => {
      it('finds by id, then by seq', async () => {
        const byId = JSON.parse((await store.events.get('acme', 'e7')) ?? 'null') as { seq: number };
        assert.equal(byId.seq, 7);
        const bySeq = JSON.parse((await store.events.get('acme', '8', 8)) ?? 'null') as { id: string };
        assert.equal(bySeq.id, 'e8');
        assert.equal(await store.events.get('acme', 'missing'), null);
      });
    });

    describe('jobs', () => {
      const params = { filters: { action: 'create' } };
      const open = { maxActive: 100 };
      const created = async (made: Promise<JobAdmitted>) => {
        const m = await made;
        assert.ok('job' in m, JSON.stringify(m));
        return m.job;
      };
      it('creates queued jobs, readable only by their tenant', async () => {
        const job = await created(
          store.jobs.create({ id: 'j1', tenant: 'acme', kind: 'query', params }, T0, open),
        );
        assert.equal(job.state, 'queued');
        assert.deepEqual(job.params, params);
        assert.equal((await store.jobs.get('acme', 'j1'))?.id, 'j1');
        assert.equal(await store.jobs.get('globex', 'j1'), null);
      });
      it('leases each job to one owner; an expired lease is taken over and the old owner is fenced', async () => {
        await created(store.jobs.create({ id: 'j2', tenant: 'acme', kind: 'export', params }, T0 + 1, open));
        const a = await store.jobs.lease('node-a', T0 + 10, 1000);
        const b = await store.jobs.lease('node-b', T0 + 10, 1000);
        assert.deepEqual([a?.id, b?.id], ['j1', 'j2']);
        assert.equal(a?.state, 'running');
        assert.equal(await store.jobs.lease('node-c', T0 + 20, 1000), null, 'nothing left');
        assert.equal(await store.jobs.renew('j1', 'node-a', T0 + 500), true);
        assert.equal(await store.jobs.renew('j1', 'node-b', T0 + 500), false);
        const taken = await store.jobs.lease('node-c', T0 + 2000, 1000);
        assert.equal(taken?.id, 'j1');
        assert.equal(taken?.attempts, 2);
        const outcome = {
          state: 'succeeded',
          rows: 3,
          snapshot_seq: 40,
          finished_at: T0 + 2100,
          expires_at: T0 + 9000,
        } as const;
        assert.equal(await store.jobs.finish('j1', 'node-a', outcome), 'fenced', 'old owner fenced');
        assert.equal(await store.jobs.finish('j1', 'node-c', outcome), 'recorded');
        const done = await store.jobs.get('acme', 'j1');
        assert.deepEqual([done?.state, done?.rows, done?.snapshot_seq], ['succeeded', 3, 40]);
      });
      it('spaces a tenant’s jobs of one kind atomically: concurrent creations let exactly one through', async () => {
        const spaced = (id: string, tenant: string, now: number) =>
          store.jobs.create({ id, tenant, kind: 'export', params }, now, {
            ...open,
            spacedSince: now - 60_000 + 1,
          });
        const made = await Promise.all(
          ['s1', 's2', 's3', 's4'].map((id) => spaced(id, 'globex', T0 + 100_000)),
        );
        assert.equal(made.filter((m) => 'job' in m).length, 1);
        for (const m of made) if ('blockedBy' in m) assert.equal(m.blockedBy, T0 + 100_000);
        assert.ok('blockedBy' in (await spaced('s5', 'globex', T0 + 159_999)), 'within the interval');
        assert.ok('job' in (await spaced('s6', 'globex', T0 + 160_000)), 'after the interval');
        assert.ok('job' in (await spaced('s7', 'acme', T0 + 160_000)), 'another tenant is not limited');
        const other = await created(
          store.jobs.create({ id: 's8', tenant: 'globex', kind: 'query', params }, T0 + 160_001, {
            ...open,
            spacedSince: T0 + 100_002,
          }),
        );
        assert.equal(other.state, 'queued', 'another kind is not limited');
      });
      it('caps a tenant’s unfinished jobs atomically: concurrent creations stop at the cap', async () => {
        const cap = (id: string, tenant: string) =>
          store.jobs.create({ id, tenant, kind: 'query', params }, T0 + 200_000, { maxActive: 3 });
        // globex already has s2/s6/s8 unfinished from the spacing test: one more is over the cap.
        const before = await cap('c0', 'globex');
        assert.ok('active' in before && before.active === 3, JSON.stringify(before));
        const made = await Promise.all(['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => cap(id, 'initech')));
        assert.equal(made.filter((m) => 'job' in m).length, 3);
        assert.deepEqual(
          made.filter((m) => 'active' in m),
          [{ active: 3 }, { active: 3 }],
        );
        const stored = await Promise.all(
          ['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => store.jobs.get('initech', id)),
        );
        assert.equal(stored.filter(Boolean).length, 3, 'the refused ones were not stored');
        const first = made.find((m) => 'job' in m) as { job: { id: string } };
        await store.jobs.cancel('initech', first.job.id, T0 + 200_001, T0 + 300_000);
        assert.ok('job' in (await cap('c6', 'initech')), 'a finished job frees its place');
      });

      it('cancels unfinished jobs only, and lists and deletes expired ones', async () => {
        await created(store.jobs.create({ id: 'j3', tenant: 'acme', kind: 'query', params }, T0 + 2, open));
        assert.equal((await store.jobs.cancel('acme', 'j3', T0 + 3, T0 + 100))?.state, 'cancelled');
        assert.equal((await store.jobs.cancel('acme', 'j1', T0 + 3, T0 + 100))?.state, 'succeeded');
        assert.equal(await store.jobs.cancel('globex', 'j2', T0 + 3, T0 + 100), null, 'another tenant');
        assert.equal(await store.jobs.renew('j2', 'node-b', T0 + 5000), true);
        assert.equal((await store.jobs.cancel('acme', 'j2', T0 + 4, T0 + 100))?.state, 'cancelled');
        assert.equal(
          await store.jobs.renew('j2', 'node-b', T0 + 6000),
          false,
          'a cancelled job loses its lease',
        );
        const expired = await store.jobs.expired(T0 + 101, 10);
        assert.deepEqual(expired.map((j) => j.id).sort(), ['j2', 'j3']);
        await store.jobs.delete('acme', 'j3');
        assert.equal(await store.jobs.get('acme', 'j3'), null);
      });

      // The tests below run after the others on a fresh stretch of time (T1 on).
      const T1 = T0 + 10_000_000;
      const create = (id: string, tenant: string, now: number, kind: 'query' | 'export' = 'export') =>
        created(store.jobs.create({ id, tenant, kind, params }, now, open));
      const outcome = (now: number, over: Partial<JobOutcome> = {}): JobOutcome => ({
        state: 'succeeded',
        rows: 1,
        snapshot_seq: 1,
        finished_at: now,
        expires_at: now + 1_000_000_000,
        ...over,
      });
      /** Leases and finishes whatever is runnable at `now`, so what a test leases is only its own. */
      const drain = async (now: number) => {
        for (
          let job = await store.jobs.lease('drain', now, 1);
          job;
          job = await store.jobs.lease('drain', now, 1)
        ) {
          assert.equal(
            await store.jobs.finish(job.id, 'drain', outcome(now, { state: 'failed' })),
            'recorded',
          );
        }
      };
      /** Leases every job runnable at `now`, by id, each to its own owner (`<id>-owner`). */
      const leaseAll = async (now: number) => {
        const ids: string[] = [];
        for (
          let job = await store.jobs.lease('x', now, 60_000);
          job;
          job = await store.jobs.lease('x', now, 60_000)
        ) {
          ids.push(job.id);
        }
        return ids;
      };

      it('counts a tenant’s exports: queued, running and unexpired succeeded ones; bytes of the succeeded', async () => {
        await drain(T1);
        await create('u1', 'usage', T1);
        await create('u2', 'usage', T1);
        await create('u3', 'usage', T1, 'query');
        assert.deepEqual(await store.jobs.exportUsage('usage', T1), { files: 2, bytes: 0 }, 'queued exports');
        assert.deepEqual((await leaseAll(T1 + 1)).sort(), ['u1', 'u2', 'u3']);
        assert.deepEqual(await store.jobs.exportUsage('usage', T1 + 1), { files: 2, bytes: 0 }, 'running');
        const at = T1 + 2;
        await store.jobs.finish('u1', 'x', outcome(at, { bytes: 100, expires_at: at + 1000 }));
        await store.jobs.finish('u2', 'x', outcome(at, { state: 'failed', error: 'no' }));
        await store.jobs.finish('u3', 'x', outcome(at));
        assert.equal((await store.jobs.get('usage', 'u1'))?.bytes, 100, 'the size is recorded on the job');
        assert.equal((await store.jobs.get('usage', 'u3'))?.bytes, null);
        assert.deepEqual(
          await store.jobs.exportUsage('usage', at),
          { files: 1, bytes: 100 },
          'failed keeps none',
        );
        await create('u4', 'usage', at);
        assert.deepEqual(await store.jobs.exportUsage('usage', at), { files: 2, bytes: 100 });
        assert.deepEqual(await store.jobs.exportUsage('usage', at + 1001), { files: 1, bytes: 0 }, 'expired');
        assert.deepEqual(await store.jobs.exportUsage('nobody', at), { files: 0, bytes: 0 });
        await store.jobs.cancel('usage', 'u4', at, at + 1000);
      });

      it('admits exports within the count and byte quotas atomically; queries are not counted', async () => {
        const at = T1 + 10_000;
        const made = await Promise.all(
          ['q1', 'q2', 'q3', 'q4', 'q5'].map((id) =>
            store.jobs.create({ id, tenant: 'quota', kind: 'export', params }, at, {
              ...open,
              maxExports: 3,
            }),
          ),
        );
        assert.equal(made.filter((m) => 'job' in m).length, 3);
        for (const m of made.filter((m) => !('job' in m))) {
          assert.deepEqual(m, { exports: { files: 3, bytes: 0 }, over: 'files' });
        }
        const query = await store.jobs.create({ id: 'q6', tenant: 'quota', kind: 'query', params }, at, {
          ...open,
          maxExports: 3,
          maxExportBytes: 1,
        });
        assert.ok('job' in query, 'a query keeps no file');
        // A quota refusal comes before the spacing rule: waiting would not lift it.
        const spaced = await store.jobs.create({ id: 'q7', tenant: 'quota', kind: 'export', params }, at, {
          ...open,
          maxExports: 3,
          spacedSince: at,
        });
        assert.ok('over' in spaced, JSON.stringify(spaced));
        await drain(at);
        const full = { id: 'q8', tenant: 'quota', kind: 'export' as const, params };
        const ids = await leaseAll(at);
        assert.deepEqual(ids, []);
        await create('q9', 'quota', at);
        assert.deepEqual(await leaseAll(at + 1), ['q9']);
        await store.jobs.finish('q9', 'x', outcome(at + 2, { bytes: 500 }));
        assert.deepEqual(await store.jobs.create(full, at + 3, { ...open, maxExportBytes: 500 }), {
          exports: { files: 1, bytes: 500 },
          over: 'bytes',
        });
        assert.ok('job' in (await store.jobs.create(full, at + 3, { ...open, maxExportBytes: 501 })));
        await store.jobs.cancel('quota', 'q8', at + 4, at + 5);
      });

      it('records an export’s size only within the byte quota, atomically with the tenant’s other finishes', async () => {
        const at = T1 + 20_000;
        await drain(at);
        for (const id of ['f1', 'f2', 'f3', 'f4', 'f5']) await create(id, 'finish', at);
        assert.equal((await leaseAll(at)).length, 5);
        const quota = { maxKeptBytes: 100 };
        assert.equal(await store.jobs.finish('f1', 'x', outcome(at, { bytes: 40, ...quota })), 'recorded');
        assert.equal(await store.jobs.finish('f2', 'x', outcome(at, { bytes: 61, ...quota })), 'over_quota');
        const refused = await store.jobs.get('finish', 'f2');
        assert.deepEqual([refused?.state, refused?.lease_owner, refused?.bytes], ['running', 'x', null]);
        assert.equal(
          await store.jobs.finish('f2', 'x', outcome(at, { state: 'failed', error: 'over' })),
          'recorded',
          'the refused run can still record its failure',
        );
        assert.equal(await store.jobs.finish('f2', 'y', outcome(at, { bytes: 1, ...quota })), 'fenced');
        // 60 bytes left: of three concurrent 30-byte finishes exactly two fit.
        const three = await Promise.all(
          ['f3', 'f4', 'f5'].map((id) => store.jobs.finish(id, 'x', outcome(at, { bytes: 30, ...quota }))),
        );
        assert.deepEqual(three.sort(), ['over_quota', 'recorded', 'recorded']);
        assert.deepEqual(await store.jobs.exportUsage('finish', at), { files: 4, bytes: 100 });
      });

      it('leases fairly: fewest running jobs first, then the tenant served longest ago, then the oldest job', async () => {
        const at = T1 + 30_000;
        await drain(at + 1_000_000);
        for (const [i, id] of ['fa1', 'fa2', 'fa3', 'fa4'].entries()) await create(id, 'fair-a', at + i);
        await create('fb1', 'fair-b', at + 10);
        await create('fc1', 'fair-c', at + 11);
        const lease = async (owner: string, now: number, ms = 60_000) =>
          (await store.jobs.lease(owner, now, ms))?.id;
        assert.equal(await lease('w1', at + 20), 'fa1', 'nobody running or served yet: the oldest');
        assert.equal(await lease('w2', at + 21), 'fb1', 'fair-a has a job running (by another owner)');
        assert.equal(await lease('w3', at + 22), 'fc1');
        assert.equal(await lease('w4', at + 23), 'fa2', 'only fair-a waits');
        for (const [id, owner] of [
          ['fa1', 'w1'],
          ['fb1', 'w2'],
          ['fc1', 'w3'],
          ['fa2', 'w4'],
        ] as const) {
          assert.equal(await store.jobs.finish(id, owner, outcome(at + 30)), 'recorded');
        }
        // One worker, nothing running: tenants take turns though fair-a's jobs are older.
        await create('fb2', 'fair-b', at + 31);
        await create('fb3', 'fair-b', at + 32);
        const turns: (string | undefined)[] = [];
        for (let now = at + 40; ; now += 10) {
          const id = await lease('one', now, 60_000);
          if (!id) break;
          turns.push(id);
          await store.jobs.finish(id, 'one', outcome(now + 1));
        }
        assert.deepEqual(turns, ['fb2', 'fa3', 'fb3', 'fa4']);
        // A lapsed lease is not running: its tenant is not held back by it.
        await create('fa5', 'fair-a', at + 100);
        await create('fb4', 'fair-b', at + 101);
        await create('fb5', 'fair-b', at + 102);
        assert.equal(await lease('wb', at + 105, 1_000_000), 'fb4');
        assert.equal(await lease('dies', at + 110), 'fa5');
        assert.equal(await lease('w5', at + 70_000), 'fa5', 'fair-a runs nothing now, fair-b one job');
        await store.jobs.finish('fa5', 'w5', outcome(at + 70_001));
        await store.jobs.finish('fb4', 'wb', outcome(at + 70_001));
        await drain(at + 70_002);
      });
    });

    describe('export files', () => {
      const ref = (jobId: string, attempt = 1, tenant = 'acme'): ExportFileRef => ({
        tenant,
        jobId,
        attempt,
        format: 'csv',
      });
      /** Writes and commits `data` as that attempt's file. */
      const put = async (r: ExportFileRef, data: Buffer) => {
        const writer = await store.exports.create(r);
        await writeAll(writer, data);
        await writer.commit();
      };
      const contents = async (r: ExportFileRef) => {
        const file = await store.exports.open(r);
        if (!file) return null;
        const data = await readAll(file.stream);
        assert.equal(file.size, data.length, 'the announced size is the streamed size');
        return data;
      };
      // Several storage chunks (~1 MiB each on PostgreSQL) and a ragged end.
      const big = randomBytes(3 * 1024 * 1024 + 12_345);

      it('a committed file reads back byte for byte, however large', async () => {
        await put(ref('x1'), big);
        assert.ok((await contents(ref('x1')))?.equals(big));
        // Read again: every open streams the file anew.
        assert.ok((await contents(ref('x1')))?.equals(big));
        await put(ref('x2'), Buffer.from('seq,id\n1,"a, b"\n'));
        assert.equal((await contents(ref('x2')))?.toString(), 'seq,id\n1,"a, b"\n');
      });
      it('an empty file is a file', async () => {
        await put(ref('x3'), Buffer.alloc(0));
        assert.equal((await contents(ref('x3')))?.length, 0);
      });
      it('nothing is openable before commit, and everything after', async () => {
        const writer = await store.exports.create(ref('x4'));
        await writeAll(writer, big);
        assert.equal(await store.exports.open(ref('x4')), null, 'written, not committed');
        await writer.commit();
        assert.ok((await contents(ref('x4')))?.equals(big));
      });
      it('abort leaves nothing: the attempt opens nothing and can be written afresh', async () => {
        const writer = await store.exports.create(ref('x5'));
        await writeAll(writer, big);
        await writer.abort();
        assert.equal(await store.exports.open(ref('x5')), null);
        const small = Buffer.from('only this');
        await put(ref('x5'), small);
        assert.ok((await contents(ref('x5')))?.equals(small), 'no byte of the aborted write remains');
      });
      it('attempts of one job are separate files', async () => {
        await put(ref('x6', 1), Buffer.from('first'));
        await put(ref('x6', 2), Buffer.from('second'));
        assert.equal((await contents(ref('x6', 1)))?.toString(), 'first');
        assert.equal((await contents(ref('x6', 2)))?.toString(), 'second');
        assert.equal(await store.exports.open(ref('x6', 3)), null);
      });
      it('removeAttempt deletes one attempt, committed or not; remove deletes attempts up to a count', async () => {
        await put(ref('x7', 1), Buffer.from('one'));
        await put(ref('x7', 2), big);
        await put(ref('x7', 3), Buffer.from('three'));
        const partial = await store.exports.create(ref('x7', 4));
        await writeAll(partial, big);
        partial.stream.end();
        await finished(partial.stream);
        await store.exports.removeAttempt(ref('x7', 4));
        await store.exports.removeAttempt(ref('x7', 1));
        await store.exports.removeAttempt(ref('x7', 9)); // nothing there: not an error
        assert.equal(await store.exports.open(ref('x7', 1)), null);
        assert.ok((await contents(ref('x7', 2)))?.equals(big));
        await store.exports.remove({ tenant: 'acme', jobId: 'x7', format: 'csv' }, 2);
        assert.equal(await store.exports.open(ref('x7', 2)), null);
        assert.equal((await contents(ref('x7', 3)))?.toString(), 'three', 'beyond the count: kept');
        await store.exports.remove({ tenant: 'acme', jobId: 'x7', format: 'csv' }, 3);
        assert.equal(await store.exports.open(ref('x7', 3)), null);
        // The removed attempts can be written again: nothing of them was left behind.
        await put(ref('x7', 2), Buffer.from('again'));
        await put(ref('x7', 4), Buffer.from('four'));
        assert.equal((await contents(ref('x7', 2)))?.toString(), 'again');
        assert.equal((await contents(ref('x7', 4)))?.toString(), 'four');
      });
      it('another tenant’s ref opens and removes nothing', async () => {
        await put(ref('x8'), Buffer.from('acme only'));
        assert.equal(await store.exports.open(ref('x8', 1, 'globex')), null);
        await store.exports.removeAttempt(ref('x8', 1, 'globex'));
        await store.exports.remove({ tenant: 'globex', jobId: 'x8', format: 'csv' }, 5);
        assert.equal((await contents(ref('x8')))?.toString(), 'acme only');
      });
    });

    logCases(() => store);
    streamCases(() => store);
  });
}
