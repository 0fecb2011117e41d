/**
 * Abuse: what one tenant's attacks (issue #17, test/reliability/attacks.ts) cost another
 * tenant. On a server started with the abuse suite's settings, the other tenant's ordinary work
 * (a write, a page, a count, one at a time) is timed alone for a baseline, then during each
 * attack. The attacker's answers are kept too, so a figure is never read without knowing the
 * limit held.
 */
import {
  ABUSE_ENV,
  type Arena,
  ATTACKS,
  judge,
  prepareArena,
  victimLoop,
} from '../test/reliability/attacks.js';
import { ADMIN_TOKEN } from '../test/reliability/client.js';
import type { Engine } from './databases.js';
import { fixed, int } from './format.js';
import { peakRss, withServer } from './server.js';
import { type Percentiles, percentiles } from './stats.js';

/** The other tenant's requests timed for the baseline. */
const BASELINE_REQUESTS = 300;

export interface VictimFigures extends Percentiles {
  requests: number;
  failures: number;
}

export interface AbuseAttackResult {
  finding: string;
  attack: string;
  /** How many answers of each status the attacker got. */
  statuses: Record<string, number>;
  /** What broke the attack's rules (empty when every limit held). */
  problems: string[];
  victim: VictimFigures;
}

export interface AbuseEngineResult {
  engine: Engine;
  /** The attacker's ordinary events (it also has 300 wide ones). */
  events: number;
  baseline: VictimFigures;
  attacks: AbuseAttackResult[];
  /** The server's peak resident set over the whole part. */
  peakRssBytes: number | null;
}

const figures = (run: { latenciesMs: number[]; failures: string[] }): VictimFigures => ({
  requests: run.latenciesMs.length,
  failures: run.failures.length,
  ...percentiles(run.latenciesMs),
});

const tally = (statuses: number[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
};

export async function abusePart(
  engine: Engine,
  db: string,
  events: number,
  log: (line: string) => void,
): Promise<AbuseEngineResult> {
  const deployment = { db, adminToken: ADMIN_TOKEN, secret: 'bench-abuse-secret-0123456789abcdef0123' };
  return withServer(
    deployment,
    async (server) => {
      const arena: Arena = await prepareArena(server.url, events);
      let n = 0;
      const baseline = figures(await victimLoop(arena, () => ++n > BASELINE_REQUESTS, BASELINE_REQUESTS));
      log(`  ${engine} abuse baseline: p50 ${fixed(baseline.p50)} ms, p99 ${fixed(baseline.p99)} ms`);
      const attacks: AbuseAttackResult[] = [];
      for (const attack of ATTACKS) {
        let attacking = true;
        const victim = victimLoop(arena, () => !attacking);
        const outcome = await attack.run(arena).finally(() => {
          attacking = false;
        });
        const seen = figures(await victim);
        const problems = judge(attack, outcome);
        attacks.push({
          finding: attack.finding,
          attack: attack.name,
          statuses: tally(outcome.statuses),
          problems,
          victim: seen,
        });
        log(
          `  ${engine} abuse #${attack.finding} ${attack.name}: other tenant p50 ${fixed(seen.p50)} ms, ` +
            `p99 ${fixed(seen.p99)} ms over ${int(seen.requests)} requests, ${seen.failures} failed` +
            (problems.length ? `; LIMIT NOT HELD: ${problems.join('; ')}` : ''),
        );
      }
      return { engine, events, baseline, attacks, peakRssBytes: peakRss(server.pid) };
    },
    ABUSE_ENV,
  );
}
