import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { TrailkeepError } from '../core/errors.js';
import { ownersOf, releaseWhenClosed, Tally } from './tally.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route's cost grows with the range it reads rather than with the page it answers (a
     * whole range scanned, rows sorted in memory, a result streamed): it runs only within an
     * expensive-read slot of its tenant and of its credential on this node.
     */
    expensive?: boolean;
  }
  interface FastifyInstance {
    expensiveReads: ExpensiveReads;
  }
}

/** A slot frees when a read ends, which nothing predicts: the client is asked to retry soon. */
const RETRY_AFTER_S = 1;

/** The expensive reads running on this node, per tenant and per caller. */
class ExpensiveReads {
  private readonly tally = new Tally();

  constructor(private readonly config: Config) {}

  hold(req: FastifyRequest, reply: FastifyReply, tenantId?: string): void {
    const owners = ownersOf(req);
    const tenant = tenantId === undefined ? owners.tenant : `tenant:${tenantId}`;
    const release = this.tally.take([
      { key: tenant, amount: 1, max: this.config.TRAILKEEP_TENANT_SCANS },
      { key: owners.caller, amount: 1, max: this.config.TRAILKEEP_CREDENTIAL_SCANS },
    ]);
    if (!release) {
      throw new TrailkeepError(
        'rate_limited',
        'Too many expensive reads (whole ranges, sorts, downloads) at once for this tenant or credential; retry when one has finished.',
        { retry_after: RETRY_AFTER_S },
      );
    }
    releaseWhenClosed(reply, release);
  }
}

/**
 * Takes an expensive-read slot for this request until its response has been sent or its
 * connection closed, so a slow download keeps its slot while it streams; one more than
 * TRAILKEEP_TENANT_SCANS per tenant or TRAILKEEP_CREDENTIAL_SCANS per credential is a 429 at
 * once. Routes flagged `expensive` take it in a hook; a route a presigned link opens has no
 * credential and calls this itself once the link has named its tenant (`tenantId`), and counts
 * per client address in place of a credential.
 */
export function holdExpensiveRead(req: FastifyRequest, reply: FastifyReply, tenantId?: string): void {
  req.server.expensiveReads.hold(req, reply, tenantId);
}

/**
 * The slots and the hook of routes flagged `config: { expensive: true }`. The hook runs before
 * the handler, after the dialect's authentication and the request's validation, so only a read
 * that will run takes a slot; the refusal is a catalogue error, in the dialect's envelope.
 */
export function registerExpensiveReads(app: FastifyInstance, config: Config): void {
  app.decorate('expensiveReads', new ExpensiveReads(config));
  app.addHook('preHandler', async (req, reply) => {
    if (req.routeOptions.config.expensive && req.principal) holdExpensiveRead(req, reply);
  });
}
