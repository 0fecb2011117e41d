import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Command, Option } from 'commander';
import { MAX_BATCH_EVENTS } from '../../core/event/schema.js';
import { addTargetOptions, type TargetOptions, withBackend } from '../backend/open.js';
import type { Backend } from '../backend/types.js';
import { type CliContext, CliError } from '../context.js';
import { codeOf, problemsOf, renderError } from '../lib/errors.js';
import { positiveInt } from '../lib/filters.js';
import { readLines } from '../lib/lines.js';
import { count, progressBar } from '../lib/progress.js';

/** A batch stays under the server's NDJSON body limit (16 MiB) with room to spare. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;

interface Totals {
  accepted: number;
  duplicates: number;
}

/**
 * Rewrites a problem's path from the batch's numbering (`$[12].actor.id`) to the input's:
 * the line it came from, and the path inside that line's event.
 */
export function locate(path: string, lines: number[]): { line?: number; path: string } {
  const m = /^\$\[(\d+)\](.*)$/.exec(path);
  const line = m ? lines[Number(m[1])] : undefined;
  return line !== undefined && m ? { line, path: `$${m[2]}` } : { path };
}

/** The error for a rejected batch: the core's or server's problems, each named by input line. */
function batchError(err: unknown, lines: number[], totals: Totals, source: string): CliError {
  const first = lines[0] ?? 0;
  const last = lines.at(-1) ?? first;
  const base = renderError(err);
  const problems = problemsOf(err).map((p) => {
    const at = locate(p.path, lines);
    return at.line !== undefined
      ? `  line ${at.line}: ${at.path}: ${p.message}`
      : `  ${at.path}: ${p.message}`;
  });
  // The server's own line numbers (invalid JSON) count lines of the batch body.
  const message = (base.lines[0] ?? '').replace(
    /^Line (\d+)\b/,
    (_, n: string) => `Line ${lines[Number(n) - 1] ?? n}`,
  );
  const head =
    codeOf(err) === 'invalid_event'
      ? `Lines ${first}–${last} rejected: ${message}`
      : `Batch of lines ${first}–${last} failed: ${message}`;
  return new CliError(head, 1, [
    ...(problems.length ? problems : base.lines.slice(1)),
    stoppedAt(totals, first, source),
  ]);
}

function stoppedAt(totals: Totals, line: number, source: string): string {
  if (totals.accepted === 0) return 'Nothing was stored.';
  const resume =
    source === '-' ? '' : ` Resume after the fix with: tail -n +${line} ${source} | trailkeep ingest - …`;
  return `Stored before the failure: ${count(totals.accepted)} events (${count(totals.duplicates)} of them duplicates), nothing from line ${line} on.${resume}`;
}

async function openInput(ctx: CliContext, file: string): Promise<{ input: Readable; size?: number }> {
  if (file === '-') return { input: ctx.io.stdin };
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`Cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  if (!info.isFile()) throw new CliError(`Cannot read ${file}: not a file.`);
  return { input: createReadStream(file, { highWaterMark: 256 * 1024 }), size: info.size };
}

async function run(
  ctx: CliContext,
  backend: Backend,
  file: string,
  batchSize: number,
): Promise<Totals & { seconds: number }> {
  const { input, size } = await openInput(ctx, file);
  const started = performance.now();
  const totals: Totals = { accepted: 0, duplicates: 0 };
  const bar = progressBar(ctx.io, {
    total: size,
    format: '[{bar}] {percentage}% | {events} events | ETA {eta_formatted}',
    formatUnknown: '{events} events sent',
    fields: { events: '0' },
  });
  let read = 0;
  let texts: string[] = [];
  let values: unknown[] = [];
  let lines: number[] = [];
  let bytes = 0;

  const flush = async () => {
    try {
      const r = await backend.ingest({ texts, values });
      totals.accepted += r.accepted;
      totals.duplicates += r.duplicates;
    } catch (err) {
      throw batchError(err, lines, totals, file);
    }
    bar.update(size === undefined ? totals.accepted : read, { events: count(totals.accepted) });
    texts = [];
    values = [];
    lines = [];
    bytes = 0;
  };

  try {
    for await (const line of readLines(input, { onBytes: (n) => (read += n) })) {
      if (line.text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line.text);
      } catch (err) {
        throw new CliError(`Line ${line.no} is not valid JSON: ${(err as Error).message}`, 1, [
          stoppedAt(totals, lines[0] ?? line.no, file),
        ]);
      }
      const lineBytes = Buffer.byteLength(line.text) + 1;
      if (texts.length > 0 && (texts.length >= batchSize || bytes + lineBytes > MAX_BATCH_BYTES))
        await flush();
      texts.push(line.text);
      values.push(value);
      lines.push(line.no);
      bytes += lineBytes;
    }
    if (texts.length > 0) await flush();
  } finally {
    bar.stop();
    if (input !== ctx.io.stdin) input.destroy();
  }
  return { ...totals, seconds: (performance.now() - started) / 1000 };
}

export function ingestCommand(ctx: CliContext): Command {
  return addTargetOptions(
    new Command('ingest')
      .description(
        'Send events from an NDJSON file (or - for stdin), one event per line, in batches: to a server\n' +
          '(--url, --token with events:write) or straight into a database (--db, --tenant).',
      )
      .argument('<file>', 'NDJSON file, or - to read standard input')
      .addOption(
        new Option('--batch-size <n>', `events per batch, at most ${MAX_BATCH_EVENTS}`)
          .argParser(positiveInt)
          .default(MAX_BATCH_EVENTS),
      )
      .option('--json', 'print the summary as JSON')
      .addHelpText(
        'after',
        '\nEach batch is stored whole or not at all. A rejected batch stops the run: earlier batches stay\n' +
          'stored, and the error names the bad lines and the line to resume from. Give events an "id" to\n' +
          'make a re-run safe: a repeated event is counted as a duplicate, not stored twice.\n',
      ),
    { tenant: true },
  ).action(async (file: string, opts: TargetOptions & { batchSize: number; json?: boolean }) => {
    if (opts.batchSize > MAX_BATCH_EVENTS)
      throw new CliError(`--batch-size is at most ${MAX_BATCH_EVENTS}.`, 2);
    const r = await withBackend(ctx, opts, { needsTenant: true }, (b) => run(ctx, b, file, opts.batchSize));
    const rate = r.seconds > 0 ? Math.round(r.accepted / r.seconds) : r.accepted;
    ctx.io.stdout.write(
      opts.json
        ? `${JSON.stringify({ accepted: r.accepted, duplicates: r.duplicates, seconds: Number(r.seconds.toFixed(3)), events_per_second: rate })}\n`
        : `Ingested ${count(r.accepted)} events (${count(r.duplicates)} duplicates) in ${r.seconds.toFixed(2)} s: ${count(rate)} events/s.\n`,
    );
  });
}
