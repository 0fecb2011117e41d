import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { ROOT } from '../cli/run.js';

/** Shared by every node of a cluster, as an operator would configure them. */
export const ADMIN_TOKEN = 'multi-node-admin-token-0123456789';
export const SECRET = 'multi-node-server-secret-0123456789abcdef';

import { within } from '../helpers/wait.js';

export { within };

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns a value other than undefined; bounded by `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms: number,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface Node {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  url: string;
  /** Its log so far (JSON lines) and anything it wrote to stderr. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code, or the signal's name when killed by one. */
  exited: Promise<number | string | null>;
  alive(): boolean;
  /** Parsed log lines, for assertions on what this node did. */
  logs(): Record<string, unknown>[];
}

/**
 * Real `trailkeep serve` processes, as `npm run dev` starts them, each on an ephemeral port.
 * Every process started is remembered so `killAll()` (in an `after` hook) ends it whatever
 * happened to the test.
 */
export class Cluster {
  private readonly children = new Set<ChildProcessWithoutNullStreams>();

  constructor(private readonly shared: Record<string, string>) {}

  async start(env: Record<string, string> = {}, startMs = 30_000): Promise<Node> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRAILKEEP_')));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: {
        ...base,
        TRAILKEEP_PORT: '0',
        TRAILKEEP_ADMIN_TOKEN: ADMIN_TOKEN,
        TRAILKEEP_SECRET: SECRET,
        // info: the "listening" line carries the URL.
        TRAILKEEP_LOG_LEVEL: 'info',
        ...this.shared,
        ...env,
      },
    });
    this.children.add(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    let code: number | string | null | undefined;
    const exited = new Promise<number | string | null>((resolve) =>
      child.on('exit', (c, signal) => {
        code = c ?? signal;
        resolve(code);
      }),
    );
    const url = await within(
      new Promise<string>((resolve, reject) => {
        const look = () => {
          const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
          if (m?.[1]) resolve(m[1]);
        };
        child.stdout.on('data', look);
        void exited.then((c) => reject(new Error(`node exited with ${c}:\n${out}\n${err}`)));
      }),
      startMs,
      'a node to listen',
    ).catch((e: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${e.message}\n--- stdout\n${out}\n--- stderr\n${err}`);
    });
    return {
      child,
      pid: child.pid as number,
      url,
      stdout: () => out,
      stderr: () => err,
      exited,
      alive: () => code === undefined,
      logs: () =>
        out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
    };
  }

  /** SIGKILLs every process still running; for `after` hooks. */
  killAll(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

/** A bearer-authenticated JSON call with Node's fetch. */
export async function call(
  base: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
}

/** Creates a tenant and a read-write key through a node's API; returns the key's secret. */
export async function tenantWithKey(base: string, tenant: string): Promise<string> {
  const t = await call(base, ADMIN_TOKEN, 'POST', '/v1/tenants', { id: tenant, name: tenant });
  if (t.status !== 201) throw new Error(`tenant: ${t.status} ${await t.text()}`);
  const k = await call(base, ADMIN_TOKEN, 'POST', `/v1/tenants/${tenant}/keys`, {
    name: 'test',
    scopes: ['events:write', 'events:read'],
  });
  if (k.status !== 201) throw new Error(`key: ${k.status} ${await k.text()}`);
  return ((await k.json()) as { secret: string }).secret;
}

const ACTORS = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov'];
const ACTIONS = ['user.login', 'role.update', 'ticket.update', 'export.create', 'key.revoke'];

/**
 * `n` realistic events with client-chosen ids (so acknowledgements can be matched to rows),
 * spread over a few months so several partitions are written.
 */
export function makeEvents(n: number, tag = randomBytes(3).toString('hex')): Record<string, unknown>[] {
  const base = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) => {
    const who = i % ACTORS.length;
    const name = ACTORS[who] as string;
    return {
      id: `${tag}-${randomUUID()}`,
      occurred_at: new Date(
        base + ((i * 7_919_000 + Math.floor(Math.random() * 1000)) % (90 * 86_400_000)),
      ).toISOString(),
      action: ACTIONS[i % ACTIONS.length],
      category: i % 3 === 0 ? 'auth' : 'admin',
      service: 'Directory',
      actor: {
        id: `u-${1000 + who}`,
        type: 'user',
        name,
        email: `${name.split(' ')[0]?.toLowerCase()}@example.com`,
      },
      source: { ip: [`203.0.113.${(i % 250) + 1}`], user_agent: 'Mozilla/5.0', session_id: `sess-${i % 97}` },
      target: { type: 'user', id: `u-${2000 + (i % 500)}`, name: 'Someone Else' },
      changes: [{ field: 'role', old: ['Agent'], new: ['Admin'] }],
      description: `${name} changed the role of someone from Agent to Admin (${tag} #${i})`,
    };
  });
}
