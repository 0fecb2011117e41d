// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { event, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest, type JobJson, settled } from '../helpers/jobs.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** 30 events over distinct minutes; every third by alice. */
const seed = () =>
  Array.from({ length: 30 }, (_, i) =>
    event({
      occurred_at: new Date(Date.UTC(2026, 2, 1, 12, i)).toISOString(),
      actor: { id: i % 3 === 0 ? 'alice' : 'bob' },
      action: `act.${i}`,
    }),
  );

describe('async queries (running worker)', () => {
  let t: TestApp;
  let key: string;
  let other: string;
  let writeOnly: string;

  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('acme');
    other = await t.tenantWithKey('globex');
    writeOnly = await t.key('acme', ['events:write']);
    await ingest(t, key, seed());
    await ingest(t, other, [event({ actor: { id: 'alice' } })]);
  });
  after(() => t.close());

  const create = (token: string | null, payload: unknown) =>
    t.call(token, { method: 'POST', url: '/v1/queries', payload: payload as object });

  test('POST creates a job: 202, Location, queued; it succeeds with the frozen row count', async () => {
    const res = await create(key, { filters: { actor_id: 'alice' } });
    assert.equal(res.statusCode, 202);
    const job = res.json<JobJson>();
    assert.equal(res.headers.location, `/v1/queries/${job.id}`);
    assert.ok(['queued', 'running', 'succeeded'].includes(job.state));
    assert.match(job.created_at as string, ISO);
    const done = await settled(t, key, `/v1/queries/${job.id}`);
    assert.equal(done.state, 'succeeded');
    assert.equal(done.rows, 10);
    assert.equal(done.error, null);
    for (const f of ['started_at', 'finished_at', 'expires_at']) assert.match(done[f] as string, ISO);
    const ttl = Date.parse(done.expires_at as string) - Date.parse(done.finished_at as string);
    assert.equal(ttl, t.config.TRAILKEEP_JOB_TTL * 1000);
  });

  test('POST with a bad body is 400 naming the field', async () => {
    const unknown = await create(key, { filters: { actorr: 'x' } });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().error.code, 'invalid_request');
    assert.match(unknown.json().error.message, /\$\.filters\.actorr/);
    const time = await create(key, { filters: { from: 'yesterday' } });
    assert.equal(time.statusCode, 400);
    assert.match(time.json().error.message, /\$\.filters\.from/);
    const extra = await create(key, { filter: {} });
    assert.equal(extra.statusCode, 400);
    assert.match(extra.json().error.message, /\$\.filter\b/);
  });

  test('POST needs a credential with events:read', async () => {
    assert.equal((await create(null, {})).statusCode, 401);
    const res = await create(writeOnly, {});
    assert.equal(res.statusCode, 403);
    assert.match(res.json().error.message, /events:read/);
  });

  test('GET status: unknown, another tenant’s and an export’s id are all 404; scope enforced', async () => {
    const id = (await create(key, {})).json<JobJson>().id;
    const exportId = (
      await t.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } })
    ).json<JobJson>().id;
    const mine = await t.call(key, { method: 'GET', url: `/v1/queries/${id}` });
    assert.equal(mine.statusCode, 200);
    assert.equal(mine.json().id, id);

    const theirs = await t.call(other, { method: 'GET', url: `/v1/queries/${id}` });
    const unknown = await t.call(other, {
      method: 'GET',
      url: '/v1/queries/00000000-0000-4000-8000-000000000000',
    });
    assert.equal(theirs.statusCode, 404);
    assert.equal(unknown.statusCode, 404);
    assert.equal(theirs.json().error.code, unknown.json().error.code);
    assert.equal(
      theirs.json().error.message,
      unknown.json().error.message.replace('00000000-0000-4000-8000-000000000000', id),
    );
    assert.equal((await t.call(key, { method: 'GET', url: `/v1/queries/${exportId}` })).statusCode, 404);
    assert.equal((await t.call(null, { method: 'GET', url: `/v1/queries/${id}` })).statusCode, 401);
    assert.equal((await t.call(writeOnly, { method: 'GET', url: `/v1/queries/${id}` })).statusCode, 403);
  });

  test('results page through exactly the filtered set, newest first, frozen at the snapshot', async () => {
    const id = (
      await create(key, { filters: { actor_id: ['alice', 'bob'], from: '2026-03-01T12:05:00Z' } })
    ).json<JobJson>().id;
    const done = await settled(t, key, `/v1/queries/${id}`);
    assert.equal(done.rows, 25);
    // Appended after the snapshot: matching, yet not part of this job's results.
    await ingest(t, key, [event({ occurred_at: '2026-03-01T13:00:00Z', actor: { id: 'alice' } })]);

    const seen: { action: string; occurred_at: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/queries/${id}/results?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await t.call(key, { method: 'GET', url });
      assert.equal(res.statusCode, 200);
      const page = res.json<{
        data: { action: string; occurred_at: string }[];
        next_cursor: string | null;
      }>();
      seen.push(...page.data);
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 4);
    const expected = Array.from({ length: 25 }, (_, i) => `act.${29 - i}`);
    assert.deepEqual(
      seen.map((e) => e.action),
      expected,
    );
  });

  test('results: bad limit is 400, a cursor from another job is rejected, other tenants get 404', async () => {
    const a = (await create(key, {})).json<JobJson>().id;
    const b = (await create(key, {})).json<JobJson>().id;
    await settled(t, key, `/v1/queries/${a}`);
    await settled(t, key, `/v1/queries/${b}`);
    for (const limit of ['0', '1001', 'x']) {
      const res = await t.call(key, { method: 'GET', url: `/v1/queries/${a}/results?limit=${limit}` });
      assert.equal(res.statusCode, 400, limit);
      assert.match(res.json().error.message, /query\.limit/);
    }
    const first = await t.call(key, { method: 'GET', url: `/v1/queries/${a}/results?limit=2` });
    const cursor = first.json().next_cursor as string;
    const crossed = await t.call(key, { method: 'GET', url: `/v1/queries/${b}/results?cursor=${cursor}` });
    assert.equal(crossed.statusCode, 400);
    assert.equal(crossed.json().error.code, 'invalid_cursor');
    assert.equal((await t.call(other, { method: 'GET', url: `/v1/queries/${a}/results` })).statusCode, 404);
    assert.equal((await t.call(null, { method: 'GET', url: `/v1/queries/${a}/results` })).statusCode, 401);
    assert.equal(
      (await t.call(writeOnly, { method: 'GET', url: `/v1/queries/${a}/results` })).statusCode,
      403,
    );
  });

  test('DELETE of a finished job answers 200 and leaves it as it was', async () => {
    const id = (await create(key, {})).json<JobJson>().id;
    const done = await settled(t, key, `/v1/queries/${id}`);
    const res = await t.call(key, { method: 'DELETE', url: `/v1/queries/${id}` });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), done);
  });

  test('DELETE: another tenant’s job is 404 and untouched; credential and scope enforced', async () => {
    const id = (await create(key, {})).json<JobJson>().id;
    assert.equal((await t.call(other, { method: 'DELETE', url: `/v1/queries/${id}` })).statusCode, 404);
    assert.equal((await t.call(null, { method: 'DELETE', url: `/v1/queries/${id}` })).statusCode, 401);
    assert.equal((await t.call(writeOnly, { method: 'DELETE', url: `/v1/queries/${id}` })).statusCode, 403);
    assert.equal((await settled(t, key, `/v1/queries/${id}`)).state, 'succeeded');
  });
});

describe('async queries (no worker on this node)', () => {
  let t: TestApp;
  let key: string;

  before(async () => {
    t = await startTestApp({ TRAILKEEP_JOB_WORKERS: '0' });
    key = await t.tenantWithKey('acme');
    await ingest(t, key, seed());
  });
  after(() => t.close());

  test('results before success are 409 job_not_ready, saying the state', async () => {
    const id = (await t.call(key, { method: 'POST', url: '/v1/queries', payload: {} })).json<JobJson>().id;
    const res = await t.call(key, { method: 'GET', url: `/v1/queries/${id}/results` });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().error.code, 'job_not_ready');
    assert.match(res.json().error.message, /queued/);
  });

  test('DELETE cancels a queued job; it stays cancelled and has no results', async () => {
    const id = (await t.call(key, { method: 'POST', url: '/v1/queries', payload: {} })).json<JobJson>().id;
    const res = await t.call(key, { method: 'DELETE', url: `/v1/queries/${id}` });
    assert.equal(res.statusCode, 200);
    const job = res.json<JobJson>();
    assert.equal(job.state, 'cancelled');
    assert.match(job.finished_at as string, ISO);
    assert.match(job.expires_at as string, ISO);
    assert.equal(job.rows, null);
    const status = await t.call(key, { method: 'GET', url: `/v1/queries/${id}` });
    assert.equal(status.json().state, 'cancelled');
    const results = await t.call(key, { method: 'GET', url: `/v1/queries/${id}/results` });
    assert.equal(results.statusCode, 409);
    assert.match(results.json().error.message, /cancelled/);
    // Nothing runs it later either: a worker looking for work now is not given it.
    const leased = await t.services.store.jobs.lease('probe', Date.now(), 1000);
    assert.notEqual(leased?.id, id);
  });

  test('DELETE of an unknown id is 404', async () => {
    const res = await t.call(key, { method: 'DELETE', url: '/v1/queries/nope' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
  });
});
