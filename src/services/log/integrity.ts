import type { Counter } from 'prom-client';

/** What the log found wrong: the tenant, the seq where it shows (when one does), and what. */
export interface IntegrityFailure {
  tenant: string;
  seq?: number;
  what: string;
}

export interface IntegrityDeps {
  failures: Counter;
  log: { error(obj: object, msg: string): void };
  /** Appends an event to the tenant's own log, so the log records what was found in it. */
  record(tenant: string, event: Record<string, unknown>): Promise<unknown>;
  clock: () => number;
}

/** The action of the event recorded for a failure, for filtering and alerting. */
export const INTEGRITY_ACTION = 'trailkeep.log.integrity_failure';

/**
 * Reports a failure of the log's integrity three ways: `trailkeep_log_integrity_failures_total`
 * on /metrics, an error in the server log naming tenant and seq, and an event in the tenant's
 * own log. A failure that is still there at the next pass is reported once per process, not
 * once per pass: it is the same failure, and the tenant's log should not fill with it.
 */
export class IntegrityReporter {
  private readonly reported = new Set<string>();

  constructor(private readonly deps: IntegrityDeps) {}

  async report(failure: IntegrityFailure): Promise<void> {
    const key = `${failure.tenant}\n${failure.seq ?? ''}\n${failure.what}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.deps.failures.inc();
    this.deps.log.error(
      { tenant: failure.tenant, seq: failure.seq },
      `log integrity failure: ${failure.what}`,
    );
    await this.deps.record(failure.tenant, {
      occurred_at: new Date(this.deps.clock()).toISOString(),
      action: INTEGRITY_ACTION,
      category: 'system',
      outcome: 'failure',
      level: 'system',
      automatic: true,
      actor: { type: 'system', id: 'trailkeep' },
      ...(failure.seq !== undefined ? { target: { type: 'event', id: String(failure.seq) } } : {}),
      description: failure.what,
    });
  }
}
