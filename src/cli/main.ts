#!/usr/bin/env node
import { buildCli } from './program.js';

buildCli()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`trailkeep: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
