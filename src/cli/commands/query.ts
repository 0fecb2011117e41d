import { Command, Option } from 'commander';
import { addTargetOptions, type TargetOptions, withBackend } from '../backend/open.js';
import { type CliContext, write } from '../context.js';
import { addFilterOptions, filtersFrom, positiveInt } from '../lib/filters.js';
import { table } from '../lib/table.js';

/** The largest page the API serves. */
const PAGE = 1000;

type Obj = Record<string, unknown> | undefined;
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** One table row: seq, occurred_at, action, actor, target, outcome, description. */
function row(json: string): string[] {
  const e = JSON.parse(json) as Record<string, unknown>;
  const actor = e.actor as Obj;
  const target = e.target as Obj;
  const targetText = target
    ? [target.type, target.id ?? target.name].filter((v) => v !== undefined).join(':')
    : '';
  return [
    str(e.seq),
    str(e.occurred_at),
    str(e.action),
    str(actor?.id ?? actor?.name),
    targetText,
    str(e.outcome),
    str(e.description),
  ];
}

export function queryCommand(ctx: CliContext): Command {
  const { io } = ctx;
  const cmd = addTargetOptions(
    addFilterOptions(
      new Command('query')
        .description(
          'Print the events that match the filters, newest first: from a server or a local database.',
        )
        .addOption(
          new Option('--order <order>', 'desc (newest first) or asc')
            .choices(['desc', 'asc'])
            .default('desc'),
        )
        .addOption(
          new Option('--limit <n>', 'how many events to print at most').argParser(positiveInt).default(100),
        )
        .addOption(
          new Option(
            '--format <format>',
            'table (default at a terminal), ndjson (default when piped) or json',
          ).choices(['table', 'ndjson', 'json']),
        ),
    ),
    { tenant: true },
  );
  return cmd.action(
    async (opts: TargetOptions & { order: 'asc' | 'desc'; limit: number; format?: string }) => {
      const filters = filtersFrom(opts);
      const format = opts.format ?? (io.stdout.isTTY ? 'table' : 'ndjson');
      const rows: string[][] = [];
      let printed = 0;
      let more = false;
      await withBackend(ctx, opts, { needsTenant: true }, async (backend) => {
        let cursor: string | undefined;
        if (format === 'json') await write(io.stdout, '[');
        while (printed < opts.limit) {
          const page = await backend.page(filters, {
            order: opts.order,
            limit: Math.min(PAGE, opts.limit - printed),
            ...(cursor !== undefined ? { cursor } : {}),
          });
          for (const json of page.events) {
            if (format === 'table') rows.push(row(json));
            else if (format === 'json') await write(io.stdout, `${printed === 0 ? '\n' : ',\n'}${json}`);
            else await write(io.stdout, `${json}\n`);
            printed += 1;
          }
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
          more = printed >= opts.limit;
        }
        if (format === 'json') await write(io.stdout, printed === 0 ? ']\n' : '\n]\n');
      });
      if (format === 'table') {
        if (rows.length === 0) io.stdout.write('No events match.\n');
        else {
          const headers = ['SEQ', 'OCCURRED_AT', 'ACTION', 'ACTOR', 'TARGET', 'OUTCOME', 'DESCRIPTION'];
          io.stdout.write(table(headers, rows, io.stdout.isTTY ? io.stdout.columns : 120));
        }
      }
      if (more && io.stderr.isTTY) io.stderr.write(`(first ${printed} shown; more match: raise --limit)\n`);
    },
  );
}
