import { TrailkeepError } from '../../core/errors.js';
import { hashSecret } from './secrets.js';

/**
 * The most client addresses counted at once. Past it the oldest window is forgotten: a flood
 * from more addresses than this cannot grow the process, and each address it forgets had
 * failed at least once recently, so only a very wide flood gains a few extra tries.
 */
export const MAX_COUNTED_CLIENTS = 100_000;

/**
 * The most credentials remembered as having authenticated lately. A client past its allowance
 * is refused unless its credential is one of them: the least recently used is forgotten first.
 */
export const MAX_VOUCHED = 10_000;

interface Window {
  failures: number;
  endsAt: number;
}

/**
 * Failed authentications per client address in fixed windows (TRAILKEEP_AUTH_FAILURES per
 * TRAILKEEP_RATE_WINDOW). An address past its allowance is refused before its credential is
 * looked up, so a flood of guesses costs no database work; successes are not counted. Many
 * tenants' clients can share one address (a NAT, a proxy, one host): a credential that has
 * authenticated lately is vouched for and still goes through (to the usual lookup), so a guesser
 * behind the same address cannot lock the others out. `max` 0 turns it off.
 */
export class AuthFailures {
  private readonly windows = new Map<string, Window>();
  /** Digests of credentials that authenticated lately, least recently used first. */
  private readonly vouched = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Throws `rate_limited` (with `retry_after` seconds) while `client` is past its allowance and
   * `credential` (its digest) is not vouched for.
   */
  private check(client: string, credential: string): void {
    if (this.max === 0) return;
    const w = this.current(client);
    if (w && w.failures >= this.max && !this.vouched.has(credential)) {
      const retry = Math.max(1, Math.ceil((w.endsAt - this.clock()) / 1000));
      throw new TrailkeepError(
        'rate_limited',
        `Too many failed authentications from this address; retry in ${retry} s.`,
        { retry_after: retry },
      );
    }
  }

  private fail(client: string): void {
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
   * Runs the check of `secret` (the credential as presented) for `client`: refused while the
   * client is past its allowance and the credential is not vouched for; counted, and no longer
   * vouched for, when it fails with `unauthorized` (a wrong, unknown or revoked credential; not a
   * valid one lacking scope); vouched for when it succeeds.
   */
  async guard<T>(client: string, secret: string, attempt: () => Promise<T>): Promise<T> {
    if (this.max === 0) return attempt();
    const credential = hashSecret(secret);
    this.check(client, credential);
    try {
      const result = await attempt();
      this.vouch(credential);
      return result;
    } catch (err) {
      if (err instanceof TrailkeepError && err.code === 'unauthorized') {
        this.vouched.delete(credential);
        this.fail(client);
      }
      throw err;
    }
  }

  private vouch(credential: string): void {
    // Re-inserted, so the set's order stays least recently used first.
    this.vouched.delete(credential);
    this.vouched.add(credential);
    if (this.vouched.size > MAX_VOUCHED) {
      const oldest = this.vouched.values().next().value;
      if (oldest !== undefined) this.vouched.delete(oldest);
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
