import { TrailkeepError } from '../../core/errors.js';

/**
 * The most client addresses counted at once. Past it the oldest window is forgotten: a flood
 * from more addresses than this cannot grow the process, and each address it forgets had
 * failed at least once recently, so only a very wide flood gains a few extra tries.
 */
export const MAX_COUNTED_CLIENTS = 100_000;

interface Window {
  failures: number;
  endsAt: number;
}

/**
 * Failed authentications per client address in fixed windows (TRAILKEEP_AUTH_FAILURES per
 * TRAILKEEP_RATE_WINDOW). An address past its allowance is refused before its credential is
 * looked up, so a flood of guesses costs no database work; successes are not counted, so a
 * client that authenticates is never slowed by this. `max` 0 turns it off.
 */
export class AuthFailures {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Throws `rate_limited` (with `retry_after` seconds) while `client` is past its allowance. */
  check(client: string): void {
    if (this.max === 0) return;
    const w = this.current(client);
    if (w && w.failures >= this.max) {
      const retry = Math.max(1, Math.ceil((w.endsAt - this.clock()) / 1000));
      throw new TrailkeepError(
        'rate_limited',
        `Too many failed authentications from this address; retry in ${retry} s.`,
        { retry_after: retry },
      );
    }
  }

  fail(client: string): void {
    if (this.max === 0) return;
    const w = this.current(client);
    if (w) {
      w.failures++;
      return;
    }
    if (this.windows.size >= MAX_COUNTED_CLIENTS) {
      // Insertion order is start order: the first key is the oldest window.
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(client, { failures: 1, endsAt: this.clock() + this.windowMs });
  }

  /**
   * Runs a credential check for `client`: refused while it is past its allowance, counted when
   * it fails with `unauthorized` (a wrong or unknown credential; not a valid one lacking scope).
   */
  async guard<T>(client: string, attempt: () => Promise<T>): Promise<T> {
    this.check(client);
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof TrailkeepError && err.code === 'unauthorized') this.fail(client);
      throw err;
    }
  }

  private current(client: string): Window | undefined {
    const w = this.windows.get(client);
    if (w && w.endsAt <= this.clock()) {
      this.windows.delete(client);
      return undefined;
    }
    return w;
  }
}
