// @engines sqlite postgres
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSigner, type Signer } from '../../src/core/log/note.js';
import { ADMIN_TOKEN, call } from '../helpers/api.js';
import { startTestApp, type TestApp, type TestData, testData, testEngine } from '../helpers/app.js';
import { literal, rawDb } from '../helpers/raw-db.js';
import { assertStoredAsSent, type CliResult, createdOperatorKey, lines, ndjson, runCli } from './run.js';

const SECRET = /^tk_key_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/;

/**
 * The CLI over both of its backends, on the engine of the run: straight on the database (local
 * mode, --db) and over HTTP to a server (remote mode, --url and --token). The same commands
 * give the same results either way; the tests of what only one backend has (creating the
 * database, credentials refused by the server) run on that one.
 */
/** A setting as the database keeps it, read around Trailkeep. */
async function storedSetting(data: TestData, key: string): Promise<string> {
  const db = await rawDb(data.env.TRAILKEEP_DB as string);
  try {
    return (await db.all<{ value: string }>(`SELECT value FROM settings WHERE key = ${literal(key)}`))[0]
      ?.value as string;
  } finally {
    await db.close();
  }
}

for (const mode of ['local', 'remote'] as const) {
  const remote = mode === 'remote';
  describe(`trailkeep CLI ${remote ? 'against a server' : 'on a local database'}`, () => {
    /** The database: the local CLI's, or the server's. */
    let data: TestData;
    let server: TestApp | undefined;
    let url = '';
    /** Keys of acme made with the CLI: events:write, and events:read with events:write. */
    let writer = '';
    let reader = '';
    const input = ndjson(2500);
    const file = (name: string) => join(data.dir, name);

    /** Runs the CLI with its target (and, remotely, `token`) in the environment, as an operator would. */
    const cli = (token: string, args: string[], stdin?: string): Promise<CliResult> =>
      runCli(args, {
        env: remote ? { TRAILKEEP_URL: url, TRAILKEEP_TOKEN: token } : data.env,
        ...(stdin !== undefined ? { input: stdin } : {}),
      });
    /** The same target as flags. */
    const flags = (token: string): string[] =>
      remote ? ['--url', url, '--token', token] : ['--db', data.env.TRAILKEEP_DB as string];
    /** Names the tenant of a data command: local mode needs --tenant, a tenant key names its own. */
    const of = (tenant: string): string[] => (remote ? [] : ['--tenant', tenant]);
    /** A key of `tenant` for remote commands (local mode needs none). */
    const keyOf = (tenant: string, scopes: string[]) =>
      remote ? (server as TestApp).key(tenant, scopes) : Promise.resolve('');
    /** The events a query printed as NDJSON. */
    const printed = (r: CliResult) => {
      assert.equal(r.code, 0, r.stderr);
      return lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    const EVERY = ['--order', 'asc', '--limit', '100000'];
    /** Every event of the tenant (that `extra` filters let through), queried through the backend under test. */
    const all = async (token: string, tenant: string, extra: string[] = []) =>
      printed(await cli(token, ['query', ...of(tenant), ...EVERY, ...extra]));
    /** Every event of the tenant as the database holds it, read straight from it. */
    const stored = async (tenant: string) =>
      printed(await runCli(['query', '--tenant', tenant, ...EVERY], { env: data.env }));

    before(async () => {
      data = await testData();
      if (remote) {
        server = await startTestApp({}, data);
        url = await server.app.listen({ port: 0, host: '127.0.0.1' });
      }
      writeFileSync(file('events.ndjson'), input);
    });
    after(async () => {
      await server?.close();
      await data.remove();
    });

    if (!remote) {
      const onPostgres =
        testEngine === 'postgres' && 'a PostgreSQL database is made on its server, not by the CLI';
      it('refuses to read a database that does not exist, and creates none', {
        skip: onPostgres,
      }, async () => {
        const db = data.env.TRAILKEEP_DB as string;
        const r = await cli('', ['tenants', 'list']);
        assert.equal(r.code, 1);
        assert.ok(r.stderr.startsWith(`trailkeep: No database at ${db}.`), r.stderr);
        assert.equal(existsSync(db), false);
      });

      it('migrate creates or upgrades the database and reports its schema version', async () => {
        const r = await cli('', ['migrate', '--json']);
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout) as { engine: string; schema_version: number };
        assert.equal(out.engine, data.engine);
        assert.ok(out.schema_version >= 1);
        const again = await runCli(['migrate', ...flags('')]);
        assert.match(
          again.stdout,
          new RegExp(`${data.engine} schema version ${out.schema_version}, up to date`),
        );
      });
    }

    it('creates and lists tenants with the admin credential', async () => {
      const first = await runCli(['tenants', 'create', 'acme', '--name', 'Acme Corp', ...flags(ADMIN_TOKEN)]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, 'acme\n');
      // The first opening of a new database makes the admin token, shown once; a server had one.
      if (!remote) assert.match(first.stderr, /admin token[\s\S]*tka_/);
      const second = await cli(ADMIN_TOKEN, ['tenants', 'create', 'beta', '--json']);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(JSON.parse(second.stdout).name, 'beta');
      assert.doesNotMatch(second.stderr, /tka_/);
      await cli(ADMIN_TOKEN, ['tenants', 'create', 'gamma']);

      const dup = await cli(ADMIN_TOKEN, ['tenants', 'create', 'acme']);
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, /^trailkeep: .*exists/);
      if (remote) assert.match(dup.stderr, /^trailkeep: .* \(HTTP 409, request [0-9a-f-]{36}\)\n$/);
      const bad = await cli(ADMIN_TOKEN, ['tenants', 'create', 'no spaces']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, remote ? /HTTP 400/ : /Tenant id must match/);

      const json = await cli(ADMIN_TOKEN, ['tenants', 'list', '--json']);
      assert.deepEqual(
        (JSON.parse(json.stdout) as { id: string; name: string }[]).map((t) => [t.id, t.name]).sort(),
        [
          ['acme', 'Acme Corp'],
          ['beta', 'beta'],
          ['gamma', 'gamma'],
        ],
      );
      const plain = await cli(ADMIN_TOKEN, ['tenants', 'list']);
      const rows = lines(plain.stdout).map((l) => l.split('\t'));
      assert.deepEqual(rows.map((r) => r.slice(0, 2)).sort(), [
        ['acme', 'Acme Corp'],
        ['beta', 'beta'],
        ['gamma', 'gamma'],
      ]);
    });

    it('creates, lists and revokes keys, printing a secret only at creation', async () => {
      const piped = await cli(ADMIN_TOKEN, [
        'keys',
        'create',
        'acme',
        '--name',
        'writer',
        '--scope',
        'events:write',
      ]);
      assert.equal(piped.code, 0, piped.stderr);
      writer = piped.stdout.trim();
      assert.match(writer, SECRET);
      const made = await cli(ADMIN_TOKEN, [
        'keys',
        'create',
        'acme',
        '--name',
        'reader',
        '--scope',
        'events:read',
        '--scope',
        'events:write',
        '--json',
      ]);
      reader = (JSON.parse(made.stdout) as { secret: string }).secret;
      const json = await cli(ADMIN_TOKEN, [
        'keys',
        'create',
        'acme',
        '--name',
        'doomed',
        '--scope',
        'events:read',
        '--json',
      ]);
      const doomed = JSON.parse(json.stdout) as {
        id: string;
        secret: string;
        scopes: string[];
        tenant: string;
      };
      assert.match(doomed.secret, SECRET);
      assert.deepEqual(doomed.scopes, ['events:read']);
      assert.equal(doomed.tenant, 'acme');

      const list = await cli(ADMIN_TOKEN, ['keys', 'list', 'acme', '--json']);
      assert.equal(list.code, 0, list.stderr);
      assert.doesNotMatch(list.stdout, /tk_key_|secret/);
      const keys = JSON.parse(list.stdout) as { id: string; name: string; revoked_at: string | null }[];
      assert.deepEqual(keys.map((k) => k.name).sort(), ['doomed', 'reader', 'writer']);

      if (remote) {
        const before = await call(url, doomed.secret, 'GET', '/v1/events');
        assert.equal(before.status, 200);
      }
      const revoke = await cli(ADMIN_TOKEN, ['keys', 'revoke', 'acme', doomed.id]);
      assert.equal(revoke.code, 0, revoke.stderr);
      assert.match(revoke.stdout, new RegExp(`Revoked key ${doomed.id}`));
      const plain = await cli(ADMIN_TOKEN, ['keys', 'list', 'acme']);
      const rows = lines(plain.stdout).map((l) => l.split('\t'));
      assert.equal(rows.length, 3);
      assert.notEqual(rows.find((r) => r[0] === doomed.id)?.[4], 'active');
      assert.equal(rows.find((r) => r[1] === 'writer')?.[4], 'active');
      assert.doesNotMatch(plain.stdout, /tk_key_/);

      const again = await cli(ADMIN_TOKEN, ['keys', 'revoke', 'acme', doomed.id]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /No active key/);
      const badScope = await cli(ADMIN_TOKEN, [
        'keys',
        'create',
        'acme',
        '--name',
        'x',
        '--scope',
        'events:everything',
      ]);
      assert.equal(badScope.code, 2);
      assert.match(badScope.stderr, /Unknown scope events:everything/);
      const noTenant = await cli(ADMIN_TOKEN, ['keys', 'list', 'nobody']);
      assert.equal(noTenant.code, 1);
      assert.match(noTenant.stderr, /Tenant nobody does not exist/);

      if (remote) {
        // The server refuses the revoked key at once, and a tenant key the admin's work.
        assert.equal((await call(url, doomed.secret, 'GET', '/v1/events')).status, 401);
        const refused = await cli(doomed.secret, ['query']);
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /^trailkeep: A valid credential is required\. \(HTTP 401, request /);
        assert.doesNotMatch(refused.stderr, /tk_key_/);
        const notAdmin = await cli(writer, ['tenants', 'list']);
        assert.equal(notAdmin.code, 1);
        assert.match(notAdmin.stderr, /HTTP 403/);
      }
    });

    if (remote) {
      it('uses a key made locally on the server’s database', async () => {
        const made = await runCli([
          'keys',
          'create',
          'beta',
          '--name',
          'local',
          '--scope',
          'events:read',
          '--db',
          data.env.TRAILKEEP_DB as string,
        ]);
        assert.equal(made.code, 0, made.stderr);
        assert.equal((await call(url, made.stdout.trim(), 'GET', '/v1/events')).status, 200);
      });
    }

    it('ingests an NDJSON file in batches; the events read back whole, in gapless seqs', async () => {
      const r = await runCli(['ingest', file('events.ndjson'), ...flags(writer), ...of('acme')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Ingested 2,500 events \(0 duplicates\) in [\d.]+ s: [\d,]+ events\/s\.\n$/);
      assert.equal(r.stderr, '', 'no progress bar when stderr is not a terminal');

      assertStoredAsSent(await stored('acme'), input, 'acme');

      const repeat = await cli(writer, ['ingest', file('events.ndjson'), ...of('acme'), '--json']);
      assert.equal(repeat.code, 0, repeat.stderr);
      assert.deepEqual(
        { ...JSON.parse(repeat.stdout), seconds: 0, events_per_second: 0 },
        { accepted: 2500, duplicates: 2500, seconds: 0, events_per_second: 0 },
      );
      assert.equal((await all(reader, 'acme')).length, 2500);

      if (remote) {
        const foreign = await cli(writer, ['ingest', '-', '--tenant', 'beta'], ndjson(1, 9000));
        assert.equal(foreign.code, 1, 'a tenant key names no other tenant');
        assert.match(foreign.stderr, /HTTP 403/);
      }
    });

    if (remote) {
      it('splits batches by size, so large events stay under the server’s body limit', async () => {
        const key = await (server as TestApp).tenantWithKey('bulk', ['events:write']);
        // 300 events of about 56 KB: 17 MB in all, more than the 16 MiB an NDJSON request may carry.
        const big = Array.from({ length: 300 }, (_, i) =>
          JSON.stringify({
            id: `big-${i}`,
            occurred_at: '2026-03-02T00:00:00Z',
            action: 'blob.write',
            changes: [{ field: 'content', new: Array.from({ length: 8 }, () => 'x'.repeat(7000)) }],
          }),
        ).join('\n');
        const r = await cli(key, ['ingest', '-'], big);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^Ingested 300 events/);
        assert.equal((await stored('bulk')).length, 300);
      });
    }

    it('ingests from stdin, accepting blank lines and CRLF endings', async () => {
      const text = ndjson(3, 10_000).replaceAll('\n', '\r\n').replace('\r\n', '\r\n\r\n');
      const r = await cli(await keyOf('beta', ['events:write']), ['ingest', '-', ...of('beta')], text);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Ingested 3 events \(0 duplicates\)/);
      assert.deepEqual(
        (await stored('beta')).map((e) => [e.seq, e.id]),
        [
          [1, 'evt-10000'],
          [2, 'evt-10001'],
          [3, 'evt-10002'],
        ],
      );
    });

    it('rejects invalid events naming their input lines, and stores nothing', async () => {
      const key = await keyOf('gamma', ['events:write']);
      // Remotely the server's answer follows: its status and request id.
      const answered = remote ? ' \\(HTTP 400, ' : '\\n';
      const good = lines(ndjson(2, 20_000));
      writeFileSync(
        file('bad.ndjson'),
        `${good[0]}\n\n${good[1]}\n{"occurred_at":"yesterday","action":"a.b"}\n[1,2]\n${ndjson(1, 20_010)}`,
      );
      const r = await cli(key, ['ingest', file('bad.ndjson'), ...of('gamma')]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        new RegExp(
          `^trailkeep: Lines 1–6 rejected: One or more events are invalid; nothing was stored\\.${answered}`,
        ),
      );
      assert.match(r.stderr, /\n {2}line 4: \$\.occurred_at: must be a valid date-time\n/);
      assert.match(r.stderr, /\n {2}line 5: \$: must be an event object\n/);
      assert.match(r.stderr, /Nothing was stored\.\n$/);
      assert.equal((await stored('gamma')).length, 0);

      const other = await cli(
        key,
        ['ingest', '-', ...of('gamma')],
        `${good[0]}\n\n\n${good[1]}\n{"action":"x","occurred_at":"2026-01-01T00:00:00Z","actor":{"id":7}}\n`,
      );
      assert.equal(other.code, 1);
      assert.match(
        other.stderr,
        new RegExp(
          `^trailkeep: Lines 1–5 rejected: One or more events are invalid; nothing was stored\\.${answered}`,
        ),
      );
      assert.match(other.stderr, /\n {2}line 5: \$\.actor\.id: must be string\n/);
      assert.match(other.stderr, /Nothing was stored\.\n$/);

      const syntax = await cli(
        key,
        ['ingest', '-', ...of('gamma')],
        `${good[0]}\n${good[1]}\n{"action": oops}\n`,
      );
      assert.equal(syntax.code, 1);
      assert.match(syntax.stderr, /^trailkeep: Line 3 is not valid JSON: /);
      assert.equal((await stored('gamma')).length, 0);
    });

    it('keeps the batches stored before a rejected one and says where to resume', async () => {
      const good = lines(ndjson(4, 30_000));
      writeFileSync(
        file('partial.ndjson'),
        `${good[0]}\n${good[1]}\n${good[2]}\n{"action":"no.time"}\n${good[3]}\n`,
      );
      const r = await cli(await keyOf('gamma', ['events:write']), [
        'ingest',
        file('partial.ndjson'),
        ...of('gamma'),
        '--batch-size',
        '2',
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^trailkeep: Lines 3–4 rejected: /);
      assert.match(r.stderr, /line 4: \$\.occurred_at: is required/);
      assert.match(r.stderr, /Stored before the failure: 2 events .*nothing from line 3 on\. .*tail -n \+3 /);
      assert.deepEqual(
        (await stored('gamma')).map((e) => e.id),
        ['evt-30000', 'evt-30001'],
      );
    });

    it('queries with filters as a table', async () => {
      const r = await cli(reader, [
        'query',
        ...of('acme'),
        '--format',
        'table',
        '--action',
        'document.delete',
        '--actor-id',
        'user-0',
        '--limit',
        '4',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const [head, ...rows] = lines(r.stdout);
      assert.match(head ?? '', /^SEQ\s+OCCURRED_AT\s+ACTION\s+ACTOR\s+TARGET\s+OUTCOME\s+DESCRIPTION$/);
      // i % 3 === 0 and i % 5 === 0: i = 2490, 2475, 2460, 2445 newest first (seq = i + 1).
      assert.deepEqual(
        rows.map((l) => l.split(/\s{2,}/).slice(0, 6)),
        [2490, 2475, 2460, 2445].map((i) => [
          String(i + 1),
          new Date(Date.UTC(2026, 2, 1, 12, 0, 0) + i * 1000).toISOString(),
          'document.delete',
          'user-0',
          `${i % 2 === 0 ? 'document' : 'folder'}:doc-${i}`,
          i % 10 === 0 ? 'failure' : 'success',
        ]),
      );
      assert.ok(rows.every((l) => l.endsWith('…') && l.length <= 120));

      const failures = await cli(reader, [
        'query',
        ...of('acme'),
        '--format',
        'table',
        '--outcome',
        'failure',
        '--limit',
        '3',
      ]);
      assert.equal(failures.code, 0, failures.stderr);
      const listed = lines(failures.stdout);
      assert.match(listed[0] ?? '', /^SEQ\s+OCCURRED_AT\s+ACTION/);
      // Failures are i % 10 === 0, newest first: i = 2490, 2480, 2470.
      assert.deepEqual(
        listed.slice(1).map((l) => l.split(/\s{2,}/)[0]),
        ['2491', '2481', '2471'],
      );
    });

    it('queries with filters as NDJSON and JSON, paging past the API page size', async () => {
      const failures = await all(reader, 'acme', ['--outcome', 'failure']);
      assert.equal(failures.length, 250);
      assert.ok(failures.every((e) => e.outcome === 'failure'));

      const either = await all(reader, 'acme', [
        '--target-id',
        'doc-7',
        '--target-id',
        'doc-8',
        '--target-type',
        'folder',
      ]);
      assert.deepEqual(
        either.map((e) => e.id),
        ['evt-7'],
      );

      const window = await all(reader, 'acme', [
        '--from',
        '2026-03-01T12:00:10Z',
        '--to',
        '2026-03-01T12:00:20Z',
      ]);
      assert.deepEqual(
        window.map((e) => e.seq),
        [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
      );

      const paged = await cli(reader, ['query', ...of('acme'), '--limit', '1500']);
      const seqs = lines(paged.stdout).map((l) => (JSON.parse(l) as { seq: number }).seq);
      assert.equal(seqs.length, 1500);
      assert.equal(seqs[0], 2500);
      assert.equal(seqs.at(-1), 1001);

      const updates = await cli(reader, [
        'query',
        ...of('acme'),
        '--order',
        'asc',
        '--limit',
        '2000',
        '--action',
        'document.update',
      ]);
      assert.equal(updates.code, 0, updates.stderr);
      const got = lines(updates.stdout).map(
        (l) => JSON.parse(l) as { id: string; action: string; seq: number },
      );
      // 2,500 input events, i % 3 !== 0 are updates: 1,666.
      assert.equal(got.length, 1666);
      assert.ok(got.every((e) => e.action === 'document.update'));
      assert.deepEqual(
        got.slice(0, 3).map((e) => e.id),
        ['evt-1', 'evt-2', 'evt-4'],
      );
      const ascending = got.map((e) => e.seq);
      assert.deepEqual(
        ascending,
        [...ascending].sort((a, b) => a - b),
      );

      const json = await cli(reader, [
        'query',
        ...of('acme'),
        '--format',
        'json',
        '--limit',
        '3',
        '--q',
        'document',
      ]);
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(
        (JSON.parse(json.stdout) as { seq: number }[]).map((e) => e.seq),
        [2500, 2499, 2498],
      );
      const none = await cli(reader, [
        'query',
        ...of('acme'),
        '--format',
        'json',
        '--action',
        'nothing.matches',
      ]);
      assert.deepEqual(JSON.parse(none.stdout), []);

      const badFilter = await cli(reader, ['query', ...of('acme'), '--from', 'last tuesday']);
      assert.equal(badFilter.code, 2);
      assert.match(badFilter.stderr, /--from: must be a valid date-time/);
    });

    it('exports to CSV and NDJSON files', async () => {
      const csvFile = file('deletes.csv');
      const csv = await cli(reader, ['export', ...of('acme'), '--action', 'document.delete', '-o', csvFile]);
      assert.equal(csv.code, 0, csv.stderr);
      assert.match(csv.stdout, /^Exported 834 events as csv to .*deletes\.csv/);
      assert.equal(existsSync(`${csvFile}.partial`), false);
      const rows = lines(readFileSync(csvFile, 'utf8'));
      assert.equal(rows.length, 835);
      assert.match(rows[0] ?? '', /^seq,id,occurred_at,received_at,action,/);
      assert.match(rows[1] ?? '', /^1,evt-0,2026-03-01T12:00:00\.000Z,[^,]+,document\.delete,admin,failure,/);
      assert.match(rows[834] ?? '', /^2500,evt-2499,/);

      const byActor = file('user-2.csv');
      const two = await cli(reader, [
        'export',
        ...of('acme'),
        '--format',
        'csv',
        '-o',
        byActor,
        '--actor-id',
        'user-2',
      ]);
      assert.equal(two.code, 0, two.stderr);
      assert.match(two.stdout, /^Exported 500 events as csv to /);
      const twoRows = lines(readFileSync(byActor, 'utf8'));
      assert.equal(twoRows.length, 501);
      assert.match(twoRows[0] ?? '', /^seq,id,occurred_at,/);
      assert.match(twoRows[1] ?? '', /^3,evt-2,/);

      const ndFile = file('user-1.ndjson');
      const nd = await cli(reader, [
        'export',
        ...of('acme'),
        '--actor-id',
        'user-1',
        '--format',
        'ndjson',
        '--output',
        ndFile,
      ]);
      assert.equal(nd.code, 0, nd.stderr);
      const exported = lines(readFileSync(ndFile, 'utf8'));
      assert.equal(exported.length, 500);
      const queried = await all(reader, 'acme', ['--actor-id', 'user-1']);
      assert.deepEqual(
        exported.map((l) => JSON.parse(l)),
        queried,
      );

      const piped = await cli(reader, ['export', ...of('acme'), '--target-id', 'doc-3', '-o', '-']);
      assert.equal(piped.code, 0, piped.stderr);
      assert.deepEqual(
        lines(piped.stdout).map((l) => (JSON.parse(l) as { id: string }).id),
        ['evt-3'],
      );
      const folders = await cli(reader, [
        'export',
        ...of('acme'),
        '--target-type',
        'folder',
        '--outcome',
        'success',
        '-o',
        '-',
      ]);
      assert.equal(folders.code, 0, folders.stderr);
      const got = lines(folders.stdout).map((l) => JSON.parse(l) as { id: string; target: { type: string } });
      // Odd i are folders, and never failures (i % 10 === 0): 1,250.
      assert.equal(got.length, 1250);
      assert.ok(got.every((e) => e.target.type === 'folder'));
    });

    it('exports with proofs, which trailkeep verify checks offline', async () => {
      const proven = file('proven.ndjson');
      const res = await cli(reader, [
        'export',
        ...of('acme'),
        '--min-seq',
        '101',
        '--max-seq',
        '600',
        '--proofs',
        '-o',
        proven,
      ]);
      assert.equal(res.code, 0, res.stderr);
      const written = lines(readFileSync(proven, 'utf8'));
      assert.equal(written.length, 501);
      assert.match(written[500] ?? '', /^\{"trailkeep_proof":/);
      // The log's verifier key: from the API, or as the signer key the database keeps.
      const key = remote
        ? (await (server as TestApp).call(reader, { method: 'GET', url: '/v1/log/key' })).json<{
            verifier_key: string;
          }>().verifier_key
        : (parseSigner(await storedSetting(data, 'log_signer:trailkeep')) as Signer).text;
      const ok = await runCli(['verify', proven, '--key', key]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(
        ok.stdout,
        /^OK: 500 events of trailkeep\/acme .*\nComplete: the file holds every event of seqs 101-600\.\n$/,
      );
      const csv = await cli(reader, ['export', ...of('acme'), '--proofs', '-o', file('proven.csv')]);
      assert.equal(csv.code, 2);
      assert.match(csv.stderr, /--proofs needs --format ndjson/);
    });

    it('creates, lists and revokes operator keys, apart from tenant keys', async () => {
      const made = await cli(ADMIN_TOKEN, [
        'operator-keys',
        'create',
        '--name',
        'saas',
        '--scope',
        'events:write',
        '--scope',
        'events:read',
        '--scope',
        'tenants:manage',
        '--json',
      ]);
      const key = createdOperatorKey(made);
      const plain = await cli(ADMIN_TOKEN, ['operator-keys', 'list']);
      assert.deepEqual(
        lines(plain.stdout).map((l) => l.split('\t').slice(0, 3)),
        [[key.id, 'saas', 'events:write events:read tenants:manage']],
      );
      const list = await cli(ADMIN_TOKEN, ['operator-keys', 'list', '--json']);
      assert.deepEqual(
        (JSON.parse(list.stdout) as { id: string }[]).map((k) => k.id),
        [key.id],
      );
      assert.doesNotMatch(list.stdout, /tk_opk_|secret/);
      assert.doesNotMatch((await cli(ADMIN_TOKEN, ['keys', 'list', 'acme'])).stdout, new RegExp(key.id));
      const wrongScope = await cli(ADMIN_TOKEN, [
        'operator-keys',
        'create',
        '--name',
        'x',
        '--scope',
        'tenant:admin',
      ]);
      assert.equal(wrongScope.code, 2);
      assert.match(wrongScope.stderr, /Unknown scope tenant:admin/);

      if (remote) {
        // It writes and reads the tenants --tenant or the events name, creating them (tenants:manage).
        const named = await cli(key.secret, ['ingest', '-', '--tenant', 'delta'], ndjson(5, 7000));
        assert.equal(named.code, 0, named.stderr);
        const mixed = lines(ndjson(2, 7100))
          .map((l, i) => JSON.stringify({ ...JSON.parse(l), tenant: i ? 'delta' : 'epsilon' }))
          .join('\n');
        const spread = await cli(key.secret, ['ingest', '-'], mixed);
        assert.equal(spread.code, 0, spread.stderr);
        assert.deepEqual(
          (await stored('delta')).map((e) => e.seq),
          [1, 2, 3, 4, 5, 6],
        );
        assert.equal((await stored('epsilon')).length, 1);
        const query = await cli(key.secret, ['query', '--tenant', 'delta', '--format', 'ndjson']);
        assert.equal(query.code, 0, query.stderr);
        assert.equal(lines(query.stdout).length, 6);
        const unnamed = await cli(key.secret, ['query']);
        assert.equal(unnamed.code, 1);
        assert.match(unnamed.stderr, /Trailkeep-Tenant/);
      }

      const revoke = await cli(ADMIN_TOKEN, ['operator-keys', 'revoke', key.id]);
      assert.equal(revoke.code, 0, revoke.stderr);
      assert.equal(revoke.stdout, `Revoked operator key ${key.id}.\n`);
      const again = await cli(ADMIN_TOKEN, ['operator-keys', 'revoke', key.id]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /No active operator key/);
      if (remote) {
        const revoked = await cli(key.secret, ['query', '--tenant', 'delta']);
        assert.match(revoked.stderr, /HTTP 401/);
      }
    });
  });
}
