// @engines sqlite postgres
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CSV_COLUMNS } from '../../src/services/exports/writer.js';
import { createJobWorker } from '../../src/services/jobs/index.js';
import { event, startTestApp, type TestApp, type TestData, testData } from '../helpers/app.js';
import { ingest, type JobJson, parseCsv, settled } from '../helpers/jobs.js';

const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);

describe('exports (running worker)', () => {
  let t: TestApp;
  let key: string;
  let other: string;
  let writeOnly: string;
  /** The 3,000 bulk events as ingested, by seq. */
  const bulk = new Map<number, Record<string, unknown>>();

  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('acme');
    other = await t.tenantWithKey('globex');
    writeOnly = await t.key('acme', ['events:write']);
    const events = Array.from({ length: 3000 }, (_, i) =>
      event({
        id: `bulk-${i}`,
        occurred_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
        action: `bulk.${i % 7}`,
        actor: { id: `user-${i % 11}`, name: `User, "${i}"` },
        service: 'billing',
      }),
    );
    const seqs = await ingest(t, key, events);
    seqs.forEach((seq, i) => {
      bulk.set(seq, events[i] as Record<string, unknown>);
    });
  });
  after(() => t.close());

  const start = async (payload: object, token = key, host?: string) => {
    const res = await t.call(token, {
      method: 'POST',
      url: '/v1/exports',
      payload,
      ...(host ? { headers: { host } } : {}),
    });
    assert.equal(res.statusCode, 202, res.body);
    return res;
  };

  test('POST answers 202 with Location and no download_url; the finished export has an absolute one', async () => {
    const res = await start({ format: 'ndjson', filters: { service: 'billing' } });
    const job = res.json<JobJson>();
    assert.equal(res.headers.location, `/v1/exports/${job.id}`);
    assert.equal(job.format, 'ndjson');
    assert.equal(job.download_url, null);
    await settled(t, key, `/v1/exports/${job.id}`);
    const status = await t.call(key, {
      method: 'GET',
      url: `/v1/exports/${job.id}`,
      headers: { host: 'audit.example.com:8443' },
    });
    const done = status.json<JobJson>();
    assert.equal(done.state, 'succeeded');
    assert.equal(done.rows, 3000);
    assert.equal(done.download_url, `http://audit.example.com:8443/v1/exports/${job.id}/download`);
  });

  test('an NDJSON export of 3,000 events downloads exactly what was ingested, oldest first', async () => {
    const id = (await start({ format: 'ndjson', filters: { service: 'billing' } })).json<JobJson>().id;
    assert.equal((await settled(t, key, `/v1/exports/${id}`)).state, 'succeeded');
    const res = await t.call(key, { method: 'GET', url: `/v1/exports/${id}/download` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/x-ndjson');
    assert.equal(res.headers['content-disposition'], `attachment; filename="trailkeep-export-${id}.ndjson"`);
    assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body));
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 3000);
    assert.deepEqual(
      lines.map((e) => e.seq),
      [...bulk.keys()].sort((a, b) => a - b),
    );
    for (const e of lines) {
      const sent = bulk.get(e.seq as number) as Record<string, unknown>;
      assert.equal(e.id, sent.id);
      assert.equal(e.action, sent.action);
      assert.deepEqual(e.actor, sent.actor);
      assert.equal(e.occurred_at, sent.occurred_at);
    }
  });

  test('a CSV export of 3,000 events has a header and one faithful row per event', async () => {
    const id = (await start({ format: 'csv', filters: { service: 'billing' } })).json<JobJson>().id;
    await settled(t, key, `/v1/exports/${id}`);
    const res = await t.call(key, { method: 'GET', url: `/v1/exports/${id}/download` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8');
    assert.match(res.headers['content-disposition'] as string, /^attachment; filename=".*\.csv"$/);
    const [header, ...rows] = parseCsv(res.body);
    assert.deepEqual(header, [...CSV_COLUMNS]);
    assert.equal(rows.length, 3000);
    for (const row of rows) {
      const sent = bulk.get(Number(row[col('seq')])) as Record<string, unknown>;
      const actor = sent.actor as { id: string; name: string };
      assert.equal(row[col('id')], sent.id);
      assert.equal(row[col('action')], sent.action);
      assert.equal(row[col('actor_id')], actor.id);
      assert.equal(row[col('actor_name')], actor.name);
    }
  });

  test('CSV cells starting with = + - @ are neutralised with a leading quote', async () => {
    await ingest(t, other, [
      event({
        action: '=HYPERLINK("http://evil")',
        description: '+1+2',
        actor: { id: 'a1', name: '-2-3' },
        target: { type: 'doc', id: 'd1', name: '@SUM(A1)' },
      }),
    ]);
    const id = (await start({ format: 'csv' }, other)).json<JobJson>().id;
    await settled(t, other, `/v1/exports/${id}`);
    const res = await t.call(other, { method: 'GET', url: `/v1/exports/${id}/download` });
    const [, row] = parseCsv(res.body);
    assert.ok(row);
    assert.equal(row[col('action')], `'=HYPERLINK("http://evil")`);
    assert.equal(row[col('description')], `'+1+2`);
    assert.equal(row[col('actor_name')], `'-2-3`);
    assert.equal(row[col('target_name')], `'@SUM(A1)`);
  });

  test('POST with a bad body is 400 naming the field', async () => {
    for (const [payload, field] of [
      [{ filters: {} }, /\$\.format/],
      [{ format: 'xml' }, /\$\.format/],
      [{ format: 'csv', filters: { actorr: 'x' } }, /\$\.filters\.actorr/],
    ] as const) {
      const res = await t.call(key, { method: 'POST', url: '/v1/exports', payload });
      assert.equal(res.statusCode, 400);
      assert.match(res.json().error.message, field);
    }
  });

  test('another tenant’s export, its download, and a query id are 404; scope and credential enforced', async () => {
    const id = (await start({ format: 'csv', filters: { action: 'bulk.1' } })).json<JobJson>().id;
    await settled(t, key, `/v1/exports/${id}`);
    const queryId = (await t.call(key, { method: 'POST', url: '/v1/queries', payload: {} })).json<JobJson>()
      .id;
    for (const url of [`/v1/exports/${id}`, `/v1/exports/${id}/download`]) {
      assert.equal((await t.call(other, { method: 'GET', url })).statusCode, 404, url);
      assert.equal((await t.call(null, { method: 'GET', url })).statusCode, 401, url);
      assert.equal((await t.call(writeOnly, { method: 'GET', url })).statusCode, 403, url);
    }
    for (const url of [`/v1/exports/${queryId}`, `/v1/exports/${queryId}/download`, '/v1/exports/nope']) {
      assert.equal((await t.call(key, { method: 'GET', url })).statusCode, 404, url);
    }
    assert.equal((await t.call(other, { method: 'DELETE', url: `/v1/exports/${id}` })).statusCode, 404);
    assert.equal((await t.call(null, { method: 'DELETE', url: `/v1/exports/${id}` })).statusCode, 401);
    assert.equal((await t.call(writeOnly, { method: 'DELETE', url: `/v1/exports/${id}` })).statusCode, 403);
    const post = await t.call(writeOnly, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } });
    assert.equal(post.statusCode, 403);
    assert.equal(
      (await t.call(null, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } })).statusCode,
      401,
    );
    // The owner still has it, untouched.
    const mine = await t.call(key, { method: 'GET', url: `/v1/exports/${id}/download` });
    assert.equal(mine.statusCode, 200);
  });

  test('after its TTL an export is swept: status and download are 404 and the file is gone', async () => {
    const id = (await start({ format: 'csv', filters: { action: 'bulk.3' } })).json<JobJson>().id;
    await settled(t, key, `/v1/exports/${id}`);
    const ref = { tenant: 'acme', jobId: id, attempt: 1, format: 'csv' };
    const stored = await t.services.store.exports.open(ref);
    assert.ok(stored, 'the file is stored');
    stored.stream.destroy();
    // A sweeper whose clock is one TTL ahead: everything finished by now has expired for it.
    const ahead = createJobWorker(t.services, undefined, {
      clock: () => Date.now() + t.config.TRAILKEEP_JOB_TTL * 1000 + 1000,
    });
    assert.ok((await ahead.sweep()) >= 1);
    assert.equal((await t.call(key, { method: 'GET', url: `/v1/exports/${id}` })).statusCode, 404);
    assert.equal((await t.call(key, { method: 'GET', url: `/v1/exports/${id}/download` })).statusCode, 404);
    assert.equal(await t.services.store.exports.open(ref), null, 'the file is gone');
  });

  test('the file is published once finished, under the attempt that finished the job', async () => {
    const id = (await start({ format: 'ndjson', filters: { action: 'bulk.2' } })).json<JobJson>().id;
    await settled(t, key, `/v1/exports/${id}`);
    const download = await t.call(key, { method: 'GET', url: `/v1/exports/${id}/download` });
    const ref = { tenant: 'acme', jobId: id, attempt: 1, format: 'ndjson' };
    const stored = await t.services.store.exports.open(ref);
    assert.equal(stored?.size, download.rawPayload.length);
    stored?.stream.destroy();
    assert.equal(await t.services.store.exports.open({ ...ref, attempt: 2 }), null);
    if (t.engine === 'sqlite') {
      // The embedded engine's layout (docs/jobs.md): the final name only, no `.part` left behind.
      const files = readdirSync(join(t.dir, 'exports', 'acme')).filter((f) => f.startsWith(id));
      assert.deepEqual(files, [`${id}.1.ndjson`]);
    }
  });
});

describe('exports (no worker on this node)', () => {
  let t: TestApp;
  let key: string;

  before(async () => {
    t = await startTestApp({ TRAILKEEP_JOB_WORKERS: '0' });
    key = await t.tenantWithKey('acme');
    await ingest(t, key, [event()]);
  });
  after(() => t.close());

  test('download before success is 409 job_not_ready', async () => {
    const id = (
      await t.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } })
    ).json<JobJson>().id;
    const res = await t.call(key, { method: 'GET', url: `/v1/exports/${id}/download` });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'job_not_ready');
    assert.match(res.json().error.message, /queued/);
  });

  test('DELETE cancels a queued export', async () => {
    const id = (
      await t.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'ndjson' } })
    ).json<JobJson>().id;
    const res = await t.call(key, { method: 'DELETE', url: `/v1/exports/${id}` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().state, 'cancelled');
    assert.equal(res.json().download_url, null);
    assert.equal((await t.call(key, { method: 'GET', url: `/v1/exports/${id}/download` })).statusCode, 409);
    assert.equal((await t.call(key, { method: 'DELETE', url: '/v1/exports/nope' })).statusCode, 404);
    // Deleting it again, now that it has ended, removes it.
    const again = await t.call(key, { method: 'DELETE', url: `/v1/exports/${id}` });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().state, 'cancelled');
    assert.equal((await t.call(key, { method: 'GET', url: `/v1/exports/${id}` })).statusCode, 404);
  });
});

/** Whether the store still holds that attempt's file (it is deleted with its export). */
async function fileKept(t: TestApp, tenant: string, jobId: string, format: string): Promise<boolean> {
  const file = await t.services.store.exports.open({ tenant, jobId, attempt: 1, format });
  file?.stream.destroy();
  return file !== null;
}

const zendeskExport = (t: TestApp, token: string) =>
  t.call(token, { method: 'POST', url: '/api/v2/audit_logs/export', headers: { host: 'zd.test' } });

describe('export quotas: files kept per tenant', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp({ TRAILKEEP_TENANT_EXPORTS: '2' });
    key = await t.tenantWithKey('acme');
    await ingest(t, key, [event(), event({ action: 'user.create' })]);
  });
  after(() => t.close());

  const post = () => t.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } });

  test('one export over the count is a 429 in each dialect’s envelope; deleting a finished one frees its place', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await post();
      assert.equal(res.statusCode, 202, res.body);
      ids.push(res.json<JobJson>().id);
    }
    for (const id of ids) assert.equal((await settled(t, key, `/v1/exports/${id}`)).state, 'succeeded');
    const over = await post();
    assert.equal(over.statusCode, 429, over.body);
    assert.equal(over.json().error.code, 'rate_limited');
    assert.match(
      over.json().error.message,
      /has 2 exports queued, running or kept, the most it may have at once \(2\); delete finished exports/,
    );
    const zendesk = await zendeskExport(t, key);
    assert.equal(zendesk.statusCode, 429, zendesk.body);
    assert.equal(zendesk.json().error, 'TooManyRequests');
    assert.match(zendesk.json().description, /2 exports queued, running or kept/);
    // A query keeps no file: the export quotas do not touch it.
    const genesys = await t.call(key, {
      method: 'POST',
      url: '/api/v2/audits/query',
      payload: { interval: '2026-01-01T00:00:00Z/2026-12-01T00:00:00Z', serviceName: 'Architect' },
    });
    assert.equal(genesys.statusCode, 200, genesys.body);
    assert.equal((await t.call(key, { method: 'POST', url: '/v1/queries', payload: {} })).statusCode, 202);
    // Another tenant has its own quota.
    const other = await t.tenantWithKey('globex');
    assert.equal(
      (await t.call(other, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } })).statusCode,
      202,
    );

    const [gone] = ids as [string];
    assert.ok(await fileKept(t, 'acme', gone, 'csv'));
    const deleted = await t.call(key, { method: 'DELETE', url: `/v1/exports/${gone}` });
    assert.equal(deleted.statusCode, 200, deleted.body);
    assert.equal(deleted.json().state, 'succeeded', 'the job as it was');
    assert.equal(deleted.json().download_url, null, 'it links to no file any more');
    assert.equal(await fileKept(t, 'acme', gone, 'csv'), false, 'the file is deleted');
    for (const url of [`/v1/exports/${gone}`, `/v1/exports/${gone}/download`]) {
      assert.equal((await t.call(key, { method: 'GET', url })).statusCode, 404, url);
    }
    assert.equal((await t.call(key, { method: 'DELETE', url: `/v1/exports/${gone}` })).statusCode, 404);
    if (t.engine === 'sqlite') {
      const left = readdirSync(join(t.dir, 'exports', 'acme'));
      assert.deepEqual(left, [`${ids[1]}.1.csv`]);
    }
    const again = await post();
    assert.equal(again.statusCode, 202, again.body);
    await settled(t, key, `/v1/exports/${again.json<JobJson>().id}`);
  });

  test('another tenant’s DELETE of a finished export is 404 and leaves it; its owner’s deletes it', async () => {
    const other = await t.tenantWithKey('initech');
    const res = await t.call(other, { method: 'POST', url: '/v1/exports', payload: { format: 'ndjson' } });
    const id = res.json<JobJson>().id;
    await settled(t, other, `/v1/exports/${id}`);
    assert.equal((await t.call(key, { method: 'DELETE', url: `/v1/exports/${id}` })).statusCode, 404);
    assert.ok(await fileKept(t, 'initech', id, 'ndjson'), 'untouched by another tenant');
    assert.equal((await t.call(other, { method: 'DELETE', url: `/v1/exports/${id}` })).statusCode, 200);
    assert.equal((await t.call(other, { method: 'GET', url: `/v1/exports/${id}` })).statusCode, 404);
    assert.equal(await fileKept(t, 'initech', id, 'ndjson'), false);
  });
});

describe('export quotas: bytes kept per tenant', () => {
  const MIB = 1024 * 1024;
  let data: TestData;
  let big: string;
  let key: string;
  before(async () => {
    data = await testData();
    // Without a byte quota yet: an export of more than 1 MiB is kept.
    const t = await startTestApp({}, data);
    try {
      key = await t.tenantWithKey('acme');
      await ingest(
        t,
        key,
        Array.from({ length: 1500 }, (_, i) => event({ id: `big-${i}`, description: 'x'.repeat(1000) })),
      );
      await ingest(t, key, [event({ action: 'small.one' })]);
      const res = await t.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'ndjson' } });
      const done = await settled(t, key, `/v1/exports/${res.json<JobJson>().id}`);
      assert.equal(done.state, 'succeeded');
      assert.ok((done.bytes as number) > MIB, String(done.bytes));
      const download = await t.call(key, { method: 'GET', url: `/v1/exports/${done.id}/download` });
      assert.equal(done.bytes, download.rawPayload.length, 'the recorded size is the file’s');
      big = done.id;
    } finally {
      await t.close();
    }
  });
  after(() => data.remove());

  test('used up: a new export is a 507 in each dialect’s envelope; deleting frees it; an export that would pass it fails', async () => {
    // The operator lowers the quota below what the tenant keeps.
    const t = await startTestApp({ TRAILKEEP_TENANT_EXPORT_BYTES: String(MIB) }, data);
    try {
      const post = (filters: object = {}) =>
        t.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'ndjson', filters } });
      const refused = await post();
      assert.equal(refused.statusCode, 507, refused.body);
      assert.equal(refused.json().error.code, 'insufficient_storage');
      assert.match(
        refused.json().error.message,
        /kept exports use \d+ bytes of its 1048576-byte export storage quota; delete finished exports/,
      );
      const zendesk = await zendeskExport(t, key);
      assert.equal(zendesk.statusCode, 507, zendesk.body);
      assert.equal(zendesk.json().error, 'InsufficientStorage');
      assert.match(zendesk.json().description, /1048576-byte export storage quota/);

      assert.equal((await t.call(key, { method: 'DELETE', url: `/v1/exports/${big}` })).statusCode, 200);
      assert.equal(await fileKept(t, 'acme', big, 'ndjson'), false);

      const tooBig = await post();
      assert.equal(tooBig.statusCode, 202, tooBig.body);
      const failed = await settled(t, key, `/v1/exports/${tooBig.json<JobJson>().id}`);
      assert.equal(failed.state, 'failed');
      assert.match(
        failed.error as string,
        /stopped and its partial file deleted.*1048576-byte export storage quota/,
      );
      assert.equal(failed.bytes, null);
      assert.equal(await fileKept(t, 'acme', failed.id, 'ndjson'), false);
      if (t.engine === 'sqlite') assert.deepEqual(readdirSync(join(t.dir, 'exports', 'acme')), []);

      const small = await post({ action: 'small.one' });
      const done = await settled(t, key, `/v1/exports/${small.json<JobJson>().id}`);
      assert.equal(done.state, 'succeeded');
      assert.ok((done.bytes as number) > 0 && (done.bytes as number) < 2000, String(done.bytes));
    } finally {
      await t.close();
    }
  });
});
