import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { SafeNet } from '../net.js';
import type { SendOutcome } from './types.js';

/** The longest one batch's connection may take, connecting to the receiver's close included. */
export const SYSLOG_TIMEOUT_MS = 30_000;

/**
 * The errors of a server certificate that does not verify: an admin fixes the receiver's
 * certificate or the stream's `ca`; trying again will not help.
 */
const CERT_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export interface SyslogTarget {
  host: string;
  port: number;
  tls: boolean;
  /** PEM of the CAs to trust instead of the system's. */
  ca: string | undefined;
}

/**
 * Writes `bytes` to a new connection and closes it gracefully: accepted only once the receiver
 * has closed its side too. TCP has no application acknowledgement, but a receiver closes after
 * it read to the end of the stream, so its close says it has every byte, not just that they
 * left this host's send buffer. Connection refused, reset or a timeout: retry; a server
 * certificate that does not verify: refused.
 */
export function deliver(
  net: SafeNet,
  to: SyslogTarget,
  bytes: Uint8Array,
  signal: AbortSignal,
  open: Set<Socket>,
): Promise<SendOutcome> {
  const where = `syslog ${to.host}:${to.port}`;
  const refused = net.refusedHost(to.host);
  if (refused) return Promise.resolve({ kind: 'retry', error: `${where}: ${refused}` });

  return new Promise((resolve) => {
    const stop = AbortSignal.any([signal, AbortSignal.timeout(SYSLOG_TIMEOUT_MS)]);
    const options = { host: to.host, port: to.port, lookup: net.lookup };
    const socket: Socket = to.tls
      ? tlsConnect({
          ...options,
          // SNI takes names only; the certificate is still checked against an IP host.
          ...(isIP(to.host) ? {} : { servername: to.host }),
          ...(to.ca === undefined ? {} : { ca: to.ca }),
          minVersion: 'TLSv1.2',
        })
      : tcpConnect(options);
    open.add(socket);
    let failure: SendOutcome | null = null;

    const onAbort = () => {
      failure ??= {
        kind: 'retry',
        error: `${where}: ${signal.aborted ? 'aborted' : `no close from the receiver within ${SYSLOG_TIMEOUT_MS} ms`}`,
      };
      socket.destroy();
    };
    stop.addEventListener('abort', onAbort, { once: true });
    if (stop.aborted) onAbort();

    socket.once(to.tls ? 'secureConnect' : 'connect', () => {
      socket.end(bytes);
    });
    // A receiver that writes back is not read; draining lets its close come through.
    socket.resume();
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      failure ??= CERT_ERRORS.has(code)
        ? {
            kind: 'refused',
            error: `${where}: the server certificate does not verify: ${code} ${err.message}`,
          }
        : { kind: 'retry', error: `${where}: ${err.message}` };
    });
    socket.once('close', () => {
      stop.removeEventListener('abort', onAbort);
      open.delete(socket);
      // 'close' without an error, after our end() was flushed, is the receiver's close.
      if (!failure && !socket.writableFinished)
        failure = { kind: 'retry', error: `${where}: closed by the receiver before the batch was written` };
      resolve(failure ?? { kind: 'accepted' });
    });
  });
}
