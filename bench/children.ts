/**
 * Every child process the benchmark starts (servers, drivers), so the harness can end them all
 * whatever happens, and how a driver script is run: its own process, a JSON spec in, one JSON
 * line out.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { within } from '../test/helpers/wait.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

const children = new Set<ChildProcess>();

export const track = (child: ChildProcess): ChildProcess => {
  children.add(child);
  return child;
};

export const untrack = (child: ChildProcess): boolean => children.delete(child);

export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

/** The environment variable a driver script reads its spec from. */
export const SPEC_VARIABLE = 'DRIVER_SPEC';

/** Reads the spec a driver script was started with (see runScript). */
export const specOf = <T>(): T => JSON.parse(process.env[SPEC_VARIABLE] ?? '') as T;

/**
 * Runs `bench/<script>` in its own process (through tsx) so the client's work never shares an
 * event loop with the server or the harness; resolves with the last line it printed, parsed.
 * Bounded by `timeoutMs`; a non-zero exit rejects with the tail of its stderr.
 */
export async function runScript<T>(script: string, spec: unknown, timeoutMs: number): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', script)], {
    cwd: ROOT,
    env: { ...process.env, [SPEC_VARIABLE]: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-20_000);
  });
  const code = await within(
    new Promise<number | string | null>((resolve) => child.on('exit', (c, s) => resolve(c ?? s))),
    timeoutMs,
    `bench/${script}`,
  ).finally(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    untrack(child);
  });
  if (code !== 0) throw new Error(`bench/${script} exited with ${code}:\n${err}`);
  return JSON.parse(out.trim().split('\n').pop() ?? '') as T;
}
