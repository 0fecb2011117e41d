/** The printed report: one Markdown table per part. */
import { int, mib, spread } from './format.js';
import type { EngineResult } from './suite.js';

const ENGINE = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const;

export function markdown(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? [];
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    line(rows[0] as string[]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

export function ingestTable(ingest: EngineResult[]): string {
  return markdown([
    [
      'engine',
      'product events/s median [min–max]',
      'ceiling events/s median [min–max]',
      'ratio',
      'server peak RSS',
    ],
    ...ingest.map((r) => [
      ENGINE[r.engine],
      spread(r.product.eventsPerSec, int),
      spread(r.ceiling.eventsPerSec, int),
      `${(r.ratio * 100).toFixed(1)} %`,
      mib(r.product.peakRssBytes),
    ]),
  ]);
}
