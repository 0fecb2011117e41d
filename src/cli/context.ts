import type { Readable, Writable } from 'node:stream';
import { type Config, ConfigError, loadConfig } from '../config/config.js';

/** The process the CLI runs in, passed down so that commands read no globals. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
}

/** An error the CLI reports itself: a one-line message, optional detail lines, and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly detailLines: string[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad usage or configuration: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string, detailLines: string[] = []) {
    super(message, 2, detailLines);
    this.name = 'UsageError';
  }
}

export interface CliContext {
  io: CliIo;
  /**
   * The configuration, parsed once from the environment with the command-line flags that
   * override settings (--db, --url, --token) applied on top, so both are validated alike.
   */
  config(overrides?: Partial<Config>): Config;
}

export function createContext(io: CliIo): CliContext {
  let loaded: Config | undefined;
  return {
    io,
    config(overrides = {}) {
      if (loaded) return loaded;
      try {
        const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
        loaded = loadConfig(io.env, given);
        return loaded;
      } catch (err) {
        if (err instanceof ConfigError)
          throw new UsageError(
            'Invalid configuration:',
            err.problems.map((p) => `  - ${p}`),
          );
        throw err;
      }
    },
  };
}

/** Writes text, waiting for the stream to drain when its buffer is full. */
export async function write(out: Writable, data: string | Uint8Array): Promise<void> {
  if (!out.write(data)) {
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        out.off('drain', done);
        out.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      out.once('drain', done);
      out.once('error', done);
    });
  }
}
