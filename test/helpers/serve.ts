import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, SECRET } from './api.js';
import { within } from './wait.js';

/** The repository root: the CLI and servers run from here, as `npm run dev` runs them. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The real `trailkeep` command (`node --import tsx src/cli/main.ts …`) in a child process, with
 * the test's environment minus every TRAILKEEP_ setting, plus `env`; stdin, stdout and stderr
 * are pipes.
 */
export function spawnTrailkeep(args: string[], env: Record<string, string>): ChildProcessWithoutNullStreams {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRAILKEEP_')));
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
  });
}

/** A parsed JSON log line of the server (pino). */
export type LogLine = Record<string, unknown> & { msg?: string };

export interface ServeOptions {
  /** How long the server may take to listen; it is SIGKILLed and the start fails after. */
  startMs?: number;
  /**
   * Keep only this many characters of output (its tail). Unlimited by default; a server under
   * load logs two lines per request at `info`, which a long test need not keep.
   */
  keepChars?: number;
}

export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  /** Where it listens, from its "trailkeep listening" log line. */
  url: string;
  /** Its standard output so far (the JSON log, and anything printed, such as a generated token). */
  stdout(): string;
  stderr(): string;
  /** The JSON lines of stdout kept so far, parsed. */
  logs(): LogLine[];
  /** Resolves with the first log line, past or future, that `match` accepts; bounded by `ms`. */
  waitForLog(what: string, match: (line: LogLine) => boolean, ms: number): Promise<LogLine>;
  /** Resolves with the exit code, or the signal's name when a signal ended it. */
  exited: Promise<number | string | null>;
  alive(): boolean;
}

const parse = (line: string): LogLine | undefined => {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
};

/**
 * A real `trailkeep serve` process (`node --import tsx src/cli/main.ts serve`), with the
 * test's environment minus every TRAILKEEP_ setting, plus an ephemeral port, log level
 * `info` (the "listening" line carries the URL) and `env`. Resolves once it listens.
 */
export async function serve(env: Record<string, string>, options: ServeOptions = {}): Promise<ServeProcess> {
  const child = spawnTrailkeep(['serve'], { TRAILKEEP_PORT: '0', TRAILKEEP_LOG_LEVEL: 'info', ...env });
  const keep = options.keepChars ?? Number.POSITIVE_INFINITY;
  let out = '';
  let err = '';
  let partial = '';
  const watchers = new Set<(line: LogLine) => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (out.length > keep) out = out.slice(-keep);
    // Lines are parsed only while someone waits for one; the unfinished last line is kept.
    const chunk = partial + d;
    const cut = chunk.lastIndexOf('\n');
    partial = chunk.slice(cut + 1);
    if (watchers.size === 0 || cut < 0) return;
    for (const text of chunk.slice(0, cut).split('\n')) {
      const line = parse(text);
      if (line) for (const w of watchers) w(line);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-Math.min(keep, 1_000_000));
  });
  let code: number | string | null | undefined;
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (c, signal) => {
      code = c ?? signal;
      resolve(code);
    }),
  );
  const logs = () =>
    out
      .split('\n')
      .map(parse)
      .filter((l): l is LogLine => l !== undefined);

  const waitForLog: ServeProcess['waitForLog'] = (what, match, ms) => {
    const seen = logs().find(match);
    if (seen) return Promise.resolve(seen);
    let watcher: ((line: LogLine) => void) | undefined;
    const found = new Promise<LogLine>((resolve, reject) => {
      watcher = (line) => {
        if (match(line)) resolve(line);
      };
      watchers.add(watcher);
      void exited.then((c) => reject(new Error(`server exited with ${c} before logging ${what}`)));
    });
    return within(found, ms, what).finally(() => {
      if (watcher) watchers.delete(watcher);
    });
  };

  const url = await waitForLog(
    'trailkeep listening',
    (l) => l.msg === 'trailkeep listening' && typeof l.url === 'string',
    options.startMs ?? 30_000,
  ).then(
    (l) => l.url as string,
    (e: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${e.message}\n--- stdout\n${out}\n--- stderr\n${err}`);
    },
  );
  return {
    child,
    pid: child.pid as number,
    url,
    stdout: () => out,
    stderr: () => err,
    logs,
    waitForLog,
    exited,
    alive: () => code === undefined,
  };
}

/**
 * Remembers every server it starts, so `killAll()` (in an `after` hook) ends those still
 * running whatever happened to the test. Every start gets the test credentials (ADMIN_TOKEN,
 * SECRET: the nodes of a cluster and a restarted server share them, as an operator would
 * configure them) and the `shared` settings.
 */
export class Servers {
  private readonly started = new Set<ServeProcess>();

  constructor(private readonly shared: Record<string, string> = {}) {}

  async start(env: Record<string, string> = {}, options: ServeOptions = {}): Promise<ServeProcess> {
    const server = await serve(
      { TRAILKEEP_ADMIN_TOKEN: ADMIN_TOKEN, TRAILKEEP_SECRET: SECRET, ...this.shared, ...env },
      options,
    );
    this.started.add(server);
    return server;
  }

  /** SIGKILLs every server still running. */
  killAll(): void {
    for (const s of this.started) if (s.alive()) s.child.kill('SIGKILL');
  }
}
