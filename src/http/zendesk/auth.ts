import type { FastifyRequest } from 'fastify';
import type { AuthService } from '../../services/auth/auth.js';
import { authenticateSecret, bearerOf } from '../auth.js';

/**
 * `Basic base64("{email}/token:{api token}")`: the API token is a Trailkeep key secret and the
 * email names the reader, which is logged with the request (Trailkeep has no users to check it
 * against). Zendesk's `email:password` form has no Trailkeep counterpart and is refused.
 */
export function basicTokenOf(req: FastifyRequest): { email: string; token: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const at = decoded.lastIndexOf('/token:');
  if (at < 0) return null;
  return { email: decoded.slice(0, at), token: decoded.slice(at + '/token:'.length) };
}

/** Basic API-token or Bearer (key secret or OAuth access token); 401 otherwise. */
export async function authenticateZendesk(req: FastifyRequest, auth: AuthService): Promise<void> {
  const basic = basicTokenOf(req);
  await authenticateSecret(req, auth, basic?.token ?? bearerOf(req));
  if (basic) {
    req.log = req.log.child({ reader: basic.email });
    req.log.info('zendesk reader');
  }
}
