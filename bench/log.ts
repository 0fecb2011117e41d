/**
 * The tamper-evident log (issue 19, docs/log.md) on one engine, in the dataset's one tenant:
 *
 * 1. The dataset is loaded through a server whose checkpointing is held off, so its log starts
 *    empty, and the database is settled.
 * 2. Catch-up: a server at its default settings signs the whole tenant in one round, in the
 *    checkpointer's steps of 100,000 leaves; the harness waits until `GET /v1/log/checkpoint`
 *    shows the dataset's size. A step's time is the gap between the signing times of
 *    consecutive checkpoints (one read, hashing, signing and the previous step's write).
 * 3. Reads, on that server: proofs, tiles and entry bundles over HTTP, `rounds` rounds of the
 *    driver (bench/log-driver.ts), one request in flight.
 * 4. Checkpoint cost: per round 1,000, 10,000 and 100,000 new events are loaded (checkpointing
 *    held off again), then the product's own Checkpointer, run in this process on the same
 *    database, signs them as three checkpoints (after an untimed one of 100, to warm it), each
 *    timed from reading the latest checkpoint to the new one committed: what one round costs a
 *    tenant with N new events.
 * 5. Verify, before step 4 adds events: the whole tenant exported as NDJSON without and with
 *    proofs by the product's export code, then `trailkeep verify` over the proven file, run as
 *    a user runs it (bench/log-verify.ts).
 */
import { loadConfig } from '../src/config/config.js';
import { Checkpointer } from '../src/services/log/checkpointer.js';
import { loadLogSigner } from '../src/services/log/signer.js';
import { openStore } from '../src/store/open.js';
import { sleep } from '../test/helpers/wait.js';
import { runScript } from './children.js';
import { type Engine, settle } from './databases.js';
import { appendDataset, type Dataset, type Loaded, loadDataset, queryDataset } from './dataset.js';
import { fixed, int } from './format.js';
import type { LogDriverSpec, LogKindRun } from './log-driver.js';
import { isInclusion, LOG_KINDS, type LogKind } from './log-kinds.js';
import { type VerifyCost, verifyCost } from './log-verify.js';
import { api, peakRss, type Server, withServer } from './server.js';
import { type Percentiles, percentileStats, type Stat, stat } from './stats.js';
import { type Check, inclusionCheck } from './targets.js';

/** A server's settings while events are loaded: the first checkpoint round would come an hour later. */
const HELD = { TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '3600' };

/**
 * Signed untimed at the start of each round: a server's checkpointer runs every second, so its
 * code, connections and key are warm, and the first timed checkpoint should meet them so too.
 */
const WARM_EVENTS = 100;

/** The new events a timed checkpoint signs (those larger than the dataset are left out). */
export const NEW_EVENTS = [1_000, 10_000, 100_000] as const;

export interface LogSettings {
  rounds: number;
  /** Timed requests per read kind per round. */
  requests: number;
  /** Untimed requests before them, per kind per round. */
  warmup: number;
}

export interface CatchUp {
  /** From the server listening to `GET /v1/log/checkpoint` showing the dataset's size (the first round starts 1 s in). */
  seconds: number;
  /** Checkpoints signed on the way. */
  checkpoints: number;
  /** Each step after the first: leaves and ms (the gap between consecutive signing times). */
  steps: { leaves: number; ms: number }[];
  /** Over the steps; null with fewer than two checkpoints. */
  stepMs: Stat | null;
  stepUsPerEvent: Stat | null;
}

export interface LogKindResult extends Record<keyof Percentiles, Stat> {
  kind: LogKind;
  rounds: Percentiles[];
  checks: Check[];
}

export interface CheckpointCost {
  /** New events the checkpoint signed. */
  events: number;
  /** One per round. */
  rounds: number[];
  ms: Stat;
  usPerEvent: number;
}

export interface LogEngineResult {
  engine: Engine;
  events: number;
  /** Loading the dataset (checkpointing held off). */
  loadSeconds: number;
  catchUp: CatchUp;
  reads: LogKindResult[];
  /** The catch-up and reads server's peak resident set (VmHWM); null off Linux. */
  peakRssBytes: number | null;
  /** A proof-carrying export of the whole tenant and `trailkeep verify` over it. */
  verify: VerifyCost;
  checkpoints: CheckpointCost[];
}

/** What every step of the part works on. */
interface LogBench {
  engine: Engine;
  d: Dataset;
  loaded: Loaded;
  settings: LogSettings;
  log: (line: string) => void;
}

/** The size of the tenant's latest signed checkpoint, as an auditor reads it; 0 before the first. */
async function latestSize(url: string, key: string): Promise<number> {
  const res = await fetch(`${url}/v1/log/checkpoint`, {
    headers: { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (res.status === 404) return 0;
  if (!res.ok) throw new Error(`GET /v1/log/checkpoint: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return Number(text.split('\n')[1]);
}

async function catchUp(server: Server, { d, loaded }: LogBench): Promise<CatchUp> {
  const started = performance.now();
  // Generous: 10 µs a leaf is a tenth of what the engines manage, plus start-up.
  const deadline = started + 120_000 + d.total * 0.1;
  while ((await latestSize(server.url, loaded.key)) < d.total) {
    if (performance.now() > deadline) throw new Error(`the log never reached ${d.total} leaves`);
    await sleep(20);
  }
  const seconds = (performance.now() - started) / 1000;
  const { checkpoints } = (await api(server.url, loaded.key, 'GET', '/v1/log/checkpoints?limit=1000')) as {
    checkpoints: { size: number; created_at: string }[];
  };
  if (checkpoints.at(-1)?.size !== d.total)
    throw new Error(`catch-up: checkpoints end at ${checkpoints.at(-1)?.size}`);
  const steps = checkpoints.slice(1).map((c, i) => {
    const prev = checkpoints[i] as { size: number; created_at: string };
    return { leaves: c.size - prev.size, ms: Date.parse(c.created_at) - Date.parse(prev.created_at) };
  });
  return {
    seconds,
    checkpoints: checkpoints.length,
    steps,
    stepMs: steps.length ? stat(steps.map((s) => s.ms)) : null,
    stepUsPerEvent: steps.length ? stat(steps.map((s) => (s.ms * 1000) / s.leaves)) : null,
  };
}

async function reads(server: Server, { d, loaded, settings }: LogBench): Promise<LogKindResult[]> {
  const runs: LogKindRun[][] = [];
  for (let r = 1; r <= settings.rounds; r++) {
    const spec: LogDriverSpec = {
      url: server.url,
      key: loaded.key,
      size: d.total,
      requests: settings.requests,
      warmup: settings.warmup,
      seed: d.seed + r,
    };
    // Generous: a second a request on average, plus start-up.
    const timeoutMs = 120_000 + LOG_KINDS.length * (settings.warmup + 2 * settings.requests) * 1_000;
    runs.push((await runScript<{ kinds: LogKindRun[] }>('log-driver.ts', spec, timeoutMs)).kinds);
  }
  return LOG_KINDS.map(({ name }): LogKindResult => {
    const rounds = runs.map((run) => run.find((k) => k.kind === name)?.ms as Percentiles);
    const stats = percentileStats(rounds);
    return {
      kind: name,
      rounds,
      ...stats,
      checks: isInclusion(name) ? [inclusionCheck(stats.p95.median)] : [],
    };
  });
}

async function checkpointCost({ d, loaded, settings, log, engine }: LogBench): Promise<CheckpointCost[]> {
  const sizes = NEW_EVENTS.filter((n) => n <= d.total);
  const perRound = WARM_EVENTS + sizes.reduce((a, b) => a + b, 0);
  const ms: number[][] = sizes.map(() => []);
  const store = await openStore(loaded.deployment.db);
  try {
    // The server's own settings (the defaults): the same log name, so the same stored key.
    const signer = await loadLogSigner(loadConfig({}), store.settings);
    const checkpointer = new Checkpointer({
      log: store.log,
      signer,
      clock: Date.now,
      onFailure: async (f) => {
        throw new Error(`checkpoint: ${f.what}`);
      },
    });
    await withServer(
      loaded.deployment,
      async (server) => {
        for (let r = 1; r <= settings.rounds; r++) {
          let size = d.total + (r - 1) * perRound;
          // Other events of the same shape (another seed, other ids) after the dataset's.
          const more = { ...queryDataset(d.seed + r, perRound, d.end), tenant: d.tenant };
          await appendDataset(server, loaded.key, more, size + perRound);
          size += WARM_EVENTS;
          if ((await checkpointer.extend(d.tenant, size))?.size !== size)
            throw new Error(`checkpoint to ${size}`);
          for (const [i, n] of sizes.entries()) {
            const started = performance.now();
            const signed = await checkpointer.extend(d.tenant, size + n);
            ms[i]?.push(performance.now() - started);
            if (signed?.size !== size + n)
              throw new Error(`checkpoint to ${size + n}: signed ${signed?.size}`);
            size += n;
          }
          log(
            `  ${engine} log checkpoints round ${r}/${settings.rounds}: ` +
              sizes.map((n, i) => `${int(n)} new events ${fixed(ms[i]?.at(-1) ?? 0)} ms`).join(', '),
          );
        }
      },
      HELD,
    );
  } finally {
    await store.close();
  }
  return sizes.map((events, i) => {
    const rounds = ms[i] ?? [];
    const s = stat(rounds);
    return { events, rounds, ms: s, usPerEvent: (s.median * 1000) / events };
  });
}

export async function logPart(
  engine: Engine,
  db: string,
  d: Dataset,
  settings: LogSettings,
  log: (line: string) => void,
): Promise<LogEngineResult> {
  const loaded = await loadDataset(db, d, HELD);
  await settle(engine, db);
  log(
    `  ${engine} log dataset: ${int(d.total)} events loaded in ${loaded.seconds.toFixed(1)} s, not yet checkpointed`,
  );
  const bench: LogBench = { engine, d, loaded, settings, log };
  const signed = await withServer(loaded.deployment, async (server) => {
    const up = await catchUp(server, bench);
    log(
      `  ${engine} log catch-up: ${int(d.total)} leaves signed ${up.seconds.toFixed(1)} s after start, ` +
        `${up.checkpoints} checkpoint(s)` +
        (up.stepMs ? `, ${fixed(up.stepMs.median)} ms a step of ${int(up.steps[0]?.leaves ?? 0)}` : ''),
    );
    const timed = await reads(server, bench);
    log(
      `  ${engine} log reads, p95 (median of ${settings.rounds}): ` +
        timed.map((k) => `${k.kind} ${fixed(k.p95.median)} ms`).join(', '),
    );
    return { up, timed, peakRssBytes: peakRss(server.pid) };
  });
  // Before checkpointCost adds events: the log is complete at the dataset's size.
  const verify = await verifyCost(loaded.deployment.db, d.tenant);
  log(
    `  ${engine} log verify: ${int(verify.events)} events exported with proofs in ${verify.provenExportSeconds.toFixed(1)} s ` +
      `(${verify.exportSeconds.toFixed(1)} s without), trailkeep verify ${verify.verifySeconds.toFixed(1)} s, ${int(verify.eventsPerSecond)} events/s`,
  );
  const checkpoints = await checkpointCost(bench);
  return {
    engine,
    events: d.total,
    loadSeconds: loaded.seconds,
    catchUp: signed.up,
    reads: signed.timed,
    peakRssBytes: signed.peakRssBytes,
    verify,
    checkpoints,
  };
}
