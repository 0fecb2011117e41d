import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/app.js';
import { assertStoredAsSent, createdOperatorKey, lines, ndjson, runCli } from './run.js';

const SECRET = /^tk_key_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/;

describe('trailkeep CLI on a local database', () => {
  const tmp = tempDir('trailkeep-cli-');
  const db = join(tmp.dir, 'cli.db');
  const events = join(tmp.dir, 'events.ndjson');
  const input = ndjson(2500);
  const local = (args: string[], input?: string) =>
    runCli([...args], { env: { TRAILKEEP_DB: db }, ...(input !== undefined ? { input } : {}) });
  const all = async (tenant: string, extra: string[] = []) => {
    const r = await local(['query', '--tenant', tenant, '--order', 'asc', '--limit', '100000', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
  };

  before(() => writeFileSync(events, input));
  after(() => tmp.remove());

  it('refuses to read a database that does not exist, and creates none', async () => {
    const r = await local(['tenants', 'list']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^trailkeep: No database at .*cli\.db\./);
    assert.equal(existsSync(db), false);
  });

  it('migrate creates the database and reports its schema version', async () => {
    const r = await local(['migrate', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { engine: string; schema_version: number };
    assert.equal(out.engine, 'sqlite');
    assert.ok(out.schema_version >= 1);
    const again = await runCli(['migrate', '--db', db]);
    assert.match(again.stdout, new RegExp(`sqlite schema version ${out.schema_version}, up to date`));
  });

  it('creates and lists tenants; the generated admin token is shown once, on stderr', async () => {
    const first = await local(['tenants', 'create', 'acme', '--name', 'Acme Corp']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, 'acme\n');
    assert.match(first.stderr, /admin token[\s\S]*tka_/);
    const second = await local(['tenants', 'create', 'beta', '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout).name, 'beta');
    assert.doesNotMatch(second.stderr, /tka_/);
    await local(['tenants', 'create', 'gamma']);

    const dup = await local(['tenants', 'create', 'acme']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^trailkeep: .*exists/);
    const bad = await local(['tenants', 'create', 'no spaces']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Tenant id must match/);

    const json = await local(['tenants', 'list', '--json']);
    assert.deepEqual(
      (JSON.parse(json.stdout) as { id: string; name: string }[]).map((t) => [t.id, t.name]).sort(),
      [
        ['acme', 'Acme Corp'],
        ['beta', 'beta'],
        ['gamma', 'gamma'],
      ],
    );
    const plain = await local(['tenants', 'list']);
    const rows = lines(plain.stdout).map((l) => l.split('\t'));
    assert.deepEqual(rows.map((r) => r.slice(0, 2)).sort(), [
      ['acme', 'Acme Corp'],
      ['beta', 'beta'],
      ['gamma', 'gamma'],
    ]);
  });

  it('creates, lists and revokes keys, printing a secret only at creation', async () => {
    const piped = await local([
      'keys',
      'create',
      'acme',
      '--name',
      'ci',
      '--scope',
      'events:write',
      '--scope',
      'events:read',
    ]);
    assert.equal(piped.code, 0, piped.stderr);
    const secret = piped.stdout.trim();
    assert.match(secret, SECRET);

    const json = await local([
      'keys',
      'create',
      'acme',
      '--name',
      'reader',
      '--scope',
      'events:read',
      '--json',
    ]);
    const reader = JSON.parse(json.stdout) as {
      id: string;
      secret: string;
      scopes: string[];
      tenant: string;
    };
    assert.match(reader.secret, SECRET);
    assert.deepEqual(reader.scopes, ['events:read']);
    assert.equal(reader.tenant, 'acme');

    const list = await local(['keys', 'list', 'acme', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.doesNotMatch(list.stdout, /tk_key_|secret/);
    const keys = JSON.parse(list.stdout) as { id: string; name: string; revoked_at: string | null }[];
    assert.deepEqual(keys.map((k) => k.name).sort(), ['ci', 'reader']);

    const revoke = await local(['keys', 'revoke', 'acme', reader.id]);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.match(revoke.stdout, new RegExp(`Revoked key ${reader.id}`));
    const plain = await local(['keys', 'list', 'acme']);
    const rows = lines(plain.stdout).map((l) => l.split('\t'));
    assert.equal(rows.length, 2);
    assert.notEqual(rows.find((r) => r[0] === reader.id)?.[4], 'active');
    assert.equal(rows.find((r) => r[1] === 'ci')?.[4], 'active');
    assert.doesNotMatch(plain.stdout, /tk_key_/);

    const again = await local(['keys', 'revoke', 'acme', reader.id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /No active key/);
    const badScope = await local(['keys', 'create', 'acme', '--name', 'x', '--scope', 'events:everything']);
    assert.equal(badScope.code, 2);
    assert.match(badScope.stderr, /Unknown scope events:everything/);
    const noTenant = await local(['keys', 'list', 'nobody']);
    assert.equal(noTenant.code, 1);
    assert.match(noTenant.stderr, /Tenant nobody does not exist/);
  });

  it('creates, lists and revokes operator keys, apart from tenant keys', async () => {
    const made = await local([
      'operator-keys',
      'create',
      '--name',
      'saas',
      '--scope',
      'tenants:manage',
      '--json',
    ]);
    const key = createdOperatorKey(made);
    const list = await local(['operator-keys', 'list']);
    assert.deepEqual(
      lines(list.stdout).map((l) => l.split('\t').slice(0, 3)),
      [[key.id, 'saas', 'tenants:manage']],
    );
    assert.doesNotMatch((await local(['keys', 'list', 'acme'])).stdout, new RegExp(key.id));
    const wrongScope = await local(['operator-keys', 'create', '--name', 'x', '--scope', 'tenant:admin']);
    assert.equal(wrongScope.code, 2);
    assert.match(wrongScope.stderr, /Unknown scope tenant:admin/);
    const revoke = await local(['operator-keys', 'revoke', key.id]);
    assert.equal(revoke.code, 0, revoke.stderr);
    const again = await local(['operator-keys', 'revoke', key.id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /No active operator key/);
  });

  it('ingests an NDJSON file in batches; the events read back whole, in gapless seqs', async () => {
    const r = await runCli(['ingest', events, '--db', db, '--tenant', 'acme']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Ingested 2,500 events \(0 duplicates\) in [\d.]+ s: [\d,]+ events\/s\.\n$/);
    assert.equal(r.stderr, '', 'no progress bar when stderr is not a terminal');

    assertStoredAsSent(await all('acme'), input, 'acme');

    const repeat = await local(['ingest', events, '--tenant', 'acme', '--json']);
    assert.equal(repeat.code, 0, repeat.stderr);
    assert.deepEqual(
      { ...JSON.parse(repeat.stdout), seconds: 0, events_per_second: 0 },
      { accepted: 2500, duplicates: 2500, seconds: 0, events_per_second: 0 },
    );
    assert.equal((await all('acme')).length, 2500);
  });

  it('ingests from stdin, accepting blank lines and CRLF endings', async () => {
    const text = ndjson(3, 10_000).replaceAll('\n', '\r\n').replace('\r\n', '\r\n\r\n');
    const r = await local(['ingest', '-', '--tenant', 'beta'], text);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Ingested 3 events \(0 duplicates\)/);
    const stored = await all('beta');
    assert.deepEqual(
      stored.map((e) => [e.seq, e.id]),
      [
        [1, 'evt-10000'],
        [2, 'evt-10001'],
        [3, 'evt-10002'],
      ],
    );
  });

  it('rejects invalid events naming their input lines, and stores nothing', async () => {
    const bad = join(tmp.dir, 'bad.ndjson');
    const good = lines(ndjson(2, 20_000));
    writeFileSync(
      bad,
      `${good[0]}\n\n${good[1]}\n{"occurred_at":"yesterday","action":"a.b"}\n[1,2]\n${ndjson(1, 20_010)}`,
    );
    const r = await local(['ingest', bad, '--tenant', 'gamma']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /^trailkeep: Lines 1–6 rejected: One or more events are invalid; nothing was stored\.\n/,
    );
    assert.match(r.stderr, /\n {2}line 4: \$\.occurred_at: must be a valid date-time\n/);
    assert.match(r.stderr, /\n {2}line 5: \$: must be an event object\n/);
    assert.match(r.stderr, /Nothing was stored\.\n$/);
    assert.equal((await all('gamma')).length, 0);

    const syntax = await local(
      ['ingest', '-', '--tenant', 'gamma'],
      `${good[0]}\n${good[1]}\n{"action": oops}\n`,
    );
    assert.equal(syntax.code, 1);
    assert.match(syntax.stderr, /^trailkeep: Line 3 is not valid JSON: /);
    assert.equal((await all('gamma')).length, 0);
  });

  it('keeps the batches stored before a rejected one and says where to resume', async () => {
    const file = join(tmp.dir, 'partial.ndjson');
    const good = lines(ndjson(4, 30_000));
    writeFileSync(file, `${good[0]}\n${good[1]}\n${good[2]}\n{"action":"no.time"}\n${good[3]}\n`);
    const r = await local(['ingest', file, '--tenant', 'gamma', '--batch-size', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^trailkeep: Lines 3–4 rejected: /);
    assert.match(r.stderr, /line 4: \$\.occurred_at: is required/);
    assert.match(r.stderr, /Stored before the failure: 2 events .*nothing from line 3 on\. .*tail -n \+3 /);
    assert.deepEqual(
      (await all('gamma')).map((e) => e.id),
      ['evt-30000', 'evt-30001'],
    );
  });

  it('queries with filters as a table', async () => {
    const r = await local([
      'query',
      '--tenant',
      'acme',
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
  });

  it('queries with filters as NDJSON and JSON, paging past the API page size', async () => {
    const failures = await all('acme', ['--outcome', 'failure']);
    assert.equal(failures.length, 250);
    assert.ok(failures.every((e) => e.outcome === 'failure'));

    const either = await all('acme', [
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

    const window = await all('acme', ['--from', '2026-03-01T12:00:10Z', '--to', '2026-03-01T12:00:20Z']);
    assert.deepEqual(
      window.map((e) => e.seq),
      [11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    );

    const paged = await local(['query', '--tenant', 'acme', '--limit', '1500']);
    const seqs = lines(paged.stdout).map((l) => (JSON.parse(l) as { seq: number }).seq);
    assert.equal(seqs.length, 1500);
    assert.equal(seqs[0], 2500);
    assert.equal(seqs.at(-1), 1001);

    const json = await local([
      'query',
      '--tenant',
      'acme',
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
    const none = await local([
      'query',
      '--tenant',
      'acme',
      '--format',
      'json',
      '--action',
      'nothing.matches',
    ]);
    assert.deepEqual(JSON.parse(none.stdout), []);

    const badFilter = await local(['query', '--tenant', 'acme', '--from', 'last tuesday']);
    assert.equal(badFilter.code, 2);
    assert.match(badFilter.stderr, /--from: must be a valid date-time/);
  });

  it('exports to CSV and NDJSON files', async () => {
    const csvFile = join(tmp.dir, 'deletes.csv');
    const csv = await local(['export', '--tenant', 'acme', '--action', 'document.delete', '-o', csvFile]);
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stdout, /^Exported 834 events as csv to .*deletes\.csv/);
    assert.equal(existsSync(`${csvFile}.partial`), false);
    const rows = lines(readFileSync(csvFile, 'utf8'));
    assert.equal(rows.length, 835);
    assert.match(rows[0] ?? '', /^seq,id,occurred_at,received_at,action,/);
    assert.match(rows[1] ?? '', /^1,evt-0,2026-03-01T12:00:00\.000Z,[^,]+,document\.delete,admin,failure,/);
    assert.match(rows[834] ?? '', /^2500,evt-2499,/);

    const ndFile = join(tmp.dir, 'user-1.ndjson');
    const nd = await local([
      'export',
      '--tenant',
      'acme',
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
    const queried = await all('acme', ['--actor-id', 'user-1']);
    assert.deepEqual(
      exported.map((l) => JSON.parse(l)),
      queried,
    );

    const piped = await local(['export', '--tenant', 'acme', '--target-id', 'doc-3', '-o', '-']);
    assert.equal(piped.code, 0, piped.stderr);
    assert.deepEqual(
      lines(piped.stdout).map((l) => (JSON.parse(l) as { id: string }).id),
      ['evt-3'],
    );
  });
});
