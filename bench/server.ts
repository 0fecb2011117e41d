/**
 * The product under test: a real `trailkeep serve` process on an ephemeral port, started as an
 * operator would (default settings), its peak resident set, and the admin calls that set it up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '../test/helpers/api.js';
import { within } from '../test/helpers/wait.js';
import { ROOT, track, untrack } from './children.js';

/**
 * What identifies one deployment across restarts: its database (a SQLite path or PostgreSQL
 * URL) and its configured secrets. Restarting on the same database keeps the same secrets, as
 * an operator's would, so keys and cursors stay valid.
 */
export interface Deployment {
  db: string;
  adminToken: string;
  secret: string;
}

export const newDeployment = (db: string): Deployment => ({
  db,
  adminToken: `bench-admin-${randomBytes(16).toString('hex')}`,
  secret: randomBytes(24).toString('hex'),
});

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(path) : st.mtimeMs);
  }
  return newest;
}

/**
 * How to run a CLI command (`serve` starts the server): the built CLI when dist/ exists and is no older than src/ (what
 * `npm start` runs), else the sources through tsx (what `npm run dev` runs). A stale build
 * would measure code that is no longer there.
 */
export function cliCommand(command: string): { args: string[]; label: string } {
  const built = join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(ROOT, 'src'))) {
    return { args: [built, command], label: 'dist/cli/main.js' };
  }
  return { args: ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), command], label: 'src via tsx' };
}

export const serverCommand = (): { args: string[]; label: string } => cliCommand('serve');

/** VmHWM (peak resident set) of a live process, in bytes; null off Linux. */
export function peakRss(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface Server {
  child: ChildProcess;
  pid: number;
  url: string;
  output: () => string;
  exited: Promise<number | string | null>;
}

let cpuProfileDir: string | undefined;

/** From now on, every server started writes a V8 CPU profile (`--cpu-prof`) into `dir` on exit. */
export function profileServersInto(dir: string): void {
  cpuProfileDir = dir;
}

/** `trailkeep serve` on an ephemeral port for `deployment`; default settings but for `env`. */
export async function startServer(deployment: Deployment, env: Record<string, string> = {}): Promise<Server> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRAILKEEP_')));
  const flags = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
  const child = spawn(process.execPath, [...flags, ...serverCommand().args], {
    cwd: ROOT,
    env: {
      ...base,
      TRAILKEEP_PORT: '0',
      TRAILKEEP_DB: deployment.db,
      TRAILKEEP_ADMIN_TOKEN: deployment.adminToken,
      TRAILKEEP_SECRET: deployment.secret,
      // One driver key per tenant does the work of many clients: the per-credential rate limit
      // would measure the limit, not the server (test/http/limits.test.ts covers the limit).
      TRAILKEEP_RATE_LIMIT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  // Drained continuously (a full pipe would stall the server); only the tail is kept.
  let out = '';
  const keep = (d: string) => {
    out = (out + d).slice(-20_000);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = await within(
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m?.[1]) resolve(m[1]);
      };
      child.stdout?.on('data', look);
      void exited.then((c) => reject(new Error(`server exited with ${c}:\n${out}`)));
    }),
    60_000,
    'the server to listen',
  ).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${out}`);
  });
  return { child, pid: child.pid as number, url, output: () => out, exited };
}

/** SIGTERM, then SIGKILL if it has not exited within 30 s. */
export async function stopServer(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  await within(server.exited, 30_000, 'the server to stop').catch(() => server.child.kill('SIGKILL'));
  untrack(server.child);
}

/** Starts a server for `deployment`, runs `work` with it, and stops it whatever happens. */
export async function withServer<T>(
  deployment: Deployment,
  work: (server: Server) => Promise<T>,
  env: Record<string, string> = {},
): Promise<T> {
  const server = await startServer(deployment, env);
  try {
    return await work(server);
  } finally {
    await stopServer(server);
  }
}

/** One JSON call of the server's API with a bearer credential; a non-2xx answer throws. */
export async function api(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await call(base, token, method, path, body, 300_000);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** Creates a tenant and an API key for it; returns the key's secret. */
export async function createTenant(server: Server, adminToken: string, tenant: string): Promise<string> {
  await api(server.url, adminToken, 'POST', '/v1/tenants', { id: tenant, name: tenant });
  const key = (await api(server.url, adminToken, 'POST', `/v1/tenants/${tenant}/keys`, {
    name: 'bench',
    scopes: ['events:write', 'events:read'],
  })) as { secret: string };
  return key.secret;
}
