import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Test certificates made with openssl: for TLS servers the tests start (rsyslog, webhook receivers). */

/** PEM files of the server's certificate, key and CA. */
export interface ServerTls {
  ca: string;
  cert: string;
  key: string;
}

/**
 * A CA and a server certificate it signed for `localhost` and 127.0.0.1, made with openssl in
 * `dir`; and another CA that signed nothing, for the wrong-CA case.
 */
export function makeCerts(dir: string): ServerTls & { otherCa: string } {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca'])
    openssl(
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=Trailkeep test ${ca}`],
      ...['-keyout', at(`${ca}.key`), '-out', at(`${ca}.pem`)],
    );
  openssl(
    ...['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost'],
    ...['-keyout', at('server.key'), '-out', at('server.csr')],
  );
  writeFileSync(at('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  openssl(
    ...['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key')],
    ...['-CAcreateserial', '-days', '2', '-extfile', at('ext.cnf'), '-out', at('server.pem')],
  );
  return { ca: at('ca.pem'), cert: at('server.pem'), key: at('server.key'), otherCa: at('other-ca.pem') };
}
