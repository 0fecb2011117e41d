import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerTls } from './tls-certs.js';
import { until } from './wait.js';

/** Debian's rsyslog (packages rsyslog and rsyslog-gnutls; .ci/run installs them). */
export const RSYSLOGD = '/usr/sbin/rsyslogd';

/** A port free now: bound on loopback, then released for the receiver to take. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One message as rsyslog parsed it (its `jsonmesg` property, structured data parsed by mmpstrucdata). */
export interface Received {
  msg: string;
  rawmsg: string;
  timereported: string;
  hostname: string;
  pri: string;
  'app-name': string;
  procid: string;
  msgid: string;
  'structured-data': string;
  '$!': { 'rfc5424-sd'?: Record<string, Record<string, string>> };
}

export interface Rsyslog {
  port: number;
  /** Every message written so far, in arrival order. */
  received(): Received[];
  stop(): Promise<void>;
}

/**
 * Starts rsyslogd in the foreground (`-n`) with its own config, pid file, work directory and a
 * free port, so neither it nor a system rsyslog (which the package may have started) sees the
 * other. It writes each message as JSON; octet-counted framing is on by default in imtcp.
 * Control characters and trailing newlines are kept, as docs/streams/syslog.md tells operators.
 */
export async function startRsyslog(tls?: ServerTls): Promise<Rsyslog> {
  if (!existsSync(RSYSLOGD))
    throw new Error(`${RSYSLOGD} is missing: install Debian's rsyslog and rsyslog-gnutls (as .ci/run does)`);
  const dir = mkdtempSync(join(tmpdir(), 'tk-rsyslog-'));
  const port = await freePort();
  const out = join(dir, 'out.jsonl');
  const tlsGlobals = tls
    ? ` DefaultNetstreamDriverCAFile="${tls.ca}" DefaultNetstreamDriverCertFile="${tls.cert}" DefaultNetstreamDriverKeyFile="${tls.key}"`
    : '';
  const imtcp = tls
    ? 'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")'
    : 'module(load="imtcp")';
  writeFileSync(
    join(dir, 'rsyslog.conf'),
    `global(workDirectory="${dir}" maxMessageSize="256k" parser.escapeControlCharactersOnReceive="off" parser.dropTrailingLFOnReception="off"${tlsGlobals})
${imtcp}
module(load="mmpstrucdata")
template(name="json" type="string" string="%jsonmesg%\\n")
ruleset(name="r") {
  action(type="mmpstrucdata" sd_name.lowercase="off")
  action(type="omfile" file="${out}" template="json")
}
input(type="imtcp" address="127.0.0.1" port="${port}" ruleset="r")
`,
  );
  // Fails fast on a config this rsyslog cannot load (a module missing), with its own message.
  execFileSync(RSYSLOGD, ['-N1', '-f', join(dir, 'rsyslog.conf')], { stdio: 'pipe' });
  const child: ChildProcess = spawn(
    RSYSLOGD,
    ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'pid')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const listening = () =>
    new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`rsyslogd exited (${child.exitCode}): ${log}`);
      return listening();
    },
    10_000,
    { what: `rsyslogd to listen on ${port}` },
  );

  return {
    port,
    // Only whole lines: rsyslog's file output may be caught between two writes of one line.
    received: () => {
      if (!existsSync(out)) return [];
      const text = readFileSync(out, 'utf8');
      return text
        .slice(0, text.lastIndexOf('\n') + 1)
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Received);
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
