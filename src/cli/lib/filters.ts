import { type Command, InvalidArgumentError, Option } from 'commander';
import { FilterBodySchema, type FilterParams } from '../../core/filters.js';
import { FILTER_FIELDS } from '../../core/query.js';
import { compileSchema, formatSchemaErrors } from '../../core/schema.js';
import { UsageError } from '../context.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const flagOf = (field: string) => `--${field.replaceAll('_', '-')}`;

/** A repeatable value collector, for --scope and the filter flags. */
export const repeatable = collect;

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('must be a positive integer.');
  }
  return n;
}

/** One flag per filter the API knows (repeat a flag to OR its values), plus --from, --to and --q. */
export function addFilterOptions(cmd: Command): Command {
  for (const field of FILTER_FIELDS) {
    cmd.addOption(
      new Option(`${flagOf(field)} <value>`, `${field} is this (repeat: any of them)`).argParser(collect),
    );
  }
  cmd
    .addOption(new Option('--from <time>', 'occurred at or after this RFC 3339 time'))
    .addOption(new Option('--to <time>', 'occurred before this RFC 3339 time'))
    .addOption(new Option('--q <terms>', 'full-text search: every term must match'))
    .addOption(new Option('--action-prefix <prefix>', 'action starts with this (user. for user.*)'))
    .addOption(new Option('--min-seq <n>', 'seq at or after this').argParser(Number))
    .addOption(new Option('--max-seq <n>', 'seq at or before this').argParser(Number));
  return cmd;
}

const check = compileSchema<FilterParams>(FilterBodySchema);

/** The filter flags given, as the API's filter object, validated by the API's own schema. */
export function filtersFrom(given: object): FilterParams {
  const opts = given as Record<string, unknown>;
  const filters: Record<string, unknown> = {};
  for (const field of [...FILTER_FIELDS, 'from', 'to', 'q', 'action_prefix', 'min_seq', 'max_seq'] as const) {
    const value = opts[new Option(`${flagOf(field)} <v>`).attributeName()];
    if (value !== undefined) filters[field] = value;
  }
  if (!check(filters)) {
    const problems = formatSchemaErrors(check.errors, '').map(
      (p) => `  - ${flagOf(p.path.replace(/^\./, '').replace(/\[\d+\]$/, ''))}: ${p.message}`,
    );
    throw new UsageError('Invalid filter:', problems);
  }
  return filters as FilterParams;
}
