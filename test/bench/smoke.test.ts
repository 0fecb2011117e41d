import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { killChildren } from '../../bench/children.js';
import { type Engine, runSuite, type SuiteResult } from '../../bench/suite.js';
import { tempDir } from '../helpers/app.js';

/**
 * The benchmark suite at tiny sizes, so it never rots: real servers, the real driver process,
 * both ceilings. No timing assertions. PostgreSQL uses the test runner's server
 * (TRAILKEEP_TEST_PG_URL); run on its own without one, the PostgreSQL half is skipped.
 */
describe('benchmark suite (smoke)', () => {
  const tmp = tempDir();
  after(() => {
    killChildren();
    tmp.remove();
  });

  const pgUrl = process.env.TRAILKEEP_TEST_PG_URL;
  const engines: Engine[] = pgUrl ? ['sqlite', 'postgres'] : ['sqlite'];
  if (!pgUrl) {
    it.skip('PostgreSQL: TRAILKEEP_TEST_PG_URL is not set (npm test sets it); SQLite only', () => {});
  }

  it(`ingests 2,000 events through a real server and the ceilings on ${engines.join(' and ')}`, async () => {
    const lines: string[] = [];
    const result = await runSuite({
      engines,
      events: 2_000,
      rounds: 1,
      profile: 'smoke',
      resultsDir: tmp.dir,
      ...(pgUrl ? { pgUrl } : {}),
      log: (l) => lines.push(l),
    });
    const written = JSON.parse(readFileSync(result.file, 'utf8')) as SuiteResult;
    assert.deepEqual(written, result);
    assert.equal(written.schema, 'trailkeep-bench/1');
    assert.equal(written.settings.events, 2_000);
    assert.ok(written.machine.cpus > 0 && written.machine.node.startsWith('v'));
    assert.deepEqual(
      written.ingest.map((r) => r.engine),
      engines,
    );
    for (const r of written.ingest) {
      assert.equal(r.product.rounds.length, 1);
      assert.equal(r.ceiling.rounds.length, 1);
      for (const p of r.product.rounds) {
        assert.equal(p.stored, 2_000, `${r.engine}: the server counts every event`);
        assert.ok(p.eventsPerSec > 0 && p.seconds > 0);
      }
      assert.ok(r.product.eventsPerSec.median > 0 && r.ceiling.eventsPerSec.median > 0);
      assert.ok(r.ratio > 0 && Number.isFinite(r.ratio));
      if (process.platform === 'linux') assert.ok((r.product.peakRssBytes ?? 0) > 0);
    }
    assert.ok(
      lines.some((l) => l.startsWith('| engine')),
      'prints the table',
    );
  });
});
