import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { killChildren } from '../../bench/children.js';
import { isInclusion, LOG_KINDS } from '../../bench/log-kinds.js';
import { KINDS } from '../../bench/query-kinds.js';
import { type Engine, type Part, runSuite, type SuiteResult } from '../../bench/suite.js';
import { VIEWER_KINDS } from '../../bench/viewer-tokens.js';
import { tempDir } from '../helpers/app.js';
import { ATTACKS } from '../reliability/attacks.js';

/**
 * The benchmark suite at tiny sizes, so it never rots: real servers, the real driver processes,
 * every part (ingest, queries, exports) with its ceilings, the product's and the ceiling's
 * answers compared request by request. No timing assertions. PostgreSQL uses the test runner's
 * server (TRAILKEEP_TEST_PG_URL); run on its own without one, the PostgreSQL half is skipped.
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

  /** The suite's `parts` at 2,000 events on every engine, one round of 10 requests a kind; its lines kept in `lines`. */
  const atSmallSize = (parts: Part[], lines: string[]) =>
    runSuite({
      engines,
      events: 2_000,
      rounds: 1,
      requests: 10,
      parts,
      profile: 'smoke',
      resultsDir: tmp.dir,
      ...(pgUrl ? { pgUrl } : {}),
      log: (l) => lines.push(l),
    });

  it(`runs ingest, queries and exports at 2,000 events on ${engines.join(' and ')}`, async () => {
    const lines: string[] = [];
    const result = await atSmallSize(['ingest', 'queries', 'exports'], lines);
    const written = JSON.parse(readFileSync(result.file, 'utf8')) as SuiteResult;
    assert.deepEqual(written, result);
    assert.equal(written.schema, 'trailkeep-bench/2');
    assert.deepEqual(written.settings.parts, ['ingest', 'queries', 'exports']);
    assert.equal(written.settings.ingest?.events, 2_000);
    assert.equal(written.settings.dataset?.events, 2_000);
    assert.ok(written.machine.cpus > 0 && written.machine.node.startsWith('v'));
    const linux = process.platform === 'linux';

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
      if (linux) assert.ok((r.product.peakRssBytes ?? 0) > 0);
    }

    assert.deepEqual(
      written.datasets.map((x) => [x.engine, x.events]),
      engines.map((e) => [e, 2_000]),
    );
    assert.deepEqual(
      written.queries.map((q) => q.engine),
      engines,
    );
    for (const q of written.queries) {
      assert.deepEqual(
        q.kinds.map((k) => k.kind),
        KINDS.map((k) => k.name),
      );
      for (const k of q.kinds) {
        const what = `${q.engine} ${k.kind}`;
        for (const side of [k.product, k.ceiling]) {
          assert.equal(side.rounds.length, 1, what);
          assert.ok(side.p50.median > 0 && side.p50.median <= side.p95.median, what);
          assert.ok(side.p95.median <= side.p99.median, what);
        }
        assert.ok(k.rows > 0 || !k.page, `${what}: answers hold rows`);
        assert.equal(k.checks.length, k.kind === 'deep' ? 3 : k.page ? 2 : 0, what);
      }
      // 2,000 events make 20 pages of 100: the deep pages start halfway.
      assert.equal(q.kinds.find((k) => k.kind === 'deep')?.depth, 10);
      const a = q.genesysAsync;
      assert.equal(a.pages, 4);
      for (const run of [...a.product.rounds, ...a.ceiling.rounds]) assert.equal(run.rows, 2_000);
      assert.ok(a.product.succeededSeconds.median > 0);
      assert.equal(a.checks.length, 1);
      if (linux) assert.ok((q.peakRssBytes ?? 0) > 0);
    }

    assert.deepEqual(
      written.exports.map((x) => x.engine),
      engines,
    );
    for (const x of written.exports) {
      assert.deepEqual(
        x.formats.map((f) => f.format),
        ['csv', 'ndjson'],
      );
      for (const f of x.formats) {
        assert.equal(f.rounds[0]?.rows, 2_000);
        assert.ok(f.bytes > 2_000 * 300 && f.eventsPerSec.median > 0 && f.jobEventsPerSec.median > 0);
        if (linux) assert.ok((f.peakRssBytes ?? 0) > 0);
        assert.equal(f.checks.length, 2);
      }
      assert.equal(x.ceiling.rounds[0]?.rows, 2_000);
    }

    for (const heading of [
      /^\| engine +\| product events\/s/,
      /^\| query +\| rows/,
      /\| to Succeeded/,
      /\| format +\|/,
    ]) {
      assert.ok(
        lines.some((l) => heading.test(l)),
        `prints ${heading}`,
      );
    }
  });

  it('runs the abuse part: every attack, with the other tenant timed alone and during each', async () => {
    const lines: string[] = [];
    const result = await runSuite({
      engines: ['sqlite'],
      events: 500,
      rounds: 1,
      parts: ['abuse'],
      profile: 'smoke',
      resultsDir: tmp.dir,
      log: (l) => lines.push(l),
    });
    assert.equal(result.settings.abuse?.attackerEvents, 500);
    const [abuse] = result.abuse;
    assert.ok(abuse && result.abuse.length === 1);
    assert.equal(abuse.baseline.requests, 300);
    assert.equal(abuse.baseline.failures, 0);
    assert.deepEqual(
      abuse.attacks.map((a) => a.attack),
      ATTACKS.map((a) => a.name),
    );
    for (const a of abuse.attacks) {
      assert.deepEqual(a.problems, [], a.attack);
      assert.equal(a.victim.failures, 0, a.attack);
      assert.ok(a.victim.requests > 0 && a.victim.p50 > 0 && a.victim.p50 <= a.victim.p99, a.attack);
      assert.ok(Object.values(a.statuses).reduce((n, c) => n + c, 0) > 0, a.attack);
    }
    assert.ok(lines.some((l) => /^\| engine +\| attack/.test(l)));
  });

  it(`runs the log part at 2,000 events on ${engines.join(' and ')}: catch-up, reads, verify, checkpoint cost`, async () => {
    const lines: string[] = [];
    const result = await atSmallSize(['log'], lines);
    assert.deepEqual(result.settings.log?.newEvents, [1_000]);
    assert.deepEqual(
      [result.ingest.length, result.queries.length, result.exports.length, result.datasets.length],
      [0, 0, 0, 0],
    );
    assert.deepEqual(
      result.log.map((l) => l.engine),
      engines,
    );
    for (const l of result.log) {
      assert.equal(l.events, 2_000, l.engine);
      // 2,000 leaves are one step of the checkpointer's 100,000: one checkpoint, no step between two.
      assert.equal(l.catchUp.checkpoints, 1, l.engine);
      assert.equal(l.catchUp.stepMs, null, l.engine);
      assert.ok(l.catchUp.seconds > 0, l.engine);
      assert.deepEqual(
        l.reads.map((k) => k.kind),
        LOG_KINDS.map((k) => k.name),
      );
      for (const k of l.reads) {
        assert.equal(k.rounds.length, 1, `${l.engine} ${k.kind}`);
        assert.ok(k.p50.median > 0 && k.p50.median <= k.p95.median, `${l.engine} ${k.kind}`);
        assert.equal(k.checks.length, isInclusion(k.kind) ? 1 : 0, `${l.engine} ${k.kind}`);
      }
      assert.deepEqual(
        l.checkpoints.map((c) => [c.events, c.rounds.length]),
        [[1_000, 1]],
      );
      assert.ok((l.checkpoints[0]?.ms.median ?? 0) > 0, l.engine);
      // trailkeep verify passed over the whole tenant's proof-carrying export (it throws otherwise).
      assert.equal(l.verify.events, 2_000, l.engine);
      assert.ok(l.verify.proofLineBytes > 0 && l.verify.eventsPerSecond > 0, l.engine);
    }
    assert.ok(lines.some((l) => /^\| measure +\| ms: median or p50/.test(l)));
  });

  it(`runs the viewer-tokens part at 2,000 events on ${engines.join(' and ')}: every kind, every answer checked`, async () => {
    const lines: string[] = [];
    const result = await atSmallSize(['viewer-tokens'], lines);
    assert.deepEqual(
      result.settings.viewerTokens?.kinds.map((k) => k.kind),
      VIEWER_KINDS.map((k) => k.name),
    );
    assert.deepEqual(
      result.viewerTokens.map((v) => v.engine),
      engines,
    );
    for (const v of result.viewerTokens) {
      assert.equal(v.events, 2_000);
      assert.deepEqual(
        v.kinds.map((k) => k.kind),
        VIEWER_KINDS.map((k) => k.name),
      );
      for (const k of v.kinds) {
        assert.equal(k.rounds.length, 1, `${v.engine} ${k.kind}`);
        assert.ok(k.p50.median > 0 && k.p50.median <= k.p95.median, `${v.engine} ${k.kind}`);
      }
      // Warm-ups (5) and timed requests (10) of the two recorded kinds: one view each.
      assert.equal(v.recorded, 2 * 15, v.engine);
    }
    assert.ok(lines.some((l) => /^\| kind +\| p50/.test(l)));
  });

  it('runs the viewer part: Chromium on the page, time to first rows and to the next page', async () => {
    const lines: string[] = [];
    const result = await runSuite({
      engines: ['sqlite'],
      // The first page of 100 and five of 500 after it.
      events: 3_000,
      rounds: 1,
      parts: ['viewer'],
      viewerNavigations: 2,
      profile: 'smoke',
      resultsDir: tmp.dir,
      log: (l) => lines.push(l),
    });
    assert.deepEqual(result.settings.viewer, { navigations: 2, nextPages: 5 });
    const [viewer] = result.viewer;
    assert.ok(viewer && result.viewer.length === 1);
    assert.equal(viewer.events, 3_000);
    assert.equal(viewer.firstRows.samples, 2);
    assert.equal(viewer.nextPage.samples, 10);
    assert.equal(viewer.pageRows, 500);
    for (const m of [viewer.firstRows, viewer.nextPage])
      assert.ok(m.p50.median > 0 && m.p50.median <= m.p95.median);
    assert.ok(lines.some((l) => /^\| engine +\| first rows p50/.test(l)));
  });

  it(`runs the stream part on ${engines.join(' and ')}: fan-out to streams, and ingest beside them`, async () => {
    const lines: string[] = [];
    const result = await runSuite({
      engines,
      events: 2_000,
      rounds: 1,
      parts: ['stream'],
      profile: 'smoke',
      resultsDir: tmp.dir,
      stream: { streams: 12, rate: 100, seconds: 1, burstEvents: 500 },
      ...(pgUrl ? { pgUrl } : {}),
      log: (l) => lines.push(l),
    });
    assert.deepEqual(result.settings.stream, {
      streams: 12,
      rate: 100,
      seconds: 1,
      burstEvents: 500,
      ingestEvents: 2_000,
    });
    assert.deepEqual(
      result.stream.map((x) => x.engine),
      engines,
    );
    for (const x of result.stream) {
      assert.equal(x.rounds.length, 1, x.engine);
      const [round] = x.rounds;
      // The driver fails unless every stream has every event once, in seq order.
      assert.deepEqual([round?.steady.events, round?.steady.streams, round?.burst.events], [100, 12, 500]);
      assert.ok(x.steady.deliveredPerSec.median > 0 && x.burst.deliveredPerSec.median > 0, x.engine);
      assert.ok(x.steady.p50.median <= x.steady.p95.median && x.steady.p95.median <= x.steady.p99.median);
      assert.ok(x.steady.p99.median <= x.steady.max.median, x.engine);
      assert.ok(x.ingest.alone.median > 0 && x.ingest.beside.median > 0 && x.ingest.ratio > 0, x.engine);
    }
    assert.ok(lines.some((l) => /^\| engine +\| steady: delivered events\/s/.test(l)));
  });

  it(`runs the siem-streams part on ${engines.join(' and ')}: ingest per destination, delivery, lag on /metrics, backfill`, async () => {
    const lines: string[] = [];
    const result = await runSuite({
      engines,
      events: 2_000,
      rounds: 1,
      parts: ['siem-streams'],
      profile: 'smoke',
      resultsDir: tmp.dir,
      siem: { streams: 3, backfillEvents: 500 },
      ...(pgUrl ? { pgUrl } : {}),
      log: (l) => lines.push(l),
    });
    assert.deepEqual(result.settings.siemStreams, { streams: 3, backfillEvents: 500, ingestEvents: 2_000 });
    assert.deepEqual(
      result.siemStreams.map((x) => x.engine),
      engines,
    );
    for (const x of result.siemStreams) {
      assert.deepEqual(
        x.rounds.map((r) => r.mode).sort(),
        ['blackhole', 'fast', 'none', 'refused'],
        x.engine,
      );
      for (const m of ['none', 'blackhole', 'refused', 'fast'] as const)
        assert.ok(x.ingest[m].median > 0 && x.ratio[m] > 0, `${x.engine} ${m}`);
      // The round fails unless every stream to the fast receiver got every event of its tenant.
      assert.ok(x.delivery.deliveredPerSec.median > 0, x.engine);
      assert.ok(x.delivery.p50.median <= x.delivery.p95.median, x.engine);
      assert.ok(
        x.rounds.every((r) => r.scrapes.length > 0),
        `${x.engine}: /metrics scraped in every round`,
      );
      assert.equal(x.backfill.events >= 500, true, x.engine);
      assert.ok(x.backfill.eventsPerSec > 0 && x.backfill.ceilingEventsPerSec > 0, x.engine);
    }
    assert.ok(lines.some((l) => /^\| engine +\| ingest events\/s: none/.test(l)));
  });

  it('runs only the parts asked for', async () => {
    const result = await runSuite({
      engines: ['sqlite'],
      events: 2_000,
      rounds: 1,
      parts: ['exports'],
      profile: 'smoke',
      resultsDir: tmp.dir,
      log: () => {},
    });
    assert.deepEqual(result.settings.parts, ['exports']);
    assert.equal(result.settings.ingest, null);
    assert.equal(result.settings.queries, null);
    assert.deepEqual(
      [
        result.ingest.length,
        result.queries.length,
        result.exports.length,
        result.abuse.length,
        result.stream.length,
        result.siemStreams.length,
        result.viewerTokens.length,
      ],
      [0, 0, 1, 0, 0, 0, 0],
    );
    assert.equal(result.settings.stream, null);
    assert.equal(result.settings.siemStreams, null);
  });
});
