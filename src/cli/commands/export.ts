import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { Command, Option } from 'commander';
import { EXPORT_FORMATS, type ExportFormat } from '../../services/exports/render.js';
import { addTargetOptions, type TargetOptions, withBackend } from '../backend/open.js';
import { type CliContext, UsageError } from '../context.js';
import { addFilterOptions, filtersFrom } from '../lib/filters.js';
import { count, progressBar } from '../lib/progress.js';

function formatFor(opt: string | undefined, output: string): ExportFormat {
  if (opt !== undefined) return opt as ExportFormat;
  return /\.csv$/i.test(output) ? 'csv' : 'ndjson';
}

export function exportCommand(ctx: CliContext): Command {
  const { io } = ctx;
  const cmd = addTargetOptions(
    addFilterOptions(
      new Command('export')
        .description(
          'Write every event that matches the filters, oldest first, to a CSV or NDJSON file.\n' +
            'Locally it streams from the database; with --url it runs an export job on the server and downloads it.',
        )
        .addOption(
          new Option(
            '--format <format>',
            'csv or ndjson (default: csv for a .csv output, else ndjson)',
          ).choices([...EXPORT_FORMATS]),
        )
        .option('-o, --output <file>', 'file to write, or - for standard output (the default when piped)')
        .option('--proofs', 'NDJSON: end the file with its proof line, for `trailkeep verify` (docs/log.md)'),
    ),
    { tenant: true },
  );
  return cmd.action(async (opts: TargetOptions & { format?: string; output?: string; proofs?: boolean }) => {
    const output = opts.output ?? (io.stdout.isTTY ? undefined : '-');
    if (output === undefined)
      throw new UsageError('Say where to write: -o FILE, or -o - for standard output.');
    const format = formatFor(opts.format, output);
    if (opts.proofs && format !== 'ndjson') throw new UsageError('--proofs needs --format ndjson.');
    const filters = filtersFrom(opts);
    const toStdout = output === '-';
    const partial = `${output}.partial`;
    const started = performance.now();
    let file: WriteStream | undefined;
    let rows: number | null = null;
    let bytes = 0;

    await withBackend(ctx, opts, { needsTenant: true }, async (backend) => {
      // A file appears under its name only once complete; `flags: 'w'` replaces a stale partial.
      file = toStdout ? undefined : createWriteStream(partial, { flags: 'w' });
      const out = file ?? io.stdout;
      const bar = progressBar(io, {
        format: '{phase} [{bar}] {percentage}% | {value}/{total} {unit} | ETA {eta_formatted}',
        formatUnknown: '{phase} {value} {unit}',
        fields: { phase: 'starting', unit: 'events' },
      });
      try {
        rows = await backend.exportTo(
          filters,
          format,
          out,
          (p) => {
            if (p.unit === 'bytes') bytes = p.done;
            bar.update(p.done, {
              phase: p.phase,
              unit: p.unit,
              ...(p.total !== undefined ? { total: p.total } : {}),
            });
          },
          { proofs: opts.proofs === true },
        );
        if (file) {
          file.end();
          await finished(file);
          await rename(partial, output);
        }
      } catch (err) {
        if (file) {
          file.destroy();
          await unlink(partial).catch(() => {});
        }
        throw err;
      } finally {
        bar.stop();
      }
    });

    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    const what = rows !== null ? `${count(rows)} events` : `${count(bytes)} bytes`;
    // With -o - the data owns stdout: the summary goes to stderr.
    const summary = `Exported ${what} as ${format} to ${toStdout ? 'standard output' : output} in ${seconds} s.\n`;
    if (toStdout) {
      if (io.stderr.isTTY) io.stderr.write(summary);
    } else io.stdout.write(summary);
  });
}
