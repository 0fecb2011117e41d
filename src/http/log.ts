import type { FastifyRequest } from 'fastify';
import { type DestinationStream, pino } from 'pino';
import type { Config } from '../config/config.js';

/** Query parameters that carry authority (presigned links, OAuth in the query): never logged. */
const SECRET_PARAMS = ['token', 'access_token', 'client_secret', 'code'];

/** The request's path and query, with the values of secret-bearing parameters replaced. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of SECRET_PARAMS) {
    if (params.has(name)) {
      params.set(name, '[redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/**
 * The server's logger. Credentials never reach a log line: the Authorization and Cookie headers
 * and any `secret`/`client_secret` field are removed, and presigned link tokens in URLs are
 * redacted (test/http/secrets.test.ts scans a whole run's log for every secret it handed out).
 */
export function createLogger(config: Config, destination?: DestinationStream) {
  return pino(
    {
      level: config.TRAILKEEP_LOG_LEVEL,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.secret', '*.client_secret'],
        remove: true,
      },
      serializers: {
        req: (req: FastifyRequest) => ({
          method: req.method,
          url: loggableUrl(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    destination,
  );
}
