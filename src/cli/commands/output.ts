import type { CliIo } from '../context.js';

/** How a listing prints: `json` when asked, a table for a person at a terminal, tab-separated when piped. */
export type OutputMode = 'json' | 'human' | 'plain';

export const outputMode = (io: CliIo, json: boolean | undefined): OutputMode =>
  json ? 'json' : io.stdout.isTTY ? 'human' : 'plain';
