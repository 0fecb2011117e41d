// @engines sqlite postgres
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { event, startTestApp, testData } from '../helpers/app.js';
import { ingest, type JobJson, settled } from '../helpers/jobs.js';

const events = Array.from({ length: 12 }, (_, i) =>
  event({ occurred_at: new Date(Date.UTC(2026, 2, 1, 12, i)).toISOString(), action: `act.${i}` }),
);

test('data, jobs, results and cursors survive a restart on the same database', async () => {
  const data = await testData();
  try {
    const first = await startTestApp({}, data);
    const key = await first.tenantWithKey('acme');
    await ingest(first, key, events);
    const query = (
      await first.call(key, { method: 'POST', url: '/v1/queries', payload: {} })
    ).json<JobJson>();
    const exp = (
      await first.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'ndjson' } })
    ).json<JobJson>();
    await settled(first, key, `/v1/queries/${query.id}`);
    const before = await settled(first, key, `/v1/exports/${exp.id}`);
    const page1 = await first.call(key, { method: 'GET', url: `/v1/queries/${query.id}/results?limit=5` });
    const cursor = page1.json().next_cursor as string;
    await first.close();

    const second = await startTestApp({}, data);
    try {
      const count = await second.call(key, { method: 'GET', url: '/v1/events/count' });
      assert.equal(count.json().count, 12);
      const status = await second.call(key, { method: 'GET', url: `/v1/queries/${query.id}` });
      assert.equal(status.json().state, 'succeeded');
      assert.equal(status.json().rows, 12);
      const page2 = await second.call(key, {
        method: 'GET',
        url: `/v1/queries/${query.id}/results?limit=5&cursor=${cursor}`,
      });
      assert.equal(page2.statusCode, 200);
      assert.deepEqual(
        page2.json().data.map((e: { action: string }) => e.action),
        ['act.6', 'act.5', 'act.4', 'act.3', 'act.2'],
      );
      const after = await second.call(key, { method: 'GET', url: `/v1/exports/${exp.id}` });
      assert.deepEqual(after.json(), before);
      const download = await second.call(key, { method: 'GET', url: `/v1/exports/${exp.id}/download` });
      assert.equal(download.statusCode, 200);
      assert.equal(download.body.trimEnd().split('\n').length, 12);
    } finally {
      await second.close();
    }
  } finally {
    await data.remove();
  }
});

test('jobs queued on a node without workers complete after a restart with workers', async () => {
  const data = await testData();
  try {
    const idle = await startTestApp({ TRAILKEEP_JOB_WORKERS: '0' }, data);
    const key = await idle.tenantWithKey('acme');
    await ingest(idle, key, events);
    const query = (
      await idle.call(key, {
        method: 'POST',
        url: '/v1/queries',
        payload: { filters: { action: ['act.1', 'act.2'] } },
      })
    ).json<JobJson>();
    const exp = (
      await idle.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } })
    ).json<JobJson>();
    await new Promise((r) => setTimeout(r, 300));
    const waiting = await idle.call(key, { method: 'GET', url: `/v1/queries/${query.id}` });
    assert.equal(waiting.json().state, 'queued');
    await idle.close();

    const busy = await startTestApp({}, data);
    try {
      assert.equal((await settled(busy, key, `/v1/queries/${query.id}`)).state, 'succeeded');
      const results = await busy.call(key, { method: 'GET', url: `/v1/queries/${query.id}/results` });
      assert.deepEqual(
        results.json().data.map((e: { action: string }) => e.action),
        ['act.2', 'act.1'],
      );
      assert.equal((await settled(busy, key, `/v1/exports/${exp.id}`)).rows, 12);
      const download = await busy.call(key, { method: 'GET', url: `/v1/exports/${exp.id}/download` });
      assert.equal(download.body.trimEnd().split('\n').length, 13, 'header and 12 rows');
    } finally {
      await busy.close();
    }
  } finally {
    await data.remove();
  }
});
