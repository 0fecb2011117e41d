// @engines sqlite
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../helpers/app.js';
import { assertStoredAsSent, createdOperatorKey, lines, ndjson, runCli } from './run.js';

describe('trailkeep CLI against a server', () => {
  let t: TestApp;
  let url: string;
  let writer: string;
  let reader: string;
  const input = ndjson(2500);

  /** Runs the CLI with the server and credential from the environment, as an operator would. */
  const remote = (token: string, args: string[], input?: string) =>
    runCli(args, {
      env: { TRAILKEEP_URL: url, TRAILKEEP_TOKEN: token },
      ...(input !== undefined ? { input } : {}),
    });
  const stored = async (tenant: string) => {
    const page = await t.services.events.page(tenant, {}, { order: 'asc', limit: 10_000 });
    return page.rows.map((r) => JSON.parse(r.json) as Record<string, unknown>);
  };

  before(async () => {
    t = await startTestApp();
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    writeFileSync(join(t.dir, 'events.ndjson'), input);
  });
  after(() => t.close());

  it('creates and lists tenants with the admin token, and refuses a tenant key', async () => {
    const created = await runCli([
      'tenants',
      'create',
      'acme',
      '--name',
      'Acme',
      '--url',
      url,
      '--token',
      ADMIN_TOKEN,
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'acme\n');
    assert.equal((await t.services.tenants.get('acme')).name, 'Acme');
    await remote(ADMIN_TOKEN, ['tenants', 'create', 'beta']);

    const list = await remote(ADMIN_TOKEN, ['tenants', 'list', '--json']);
    assert.deepEqual((JSON.parse(list.stdout) as { id: string }[]).map((x) => x.id).sort(), ['acme', 'beta']);

    const dup = await remote(ADMIN_TOKEN, ['tenants', 'create', 'acme']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^trailkeep: .* \(HTTP 409, request [0-9a-f-]{36}\)\n$/);
  });

  it('creates, lists and revokes keys; a revoked key then gets 401', async () => {
    const w = await remote(ADMIN_TOKEN, [
      'keys',
      'create',
      'acme',
      '--name',
      'writer',
      '--scope',
      'events:write',
    ]);
    assert.equal(w.code, 0, w.stderr);
    writer = w.stdout.trim();
    const r = await remote(ADMIN_TOKEN, [
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
    const created = JSON.parse(r.stdout) as { id: string; secret: string };
    reader = created.secret;
    const doomed = JSON.parse(
      (
        await remote(ADMIN_TOKEN, [
          'keys',
          'create',
          'acme',
          '--name',
          'doomed',
          '--scope',
          'events:read',
          '--json',
        ])
      ).stdout,
    ) as { id: string; secret: string };

    const list = await remote(ADMIN_TOKEN, ['keys', 'list', 'acme', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.doesNotMatch(list.stdout, /tk_key_|secret/);
    assert.deepEqual((JSON.parse(list.stdout) as { name: string }[]).map((k) => k.name).sort(), [
      'doomed',
      'reader',
      'writer',
    ]);

    const before = await fetch(`${url}/v1/events`, { headers: { authorization: `Bearer ${doomed.secret}` } });
    assert.equal(before.status, 200);
    const revoke = await remote(ADMIN_TOKEN, ['keys', 'revoke', 'acme', doomed.id]);
    assert.equal(revoke.code, 0, revoke.stderr);
    const afterRevoke = await fetch(`${url}/v1/events`, {
      headers: { authorization: `Bearer ${doomed.secret}` },
    });
    assert.equal(afterRevoke.status, 401);
    const refused = await remote(doomed.secret, ['query']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^trailkeep: A valid credential is required\. \(HTTP 401, request /);
    assert.doesNotMatch(refused.stderr, /tk_key_/);

    const notAdmin = await remote(writer, ['tenants', 'list']);
    assert.equal(notAdmin.code, 1);
    assert.match(notAdmin.stderr, /HTTP 403/);
  });

  it('uses a key made locally on the server’s database file', async () => {
    const made = await runCli([
      'keys',
      'create',
      'beta',
      '--name',
      'local',
      '--scope',
      'events:read',
      '--db',
      t.config.TRAILKEEP_DB,
    ]);
    assert.equal(made.code, 0, made.stderr);
    const res = await fetch(`${url}/v1/events`, {
      headers: { authorization: `Bearer ${made.stdout.trim()}` },
    });
    assert.equal(res.status, 200);
  });

  it('ingests an NDJSON file remotely; the server holds every event, in gapless seqs', async () => {
    const r = await remote(writer, ['ingest', join(t.dir, 'events.ndjson')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Ingested 2,500 events \(0 duplicates\) in [\d.]+ s: [\d,]+ events\/s\.\n$/);
    assertStoredAsSent(await stored('acme'), input, 'acme');
    const foreign = await remote(writer, ['ingest', '-', '--tenant', 'beta'], ndjson(1, 9000));
    assert.equal(foreign.code, 1, 'a tenant key names no other tenant');
    assert.match(foreign.stderr, /HTTP 403/);
  });

  it('splits batches by size, so large events stay under the server’s body limit', async () => {
    const key = (
      await remote(ADMIN_TOKEN, ['keys', 'create', 'beta', '--name', 'bulk', '--scope', 'events:write'])
    ).stdout.trim();
    // 300 events of about 56 KB: 17 MB in all, more than the 16 MiB an NDJSON request may carry.
    const big = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({
        id: `big-${i}`,
        occurred_at: '2026-03-02T00:00:00Z',
        action: 'blob.write',
        changes: [{ field: 'content', new: Array.from({ length: 8 }, () => 'x'.repeat(7000)) }],
      }),
    ).join('\n');
    const r = await remote(key, ['ingest', '-'], big);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Ingested 300 events/);
    assert.equal((await stored('beta')).length, 300);
  });

  it('ingests from stdin remotely', async () => {
    const r = await remote(writer, ['ingest', '-', '--json'], ndjson(3, 5000));
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { accepted: number }).accepted, 3);
    assert.deepEqual(
      (await stored('acme')).slice(-3).map((e) => [e.seq, e.id]),
      [
        [2501, 'evt-5000'],
        [2502, 'evt-5001'],
        [2503, 'evt-5002'],
      ],
    );
  });

  it('reports the server’s problems by input line and stores nothing', async () => {
    const good = lines(ndjson(2, 6000));
    const r = await remote(
      writer,
      ['ingest', '-'],
      `${good[0]}\n\n\n${good[1]}\n{"action":"x","occurred_at":"2026-01-01T00:00:00Z","actor":{"id":7}}\n`,
    );
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^trailkeep: Lines 1–5 rejected: One or more events are invalid; nothing was stored\. \(HTTP 400, /,
    );
    assert.match(r.stderr, /\n {2}line 5: \$\.actor\.id: must be string\n/);
    assert.match(r.stderr, /Nothing was stored\.\n$/);
    assert.equal((await stored('acme')).length, 2503);
  });

  it('queries remotely as a table and as NDJSON, paging through cursors', async () => {
    const table = await remote(reader, [
      'query',
      '--format',
      'table',
      '--outcome',
      'failure',
      '--limit',
      '3',
    ]);
    assert.equal(table.code, 0, table.stderr);
    const rows = lines(table.stdout);
    assert.match(rows[0] ?? '', /^SEQ\s+OCCURRED_AT\s+ACTION/);
    assert.deepEqual(
      rows.slice(1).map((l) => l.split(/\s{2,}/)[0]),
      ['2501', '2491', '2481'],
    );

    const nd = await remote(reader, [
      'query',
      '--order',
      'asc',
      '--limit',
      '2000',
      '--action',
      'document.update',
    ]);
    assert.equal(nd.code, 0, nd.stderr);
    const got = lines(nd.stdout).map((l) => JSON.parse(l) as { id: string; action: string; seq: number });
    // 2,500 input events, i % 3 !== 0 are updates: the first 1,666, plus evt-5001 and evt-5002.
    assert.equal(got.length, 1668);
    assert.ok(got.every((e) => e.action === 'document.update'));
    assert.deepEqual(
      got.slice(0, 3).map((e) => e.id),
      ['evt-1', 'evt-2', 'evt-4'],
    );
    const seqs = got.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
    );
  });

  it('exports remotely through an export job, to CSV and NDJSON', async () => {
    const csvFile = join(t.dir, 'remote.csv');
    const csv = await remote(reader, ['export', '--format', 'csv', '-o', csvFile, '--actor-id', 'user-2']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stdout, /^Exported 501 events as csv to /);
    const rows = lines(readFileSync(csvFile, 'utf8'));
    assert.equal(rows.length, 502);
    assert.match(rows[0] ?? '', /^seq,id,occurred_at,/);
    assert.match(rows[1] ?? '', /^3,evt-2,/);

    const nd = await remote(reader, ['export', '--target-type', 'folder', '--outcome', 'success', '-o', '-']);
    assert.equal(nd.code, 0, nd.stderr);
    const got = lines(nd.stdout).map((l) => JSON.parse(l) as { id: string; target: { type: string } });
    // Odd i are folders, and never failures (i % 10 === 0): 1,250, plus evt-5001.
    assert.equal(got.length, 1251);
    assert.ok(got.every((e) => e.target.type === 'folder'));
  });

  it('manages operator keys; one writes and reads the tenants --tenant or the events name', async () => {
    const made = await remote(ADMIN_TOKEN, [
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
    const list = await remote(ADMIN_TOKEN, ['operator-keys', 'list', '--json']);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { id: string }[]).map((k) => k.id),
      [key.id],
    );
    assert.doesNotMatch(list.stdout, /tk_opk_|secret/);

    const named = await remote(key.secret, ['ingest', '-', '--tenant', 'gamma'], ndjson(5, 7000));
    assert.equal(named.code, 0, named.stderr);
    const mixed = lines(ndjson(2, 7100))
      .map((l, i) => JSON.stringify({ ...JSON.parse(l), tenant: i ? 'gamma' : 'delta' }))
      .join('\n');
    const spread = await remote(key.secret, ['ingest', '-'], mixed);
    assert.equal(spread.code, 0, spread.stderr);
    assert.deepEqual(
      (await stored('gamma')).map((e) => e.seq),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal((await stored('delta')).length, 1);

    const query = await remote(key.secret, ['query', '--tenant', 'gamma', '--format', 'ndjson']);
    assert.equal(query.code, 0, query.stderr);
    assert.equal(lines(query.stdout).length, 6);
    const unnamed = await remote(key.secret, ['query']);
    assert.equal(unnamed.code, 1);
    assert.match(unnamed.stderr, /Trailkeep-Tenant/);

    const revoke = await remote(ADMIN_TOKEN, ['operator-keys', 'revoke', key.id]);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal(revoke.stdout, `Revoked operator key ${key.id}.\n`);
    const revoked = await remote(key.secret, ['query', '--tenant', 'gamma']);
    assert.match(revoked.stderr, /HTTP 401/);
  });
});
