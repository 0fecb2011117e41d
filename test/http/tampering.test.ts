// @engines sqlite postgres
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { SignJWT } from 'jose';
import { FILTER_PROPERTIES } from '../../src/http/genesys/schemas.js';
import { CSV_COLUMNS } from '../../src/services/exports/csv.js';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';
import { INJECTIONS } from '../helpers/fuzz.js';
import { ingest, type JobJson, parseCsv, settled } from '../helpers/jobs.js';
import { checkedClient } from '../helpers/requests.js';
import { operationsOf } from '../helpers/routes.js';
import { FIXTURE_ENV, HIDDEN, seedTwoTenants, type TenantFixture } from '../helpers/tenants.js';

/**
 * Tampering: a cursor, presigned download link, access token, API key or Basic credential with
 * any edit is refused (400, 401 or 403 in the dialect's envelope), never answered with data; and
 * injection strings (SQL, GraphQL, FTS, CSV formulas, header CRLF) in every filter of every
 * dialect are inert: they match only events holding that very text, leave every table as it
 * was, and CSV exports neutralise cells a spreadsheet would run.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Every text one edit away from `text`: each character replaced by the next of the base64url
 * alphabet (so the last character's spare bits are reached too), by `=` and by `!`, removed, and
 * a `!` inserted before it; then truncations and an appended character.
 */
function edits(text: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const next = ALPHABET[(ALPHABET.indexOf(c) + 1) % ALPHABET.length] as string;
    for (const r of [next, '=', '!']) out.add(text.slice(0, i) + r + text.slice(i + 1));
    out.add(text.slice(0, i) + text.slice(i + 1));
    out.add(`${text.slice(0, i)}!${text.slice(i)}`);
  }
  out.add(`${text}A`);
  out.add(text.slice(0, -4));
  out.add('');
  out.delete(text);
  return [...out];
}

/** The form of `value` a spreadsheet would run, neutralised or not. */
const FORMULA = /^[=+\-@\t\r]/;

describe('tampering and injection', () => {
  let t: TestApp;
  let a: TenantFixture;
  let b: TenantFixture;
  let requests = 0;

  before(async () => {
    t = await startTestApp(FIXTURE_ENV);
    ({ a, b } = await seedTwoTenants(t, 'tam'));
  });
  after(async () => {
    await t?.close();
  });

  const client = () => checkedClient(t.app, HIDDEN, () => requests++);
  const call: ReturnType<typeof checkedClient>['send'] = (...args) => client().send(...args);
  const expect: ReturnType<typeof checkedClient>['expect'] = (...args) => client().expect(...args);

  describe('cursors', () => {
    /** Each cursor kind of A with the list it pages. */
    const lists = () =>
      [
        ['events', a.cursors.events, (c: string) => `/v1/events?limit=1&cursor=${encodeURIComponent(c)}`],
        [
          'query results',
          a.cursors.queryResults,
          (c: string) => `/v1/queries/${a.queryJob}/results?limit=1&cursor=${encodeURIComponent(c)}`,
        ],
        [
          'genesys results',
          a.cursors.genesysResults,
          (c: string) =>
            `/api/v2/audits/query/${a.genesysJob}/results?pageSize=1&cursor=${encodeURIComponent(c)}`,
        ],
        [
          'zendesk after',
          a.cursors.zendeskAfter,
          (c: string) => `/api/v2/audit_logs?page[size]=1&page[after]=${encodeURIComponent(c)}`,
        ],
        [
          'zendesk before',
          a.cursors.zendeskBefore,
          (c: string) => `/api/v2/audit_logs?page[size]=1&page[before]=${encodeURIComponent(c)}`,
        ],
      ] as const;

    it('every cursor works as given, and is refused with any one edit', async () => {
      for (const [name, cursor, url] of lists()) {
        await expect([200], `Bearer ${a.key}`, 'GET', url(cursor));
        for (const edited of edits(cursor)) {
          // An empty cursor is no cursor for some lists: the first page, which is A's own.
          if (edited === '') continue;
          await expect([400], `Bearer ${a.key}`, 'GET', url(edited)).catch((err: Error) => {
            throw new Error(`${name} cursor edited to ${edited}: ${err.message}`);
          });
        }
      }
    });

    it('a cursor is refused by every other list, and with its payload or order changed under its MAC', async () => {
      for (const [name, cursor] of lists()) {
        for (const [other, , url] of lists()) {
          // Zendesk's after and before cursors page the same list.
          if (other === name || (name.startsWith('zendesk') && other.startsWith('zendesk'))) continue;
          await expect([400], `Bearer ${a.key}`, 'GET', url(cursor));
        }
        const [payload, mac] = cursor.split('.') as [string, string];
        const text = Buffer.from(payload, 'base64url').toString();
        for (const forged of [
          text.replace(/^[ad]/, (order) => (order === 'a' ? 'd' : 'a')),
          text.replace(/\.(\d+)$/, (_, seq: string) => `.${Number(seq) + 1}`),
          text.replace(/\.(\d+)$/, '.1'),
          `${text} `,
        ]) {
          const c = `${Buffer.from(forged).toString('base64url')}.${mac}`;
          for (const [, , url] of lists()) await expect([400], `Bearer ${a.key}`, 'GET', url(c));
        }
      }
    });
  });

  describe('download links', () => {
    it('the Genesys downloadUrl streams as given; any edit of its token, job or variant is 401/403', async () => {
      const url = new URL(a.downloadUrl);
      const token = url.searchParams.get('token') as string;
      const path = url.pathname;
      const ok = await expect([200], null, 'GET', `${path}?token=${token}`);
      assert.ok(ok.json<{ entities: unknown[] }>().entities.length > 2);
      for (const edited of edits(token)) {
        if (edited === '') continue;
        await expect([401, 403], null, 'GET', `${path}?token=${encodeURIComponent(edited)}`);
      }
      for (const job of [
        a.queryJob,
        b.genesysJob,
        a.genesysJob.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
      ]) {
        await expect([403], null, 'GET', `/api/v2/audits/query/${job}/download?token=${token}`);
      }
      await expect([403], null, 'GET', `${path}?token=${token}&expand=user`);
      await expect([401], null, 'GET', path);
      await expect([401], `Bearer ${a.key}`, 'GET', path);
    });

    it('the native download_url needs the credential; any edit of the job id is 400/404', async () => {
      const path = new URL(a.exportUrl).pathname;
      const ok = await expect([200], `Bearer ${a.key}`, 'GET', path);
      assert.ok(parseCsv(ok.body).length > 1);
      await expect([401], null, 'GET', path);
      const id = a.exportJob;
      for (const edited of edits(id)) {
        if (edited === '') continue;
        await expect(
          [400, 404],
          `Bearer ${a.key}`,
          'GET',
          `/v1/exports/${encodeURIComponent(edited)}/download`,
        );
      }
    });
  });

  describe('credentials', () => {
    /** One read per dialect, for a credential as each dialect takes it. */
    const reads: [string, string][] = [
      ['GET', '/v1/events/count'],
      ['GET', '/v1/audits'],
      ['GET', '/api/v2/audits/query/servicemapping'],
      ['GET', '/api/v2/audit_logs'],
      ['POST', '/api/account/tam-a/configuration/metadata/audit'],
    ];
    const body = { query: '{ auditData { accountId } }' };

    async function refusedEverywhere(auth: string) {
      for (const [method, url] of reads)
        await expect([401], auth, method, url, method === 'POST' ? body : undefined);
    }

    it('an API key with any one edit is 401', async () => {
      for (const [method, url] of reads)
        await expect([200], `Bearer ${a.key}`, method, url, method === 'POST' ? body : undefined);
      for (const edited of edits(a.key)) {
        if (edited !== '') await expect([401], `Bearer ${edited}`, 'GET', '/v1/events/count');
      }
      const secret = /^tk_key_[0-9a-f]{20}_(.+)$/.exec(b.key)?.[1] as string;
      await refusedEverywhere(`Bearer tk_${a.keyId}_${secret}`);
      await refusedEverywhere(`Bearer ${a.key.toUpperCase()}`);
      await refusedEverywhere(`Bearer ${a.key.slice(0, -1)}`);
    });

    it('an access token with any one edit, re-signed, unsigned or with other claims is 401', async () => {
      for (const edited of edits(a.token)) {
        if (edited !== '') await expect([401], `Bearer ${edited}`, 'GET', '/v1/events/count');
      }
      const [header, payload, signature] = a.token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const forged = [
        // Other claims under the original signature.
        `${header}.${b64({ ...claims, tnt: b.tenant })}.${signature}`,
        `${header}.${b64({ ...claims, scope: 'events:read events:write tenant:admin' })}.${signature}`,
        `${header}.${b64({ ...claims, exp: (claims.exp as number) + 86_400 })}.${signature}`,
        // Unsigned, and signed with another key or algorithm.
        `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, tnt: b.tenant })}.`,
        await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(randomBytes(32)),
        await new SignJWT({ ...claims, tnt: b.tenant })
          .setProtectedHeader({ alg: 'HS512' })
          .sign(randomBytes(64)),
        `${header}.${payload}`,
        `${header}.${payload}.${signature}.${signature}`,
      ];
      for (const token of forged) await refusedEverywhere(`Bearer ${token}`);
    });

    it('a Zendesk Basic credential with an edited token, or email:password, is 401', async () => {
      await expect([200], a.basic, 'GET', '/api/v2/audit_logs');
      const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;
      for (const edited of edits(a.key).slice(0, 60)) {
        await expect([401], basic(`reader@example.com/token:${edited}`), 'GET', '/api/v2/audit_logs');
      }
      await expect([401], basic(`reader@example.com:${a.key}`), 'GET', '/api/v2/audit_logs');
      await expect([401], basic(`reader@example.com/token:${b.key}x`), 'GET', '/api/v2/audit_logs');
      await expect(
        [401],
        `Basic ${Buffer.from(`r/token:${a.key}`).toString('base64')}!`,
        'GET',
        '/api/v2/audit_logs',
      );
    });

    it('the admin token with any one edit is 401', async () => {
      await expect([200], `Bearer ${ADMIN_TOKEN}`, 'GET', '/v1/tenants');
      for (const edited of edits(ADMIN_TOKEN)) {
        if (edited !== '') await expect([401], `Bearer ${edited}`, 'GET', '/v1/tenants');
      }
    });
  });

  describe('injection strings', () => {
    const INJECT = INJECTIONS.filter((s) => s.trim() !== '');
    /** Parameters a dialect accepts and ignores by design (docs/agilicus.md): not filters. */
    const IGNORED = new Set(['resources_behind_connector_id']);

    /** What A's store holds, to compare after the injections. */
    async function snapshot() {
      const events = await t.call(a.key, { method: 'GET', url: '/v1/events?limit=1000&order=asc' });
      const tenants = await t.call(ADMIN_TOKEN, { method: 'GET', url: '/v1/tenants' });
      const keys = await t.call(ADMIN_TOKEN, { method: 'GET', url: `/v1/tenants/${a.tenant}/keys` });
      const job = await t.call(a.key, { method: 'GET', url: `/v1/queries/${a.queryJob}` });
      return {
        events: events.body,
        a: await t.services.store.events.lastSeq(a.tenant),
        b: await t.services.store.events.lastSeq(b.tenant),
        tenants: tenants.body,
        keys: keys.body,
        job: job.json<JobJson>().state,
      };
    }

    /** The rows of a list answer, whatever the dialect calls them; the count of a count; a stream's events. */
    function rows(res: LightMyRequestResponse): number {
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        return res.body.split('\n').filter((l) => l.startsWith('data: ')).length;
      }
      const body = res.json<Record<string, unknown>>();
      for (const k of ['data', 'audit_logs', 'audits', 'auth_audits', 'entities']) {
        if (Array.isArray(body[k])) return (body[k] as unknown[]).length;
      }
      if (typeof body.count === 'number') return body.count;
      if (typeof body.total === 'number') return body.total;
      const lp = (body.data as { auditData?: unknown[] } | undefined)?.auditData;
      if (Array.isArray(lp)) return lp.length;
      throw new Error(`no rows in ${res.body.slice(0, 200)}`);
    }

    it('in every query parameter of every GET route: no match or a 4xx, and every table as it was', async () => {
      const before = await snapshot();
      const ops = [...operationsOf(t.app).values()].filter(
        (op) => op.method === 'GET' && op.params.some((p) => p.in === 'query'),
      );
      const path = (p: string) =>
        p
          .replace(':transactionId', a.genesysJob)
          .replace(/:id(?=\/results)/, a.queryJob)
          .replace(/:id(?=\/download)/, a.exportJob)
          .replace(':id', '1');
      // The live tail, bounded to A's seqs so it ends once it has sent them (else it never ends).
      const bounded = `min_seq=1&max_seq=${await t.services.store.events.lastSeq(a.tenant)}&`;
      let tried = 0;
      for (const op of ops) {
        for (const param of op.params.filter((p) => p.in === 'query')) {
          for (const value of INJECT) {
            const bound = op.path === '/v1/events/stream' ? bounded : '';
            const url = `${path(op.path)}?${bound}${encodeURIComponent(param.name)}=${encodeURIComponent(value)}`;
            const auth =
              op.dialect === 'zendesk'
                ? a.basic
                : op.path.endsWith('/download') && op.dialect === 'genesys'
                  ? null
                  : `Bearer ${a.key}`;
            const res = await call(auth, 'GET', url);
            tried++;
            if (res.statusCode < 300 && !op.path.includes(':') && !IGNORED.has(param.name)) {
              assert.equal(rows(res), 0, `${url}: an injection matched`);
            }
            const next =
              res.statusCode < 300 && bound === ''
                ? (res.json<{ links?: { next?: string | null } }>().links?.next ?? '')
                : '';
            assert.ok(!/[\r\n]/.test(next), `${url}: a raw CR/LF in links.next`);
          }
        }
      }
      assert.ok(tried > 500, `${tried} parameter values tried`);
      assert.deepEqual(await snapshot(), before, 'nothing changed');
    });

    it('in every filter of every body (Genesys, LivePerson, jobs) and as path ids: no match or a 4xx', async () => {
      const before = await snapshot();
      const interval = `${new Date(Date.now() - 13 * 86_400_000).toISOString()}/${new Date(Date.now() + 3_600_000).toISOString()}`;
      const lp = `/api/account/${a.tenant}/configuration/metadata/audit`;
      for (const value of INJECT) {
        for (const property of FILTER_PROPERTIES) {
          const res = await expect([200], `Bearer ${a.key}`, 'POST', '/api/v2/audits/query/realtime', {
            interval,
            filters: [{ property, value }],
          });
          assert.equal(rows(res), 0, `${property}=${value}`);
        }
        const service = await expect([200, 400], `Bearer ${a.key}`, 'POST', '/api/v2/audits/query/realtime', {
          interval,
          serviceName: value,
        });
        if (service.statusCode === 200) assert.equal(rows(service), 0);
        await expect([404], `Bearer ${a.key}`, 'POST', '/api/v2/audits/query/realtime/related', {
          auditId: value,
        });
        for (const arg of ['users', 'componentTypes']) {
          const literal = await expect([200], `Bearer ${a.key}`, 'POST', lp, {
            query: `{ auditData(${arg}: [${JSON.stringify(value)}], lpa: true, automaticUpdates: true) { accountId } }`,
          });
          assert.equal(rows(literal), 0, `${arg} literal ${value}`);
          const variable = await expect([200], `Bearer ${a.key}`, 'POST', lp, {
            query: `query($v: [String!]) { auditData(${arg}: $v, lpa: true, automaticUpdates: true) { accountId } }`,
            variables: { v: [value] },
          });
          assert.equal(rows(variable), 0, `${arg} variable ${value}`);
        }
        // Spliced into a document unescaped, the text is GraphQL: whatever it says, it reads A's rows only.
        await expect([200, 400], `Bearer ${a.key}`, 'POST', lp, {
          query: `{ auditData(users: ["${value}"]) { accountId } }`,
        });
        for (const id of [
          '/v1/events/',
          '/v1/queries/',
          '/v1/exports/',
          '/api/v2/audits/query/',
          '/api/v2/audit_logs/',
        ]) {
          await expect([400, 404], `Bearer ${a.key}`, 'GET', `${id}${encodeURIComponent(value)}`);
        }
        const made = await expect([202, 400], `Bearer ${a.key}`, 'POST', '/v1/queries', {
          filters: { actor_id: value, q: value },
        });
        if (made.statusCode === 202) {
          const job = await settled(t, a.key, `/v1/queries/${made.json<JobJson>().id}`);
          assert.equal(job.state, 'succeeded');
          assert.equal(job.rows, 0);
        }
      }
      assert.deepEqual(await snapshot(), before, 'nothing changed');
    });

    describe('stored as values, they are matched literally, one event each', () => {
      let key: string;
      /** The injection strings every dialect's filter can carry as one value. */
      const literal = INJECT;

      before(async () => {
        key = await t.tenantWithKey('tam-literal', ['events:read', 'events:write']);
        await ingest(
          t,
          key,
          literal.map((value, i) =>
            event({
              id: `literal-${i}`,
              occurred_at: new Date(Date.now() - (i + 1) * 60_000).toISOString(),
              action: value,
              actor: { id: value, login: value },
              target: { type: value, id: value },
              client: { id: value },
              source: { session_id: value },
            }),
          ),
        );
      });

      it('native, Agilicus, Genesys and LivePerson filters each find exactly that event', async () => {
        const lp = '/api/account/tam-literal/configuration/metadata/audit';
        const interval = `${new Date(Date.now() - 86_400_000).toISOString()}/${new Date(Date.now() + 60_000).toISOString()}`;
        for (const [i, value] of literal.entries()) {
          const v = encodeURIComponent(value);
          for (const f of ['actor_id', 'action', 'target_type', 'target_id', 'client_id', 'session_id']) {
            const res = await expect([200], `Bearer ${key}`, 'GET', `/v1/events?${f}=${v}`);
            assert.deepEqual(
              res.json<{ data: { id: string }[] }>().data.map((e) => e.id),
              [`literal-${i}`],
              `${f}=${value}`,
            );
          }
          for (const f of ['user_id', 'action', 'target_id', 'target_resource_type']) {
            assert.equal(
              rows(await expect([200], `Bearer ${key}`, 'GET', `/v1/audits?${f}=${v}`)),
              1,
              `agilicus ${f}=${value}`,
            );
          }
          for (const property of ['UserId', 'Action', 'EntityType', 'EntityId', 'ClientId']) {
            const res = await expect([200], `Bearer ${key}`, 'POST', '/api/v2/audits/query/realtime', {
              interval,
              filters: [{ property, value }],
            });
            assert.equal(rows(res), 1, `genesys ${property}=${value}`);
          }
          for (const arg of ['users', 'componentTypes']) {
            const res = await expect([200], `Bearer ${key}`, 'POST', lp, {
              query: `query($v: [String!]) { auditData(${arg}: $v) { originatorUserId } }`,
              variables: { v: [value] },
            });
            assert.equal(rows(res), 1, `liveperson ${arg}=${value}`);
          }
        }
      });

      it('Zendesk filters find it too, except where its documented forms split or trim the value', async () => {
        for (const [i, value] of literal.entries()) {
          // filter[...] values are comma-separated lists of trimmed values (docs/zendesk.md).
          const whole = !value.includes(',') && value.trim() === value;
          for (const f of ['actor_id', 'action', 'source_type']) {
            const res = await expect(
              [200],
              `Bearer ${key}`,
              'GET',
              `/api/v2/audit_logs?filter[${f}]=${encodeURIComponent(value)}`,
            );
            const ids = res.json<{ audit_logs: { id: number }[] }>().audit_logs.map((l) => l.id);
            if (whole) assert.deepEqual(ids, [i + 1], `zendesk ${f}=${value}`);
            else
              assert.ok(
                ids.every((id) => id === i + 1),
                `zendesk ${f}=${value} matched another event`,
              );
          }
        }
      });
    });
  });

  describe('CSV exports', () => {
    let key: string;
    /** Every text column of the CSV, each starting with a character a spreadsheet acts on. */
    const starts = ['=', '+', '-', '@', '\t', '\r'];
    const at = (i: number) => starts[i % starts.length] as string;
    const sent = {
      id: `${at(0)}id-1`,
      occurred_at: '2026-03-01T12:00:00Z',
      action: `${at(1)}cmd|' /C calc'!A0`,
      service: `${at(2)}2+3`,
      actor: {
        id: `${at(3)}SUM(A1)`,
        type: `${at(4)}type`,
        name: `${at(5)}name`,
        email: `${at(0)}a@example.com`,
      },
      client: { id: `${at(1)}client`, name: `${at(2)}client name` },
      target: {
        type: `${at(3)}type`,
        id: `${at(4)}target`,
        name: `${at(5)}HYPERLINK("http://evil.example")`,
      },
      description: `${at(0)}1+1`,
      transaction_id: `${at(1)}txn`,
      changes: [{ field: 'f', old: ['=1'], new: ['+2'] }],
    };

    before(async () => {
      key = await t.tenantWithKey('tam-csv', ['events:read', 'events:write']);
      await ingest(t, key, [sent]);
    });

    function assertNeutral(csv: string) {
      const [header, row] = parseCsv(csv);
      assert.deepEqual(header, [...CSV_COLUMNS]);
      assert.ok(row, 'one row');
      let quoted = 0;
      row.forEach((cell, i) => {
        assert.ok(
          !FORMULA.test(cell),
          `${CSV_COLUMNS[i]}: ${JSON.stringify(cell)} starts with a formula character`,
        );
        if (cell.startsWith("'") && FORMULA.test(cell.slice(1))) quoted++;
      });
      assert.ok(quoted >= 14, `${quoted} cells neutralised with a leading quote`);
      const col = (name: (typeof CSV_COLUMNS)[number]) => row[CSV_COLUMNS.indexOf(name)];
      assert.equal(col('action'), `'${sent.action}`, 'the value follows the quote unchanged');
      assert.equal(col('target_name'), `'${sent.target.name}`);
    }

    it('a Zendesk export (CSV) prefixes every cell starting with = + - @ tab or CR with a single quote', async () => {
      const basic = `Basic ${Buffer.from(`r@example.com/token:${key}`).toString('base64')}`;
      const made = await expect([202], basic, 'POST', '/api/v2/audit_logs/export');
      const id = new URL(made.headers.location as string).pathname.split('/').pop() as string;
      assert.equal((await settled(t, key, `/v1/exports/${id}`)).state, 'succeeded');
      assertNeutral((await expect([200], `Bearer ${key}`, 'GET', `/v1/exports/${id}/download`)).body);
    });
    it('so does a native CSV export; NDJSON keeps the values as they were sent', async () => {
      const made = await expect([202], `Bearer ${key}`, 'POST', '/v1/exports', { format: 'csv' });
      const id = made.json<JobJson>().id;
      assert.equal((await settled(t, key, `/v1/exports/${id}`)).state, 'succeeded');
      assertNeutral((await expect([200], `Bearer ${key}`, 'GET', `/v1/exports/${id}/download`)).body);
      const nd = await expect([202], `Bearer ${key}`, 'POST', '/v1/exports', { format: 'ndjson' });
      const ndId = nd.json<JobJson>().id;
      await settled(t, key, `/v1/exports/${ndId}`);
      const line = JSON.parse(
        (await expect([200], `Bearer ${key}`, 'GET', `/v1/exports/${ndId}/download`)).body.trim(),
      );
      assert.equal(line.action, sent.action);
      assert.equal(line.description, sent.description);
    });
  });

  it('made enough requests to mean something', () => {
    assert.ok(requests > 3000, `${requests} requests`);
  });
});
