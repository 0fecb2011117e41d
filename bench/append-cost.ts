/**
 * Where a SQLite append's time goes: the product's own append (src/store/sqlite/append.ts), in
 * process, on a fresh database file, with parts of the schema left out. No HTTP, no writer
 * thread, no preparing: only the transactions are timed, so the figures are the writer
 * thread's cost per event and how it grows with the table (BENCHMARKS.md, "Where ingest's time
 * goes"). A diagnostic, not a benchmark with targets.
 *
 *   node --import tsx bench/append-cost.ts                       every index, 200,000 events
 *   … --events 1000000 --step 200000                             cost per event at each step
 *   … --without events_actor,events_action,fts,ips               leave indexes, full text or IPs out
 *   … --per-tx 4000 --synchronous OFF                            other transaction sizes, syncing
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareBatch } from '../src/core/event/prepare.js';
import { appender } from '../src/store/sqlite/append.js';
import { migrate, openDb } from '../src/store/sqlite/db.js';
import type { AppendGroup } from '../src/store/types.js';
import { makeBatch, TENANTS } from './generate.js';

const BATCH = 500;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    step: { type: 'string' },
    'per-tx': { type: 'string', default: String(BATCH) },
    without: { type: 'string', default: '' },
    synchronous: { type: 'string', default: 'FULL' },
  },
  strict: true,
});
const events = Number(values.events);
const perTx = Number(values['per-tx']);
const step = Number(values.step ?? events);
if (![events, perTx, step].every((n) => Number.isInteger(n) && n > 0) || perTx % BATCH || events % perTx) {
  process.stderr.write(
    `--events, --step and --per-tx must be positive, --per-tx a multiple of ${BATCH} dividing --events\n`,
  );
  process.exit(2);
}
const without = values.without.split(',').filter(Boolean);

const dir = mkdtempSync(join(tmpdir(), 'trailkeep-append-cost-'));
try {
  const db = openDb(join(dir, 'events.db'));
  migrate(db);
  db.pragma(`synchronous = ${values.synchronous}`);
  for (const name of without) if (name !== 'fts' && name !== 'ips') db.exec(`DROP INDEX ${name}`);
  const addTenant = db.prepare('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)');
  for (const t of TENANTS) addTenant.run(t, t, new Date().toISOString());

  const group = (index: number): AppendGroup => {
    const batch = makeBatch(1, index, BATCH);
    const prepared = prepareBatch(batch.events, (i) => `$[${i}]`);
    for (const e of prepared) {
      if (without.includes('fts')) e.index.text = '';
      if (without.includes('ips')) e.index.ips = [];
    }
    return { tenant: batch.tenant, events: prepared };
  };
  const append = appender(db);
  const tx = db.transaction((groups: AppendGroup[]) => {
    for (const g of groups) append([g], Date.now(), false);
  });

  let total = 0;
  let sinceStep = 0;
  for (let done = 0; done < events; done += perTx) {
    const groups = Array.from({ length: perTx / BATCH }, (_, i) => group(done / BATCH + i));
    const t0 = performance.now();
    tx.immediate(groups);
    const ms = performance.now() - t0;
    total += ms;
    sinceStep += ms;
    if ((done + perTx) % step === 0) {
      process.stdout.write(
        `  ${(done + perTx).toLocaleString('en')} events: ${((sinceStep * 1000) / step).toFixed(1)} µs/event\n`,
      );
      sinceStep = 0;
    }
  }
  const stored = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  db.close();
  process.stdout.write(
    `append-cost events=${stored} per_tx=${perTx} synchronous=${values.synchronous} without=${without.join(',') || '-'}: ` +
      `${((total * 1000) / events).toFixed(1)} µs/event, ${Math.round((events / total) * 1000)} events/s\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
