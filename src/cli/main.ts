#!/usr/bin/env node
import { CommanderError } from 'commander';
import { renderError } from './lib/errors.js';
import { buildCli } from './program.js';

// `trailkeep query | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const io = { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

buildCli(io)
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (err instanceof CommanderError) {
      // Commander has printed its message (or the help) already. Bad usage exits 2.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    const { lines, exitCode } = renderError(err);
    process.stderr.write(`trailkeep: ${lines.join('\n')}\n`);
    process.exitCode = exitCode;
  });
