// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Checkpointer } from '../../src/services/log/checkpointer.js';
import type { IntegrityFailure } from '../../src/services/log/integrity.js';
import { SelfCheck } from '../../src/services/log/self-check.js';
import { startTestApp, type TestApp, testEngine } from '../helpers/app.js';
import { literal, type RawDb, rawDb } from '../helpers/raw-db.js';
import { tampering } from '../helpers/tamper.js';
import { until } from '../helpers/wait.js';

const EVENTS = 40;

/**
 * Tampering with the stored log behind the server's back, on each engine: an edited event, one
 * rewritten with a hash that matches its new content, a removed, a reordered and an inserted
 * row, an edited tile. The self-check names the tenant and the seq; checkpointing refuses to
 * sign over a log that fails; and a server running its checks reports it on /metrics, in its
 * log and as an event in the tenant's own log.
 */
describe('the log checks itself', () => {
  let t: TestApp;
  let db: RawDb;
  let n = 0;

  /** A new tenant with EVENTS events, all in a signed checkpoint. */
  async function signedTenant(): Promise<{ tenant: string; key: string }> {
    const tenant = `tam-${++n}`;
    const key = await t.tenantWithKey(tenant);
    const events = Array.from({ length: EVENTS }, (_, i) => ({
      id: `e${i + 1}`,
      occurred_at: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString(),
      action: 'invoice.update',
      description: `invoice ${i + 1}`,
    }));
    const res = await t.call(key, { method: 'POST', url: '/v1/events', payload: { events } });
    assert.equal(res.statusCode, 201, res.body);
    await until(async () => (await t.services.store.log.latest(tenant))?.size === EVENTS, 10_000);
    return { tenant, key };
  }

  /** Runs a self-check of `tenant` and returns what it found. */
  async function check(tenant: string): Promise<IntegrityFailure[]> {
    const found: IntegrityFailure[] = [];
    const selfCheck = new SelfCheck({
      log: t.services.store.log,
      verifier: t.services.logSigner,
      tenants: async () => [tenant],
      onFailure: async (f) => void found.push(f),
    });
    await selfCheck.pass();
    return found;
  }

  let tamper: ReturnType<typeof tampering>;

  before(async () => {
    // Self-check passes are run by the tests themselves, except in the last test.
    t = await startTestApp({ TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.05', TRAILKEEP_LOG_VERIFY_INTERVAL: '0' });
    db = await rawDb(t.config.TRAILKEEP_DB);
    tamper = tampering(db, testEngine);
  });
  after(async () => {
    await db?.close();
    await t?.close();
  });

  it('finds nothing wrong with an untouched log', async () => {
    const { tenant } = await signedTenant();
    assert.deepEqual(await check(tenant), []);
  });

  it('finds an event edited in place, naming its seq', async () => {
    const { tenant } = await signedTenant();
    await tamper.edit(tenant, 7, 'invoice 7', 'invoice 70');
    assert.deepEqual(await check(tenant), [
      { tenant, seq: 7, what: 'event 7 no longer matches its leaf in the log' },
    ]);
  });

  it('finds an event rewritten with a hash that matches its new content', async () => {
    const { tenant, key } = await signedTenant();
    const hash = await tamper.rewrite(tenant, 12, { description: 'invoice 12, approved' });
    // The event verifies on its own: only the log shows it was changed.
    const served = await t.call(key, { method: 'GET', url: '/v1/events/12' });
    assert.equal(served.json<{ hash: string }>().hash, hash);
    assert.deepEqual(await check(tenant), [
      { tenant, seq: 12, what: 'event 12 no longer matches its leaf in the log' },
    ]);
  });

  it('finds a removed event', async () => {
    const { tenant } = await signedTenant();
    await tamper.remove(tenant, 20);
    assert.deepEqual(await check(tenant), [{ tenant, seq: 20, what: 'event 20 is missing from the store' }]);
  });

  it('finds two events swapped', async () => {
    const { tenant } = await signedTenant();
    await tamper.swap(tenant, 3);
    assert.deepEqual(await check(tenant), [
      { tenant, seq: 3, what: 'event 3 no longer matches its leaf in the log' },
    ]);
  });

  it('finds an event inserted into the signed range', async () => {
    const { tenant } = await signedTenant();
    await tamper.insert(tenant, 30, EVENTS);
    const found = await check(tenant);
    assert.equal(found.length, 1);
    assert.equal(found[0]?.seq, 31);
  });

  it('finds an edited tile, and signs nothing over it', async () => {
    const { tenant, key } = await signedTenant();
    await db.exec(
      `UPDATE log_tiles SET hashes = ${testEngine === 'sqlite' ? 'zeroblob(length(hashes))' : "decode(repeat('00', length(hashes)), 'hex')"} WHERE tenant = ${literal(tenant)} AND level = 0 AND idx = 0`,
    );
    const found = await check(tenant);
    assert.deepEqual(found, [
      { tenant, what: `the stored tiles no longer give the root signed at size ${EVENTS}` },
    ]);
    // New events arrive; the log refuses to extend tiles it cannot trust.
    const res = await t.call(key, {
      method: 'POST',
      url: '/v1/events',
      payload: { occurred_at: '2026-03-02T00:00:00Z', action: 'invoice.create' },
    });
    assert.equal(res.statusCode, 201);
    const refused: IntegrityFailure[] = [];
    const checkpointer = new Checkpointer({
      log: t.services.store.log,
      signer: t.services.logSigner,
      clock: Date.now,
      onFailure: async (f) => void refused.push(f),
    });
    assert.equal(await checkpointer.extend(tenant, EVENTS + 1), null);
    assert.deepEqual(refused, found);
    assert.equal((await t.services.store.log.latest(tenant))?.size, EVENTS);
  });

  it('a removed tile: proofs that need it answer 404 in the envelope, naming it; the self-check reports it', async () => {
    const { tenant, key } = await signedTenant();
    await db.exec(`DELETE FROM log_tiles WHERE tenant = ${literal(tenant)} AND level = 0 AND idx = 0`);
    for (const url of ['/v1/log/inclusion?seq=3', `/v1/log/consistency?from=2&to=${EVENTS}`]) {
      const res = await t.call(key, { method: 'GET', url });
      assert.equal(res.statusCode, 404, `${url}: ${res.body}`);
      assert.deepEqual(res.json<{ error: { code: string; message: string } }>().error, {
        code: 'not_found',
        message: 'Tile 0/0 is not stored: the proof cannot be made.',
      });
    }
    assert.deepEqual(await check(tenant), [
      { tenant, what: `the stored tiles no longer give the root signed at size ${EVENTS}` },
    ]);
  });

  it('a server running its checks reports a failure on /metrics and in the tenant’s own log', async () => {
    const checking = await startTestApp(
      { TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.05', TRAILKEEP_LOG_VERIFY_INTERVAL: '1' },
      {
        engine: testEngine,
        dir: t.dir,
        env: { TRAILKEEP_DB: t.config.TRAILKEEP_DB },
        remove: async () => {},
      },
    );
    try {
      const { tenant, key } = await signedTenant();
      await tamper.edit(tenant, 5, 'invoice 5', 'invoice 50');
      const failures = async () => {
        const metrics = await checking.call(null, { method: 'GET', url: '/metrics' });
        return Number(/^trailkeep_log_integrity_failures_total (\d+)/m.exec(metrics.body)?.[1] ?? 0);
      };
      await until(async () => (await failures()) >= 1, 15_000, { what: 'a reported failure' });
      const recorded = await until(async () => {
        const res = await t.call(key, {
          method: 'GET',
          url: '/v1/events?action=trailkeep.log.integrity_failure',
        });
        return res.json<{ data: Record<string, unknown>[] }>().data[0];
      }, 15_000);
      assert.equal(recorded.outcome, 'failure');
      assert.equal(recorded.category, 'system');
      assert.deepEqual(recorded.target, { type: 'event', id: '5' });
      assert.equal(recorded.description, 'event 5 no longer matches its leaf in the log');
      // Reported once, not at every pass.
      await new Promise((r) => setTimeout(r, 2_500));
      const all = await t.call(key, {
        method: 'GET',
        url: '/v1/events?action=trailkeep.log.integrity_failure',
      });
      assert.equal(all.json<{ data: unknown[] }>().data.length, 1);
    } finally {
      await checking.close();
    }
  });
});
