import type { Db } from './db.js';

/** Months are `YYYYMM` numbers, e.g. 202603. */
const monthOf = (ms: number): number => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
};
const bounds = (month: number): [string, string] => {
  const y = Math.floor(month / 100);
  const m = month % 100;
  const start = new Date(Date.UTC(y, m - 1, 1)).toISOString();
  const end = new Date(Date.UTC(y, m, 1)).toISOString();
  return [start, end];
};
const addMonths = (month: number, n: number): number => {
  const index = Math.floor(month / 100) * 12 + (month % 100) - 1 + n;
  return Math.floor(index / 12) * 100 + (index % 12) + 1;
};

const PARTITION_LOCK = 0x7472_6b71;
/** Months this far ahead of now get a partition at start-up. */
const AHEAD = 3;

/**
 * Monthly partitions of `events`, created ahead of time at start-up and on demand before a
 * batch that needs one is written. Months outside [1970-01, now + 2 years] are not given
 * partitions of their own: their (rare, probably wrong) events land in `events_default`.
 * Creation is serialised across nodes with an advisory lock and is idempotent.
 */
export class Partitions {
  private readonly known = new Set<number>();

  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Learns the existing partitions and creates the current and next months'. */
  async init(): Promise<void> {
    const rows = await this.db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'events'::regclass`,
    );
    for (const { name } of rows) {
      const m = /^events_p(\d{6})$/.exec(name);
      if (m) this.known.add(Number(m[1]));
    }
    const now = monthOf(this.clock());
    await this.ensureMonths(Array.from({ length: AHEAD + 1 }, (_, i) => addMonths(now, i)));
  }

  /** Makes sure every month these times fall in has its partition (when it should have one). */
  async ensure(times: number[]): Promise<void> {
    const months = new Set<number>();
    for (const t of times) {
      const m = monthOf(t);
      if (!this.known.has(m)) months.add(m);
    }
    if (months.size) await this.ensureMonths([...months]);
  }

  private async ensureMonths(months: number[]): Promise<void> {
    const latest = addMonths(monthOf(this.clock()), 24);
    const wanted = months.filter((m) => !this.known.has(m) && m >= 197001 && m <= latest);
    if (wanted.length === 0) return;
    await this.db.tx(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      for (const month of wanted) {
        const [from, to] = bounds(month);
        // A savepoint per month: one month whose events already sit in the default partition
        // (it cannot be split off without moving them) must not stop the others.
        await client.query('SAVEPOINT p');
        try {
          await client.query(
            `CREATE TABLE IF NOT EXISTS events_p${month} PARTITION OF events FOR VALUES FROM ('${from}') TO ('${to}')`,
          );
          await client.query('RELEASE SAVEPOINT p');
        } catch (err) {
          if ((err as { code?: string }).code !== '23514') throw err;
          await client.query('ROLLBACK TO SAVEPOINT p');
        }
      }
    });
    for (const m of wanted) this.known.add(m);
  }
}
