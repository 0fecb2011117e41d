import type { FastifyReply, FastifyRequest } from 'fastify';

/** One amount to hold against one key, which may hold at most `max` in all. */
export interface Claim {
  key: string;
  amount: number;
  max: number;
}

/**
 * What the requests in flight on this node hold, per key (a tenant, a credential, a client
 * address): expensive reads running, bytes of answers not yet sent. A take is all or nothing, so
 * a refusal leaves nothing behind.
 */
export class Tally {
  private readonly held = new Map<string, number>();

  /** Holds every claim, or none when one would pass its key's `max`; the release is idempotent. */
  take(claims: Claim[]): (() => void) | undefined {
    if (claims.some((c) => this.of(c.key) + c.amount > c.max)) return undefined;
    for (const c of claims) this.held.set(c.key, this.of(c.key) + c.amount);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const c of claims) {
        const left = this.of(c.key) - c.amount;
        // Keys are dropped at zero: a node sees endless client addresses.
        if (left > 0) this.held.set(c.key, left);
        else this.held.delete(c.key);
      }
    };
  }

  of(key: string): number {
    return this.held.get(key) ?? 0;
  }
}

/**
 * Who a request's cost counts against on this node: its tenant (an operator key's, the one it
 * names) and its caller (its credential). Without a credential both are its client address.
 */
export function ownersOf(req: FastifyRequest): { tenant: string; caller: string } {
  const p = req.principal;
  if (!p) return { tenant: `ip:${req.ip}`, caller: `ip:${req.ip}` };
  if (p.kind === 'admin') return { tenant: 'admin', caller: 'admin' };
  const caller = `credential:${p.credentialId}`;
  if (p.kind === 'credential' || p.kind === 'viewer') return { tenant: `tenant:${p.tenant}`, caller };
  return { tenant: p.tenant ? `tenant:${p.tenant.id}` : caller, caller };
}

/**
 * Calls `release` once the response has been sent whole or its connection has closed, whichever
 * comes first: a slow reader holds what it was given until it has read it or gone. A response
 * that closed before this was called is released at once (its close event is past).
 */
export function releaseWhenClosed(reply: FastifyReply, release: () => void): void {
  if (reply.raw.closed) release();
  else reply.raw.once('close', release);
}
