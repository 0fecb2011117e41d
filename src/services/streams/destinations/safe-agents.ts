import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { RefusedAddressError, type SafeNet } from '../net.js';

type Connect = http.Agent['createConnection'];

/**
 * node:http and node:https agents that connect only where SafeNet allows, for clients that take
 * an agent rather than an undici dispatcher (the AWS SDK). Names are resolved through
 * `net.lookup`; an IP literal never reaches a lookup, so it is checked here, at every connection,
 * whatever built the URL (an endpoint setting, or an SDK that addresses a bucket by path).
 */
export function safeAgents(net: SafeNet): { http: http.Agent; https: https.Agent } {
  const guard =
    (connect: Connect): Connect =>
    (options, callback) => {
      const host = options.host ?? 'localhost';
      const refused = net.refusedHost(host);
      if (!refused) return connect(options, callback);
      // Reported the way a failed connection is, so the request fails with it.
      callback?.(new RefusedAddressError(`${host}: ${refused}`), undefined as unknown as Duplex);
      return undefined;
    };
  const options = { keepAlive: true, lookup: net.lookup };
  const plain = new http.Agent(options);
  const tls = new https.Agent(options);
  plain.createConnection = guard(plain.createConnection.bind(plain));
  tls.createConnection = guard(tls.createConnection.bind(tls));
  return { http: plain, https: tls };
}
