import cors, { type FastifyCorsOptions } from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { TrailkeepError } from '../core/errors.js';
import { registerExpensiveReads } from './expensive.js';
import { registerUnsentBudget } from './unsent.js';
import { corsFor } from './viewer.js';

/** Larger headers are refused by Node's parser with 431 before any of our code runs. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** An ingest request's JSON body: 1,000 events of a few KiB each. */
export const JSON_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * Every other body (filters, GraphQL documents, credentials): none needs more. A larger one is a
 * 413 before it is read, rather than megabytes of JSON parsed and validated (a million filter
 * items cost the event loop half a second before anything could refuse them).
 */
export const BODY_LIMIT = 1024 * 1024;

/**
 * Fastify's server options that bound what one connection may hold: how long its headers, its
 * whole request and its idle time may take, and how large its headers may be. Node checks the
 * header and request deadlines on an interval; one second keeps a slow-loris client from
 * outliving its deadline by more than that.
 */
export function connectionLimits(config: Config) {
  const idleMs = config.TRAILKEEP_IDLE_TIMEOUT * 1000;
  return {
    requestTimeout: config.TRAILKEEP_REQUEST_TIMEOUT * 1000,
    connectionTimeout: idleMs,
    keepAliveTimeout: idleMs,
    http: {
      headersTimeout: config.TRAILKEEP_HEADERS_TIMEOUT * 1000,
      maxHeaderSize: MAX_HEADER_BYTES,
      connectionsCheckingInterval: 1000,
    },
  };
}

const ADMIN = 'admin';

/**
 * Who a request counts against: its credential once authenticated, else its client address. A
 * tenant-bound credential counts with its tenant: for most that changes nothing, but the tokens
 * one operator key mints for many tenants count per tenant, so one tenant's readers cannot use
 * up the others' allowance. An operator key used directly counts on its own. A viewer token
 * counts as the credential that minted it, in its tenant: minting more tokens adds no allowance.
 */
function rateKey(req: FastifyRequest): string {
  const p = req.principal;
  if (!p) return `ip:${req.ip}`;
  if (p.kind === 'admin') return ADMIN;
  return p.kind === 'operator' ? `credential:${p.credentialId}` : `credential:${p.credentialId}:${p.tenant}`;
}

/**
 * Cross-cutting protections, registered before the dialects so they cover every route:
 * - a per-credential rate limit, counted after each dialect's authentication (a route-level
 *   onRequest hook runs after the dialect's own), so one tenant's client cannot starve the
 *   others; the 429 is a catalogue error, rendered in the dialect's envelope;
 * - slots for expensive reads per tenant and per credential (`expensive.ts`), and a budget of
 *   bytes of answers waiting for slow readers per tenant (`unsent.ts`), both 429s likewise;
 * - CORS closed unless origins are configured, except on the routes open to viewer tokens,
 *   which any origin may call (http/viewer.ts);
 * - security headers (CSP, nosniff, frame denial, no referrer) on every response, which
 *   matters for the HTML of the API explorer under /docs.
 */
export async function registerLimits(app: FastifyInstance, config: Config): Promise<void> {
  if (config.TRAILKEEP_RATE_LIMIT > 0) {
    await app.register(rateLimit, {
      global: true,
      max: config.TRAILKEEP_RATE_LIMIT,
      timeWindow: config.TRAILKEEP_RATE_WINDOW * 1000,
      keyGenerator: rateKey,
      // The operator provisions tenants in bulk with the admin token; it is theirs, not a client's.
      allowList: (_req, key) => key === ADMIN,
      errorResponseBuilder: (_req, ctx) =>
        new TrailkeepError('rate_limited', `Too many requests; retry in ${ctx.after}.`, {
          retry_after: Math.max(1, Math.ceil(ctx.ttl / 1000)),
        }),
    });
  }
  registerExpensiveReads(app, config);
  registerUnsentBudget(app, config);
  const origins = config.TRAILKEEP_CORS_ORIGINS.split(',').filter(Boolean);
  const configured: FastifyCorsOptions =
    origins.length > 0
      ? {
          origin: origins.includes('*') ? '*' : origins,
          exposedHeaders: ['x-request-id', 'retry-after', 'link'],
          maxAge: 600,
        }
      : { origin: false };
  await app.register(cors, { delegator: (req, done) => done(null, corsFor(req, configured)) });
  await app.register(helmet, {
    // The API explorer loads its own scripts and styles from /docs only.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        // Served over plain HTTP too (behind a TLS proxy, or locally): upgrading would break it.
        upgradeInsecureRequests: null,
      },
    },
    // An API is called from anywhere CORS allows; CORP would undo that.
    crossOriginResourcePolicy: false,
  });
}
