import { contentHash } from '../../src/core/event/seal.js';
import type { TestEngine } from './app.js';
import { literal, type RawDb } from './raw-db.js';

/**
 * The ways a tampering test changes a tenant's stored events behind the server's back, in
 * plain SQL on the database's own connection, as an attacker with database access would.
 */
export function tampering(db: RawDb, engine: TestEngine) {
  const where = (tenant: string, seq: number) => `tenant = ${literal(tenant)} AND seq = ${seq}`;
  const bodyOf = async (tenant: string, seq: number) =>
    (await db.all<{ body: string }>(`SELECT body FROM events WHERE ${where(tenant, seq)}`))[0]
      ?.body as string;
  const move = (tenant: string, from: number, to: number) =>
    `UPDATE events SET seq = ${to} WHERE ${where(tenant, from)}`;
  return {
    where,
    bodyOf,
    /** Replaces text in the stored event, leaving its hash as it was. */
    edit: (tenant: string, seq: number, text: string, by: string) =>
      db.exec(
        `UPDATE events SET body = replace(body, ${literal(text)}, ${literal(by)}) WHERE ${where(tenant, seq)}`,
      ),
    /** Changes the event and gives it the hash of its new content: it verifies on its own. */
    async rewrite(tenant: string, seq: number, patch: Record<string, unknown>): Promise<string> {
      const event = { ...(JSON.parse(await bodyOf(tenant, seq)) as Record<string, unknown>), ...patch };
      event.hash = contentHash(event);
      await db.exec(
        `UPDATE events SET body = ${literal(JSON.stringify(event))}, hash = ${literal(event.hash as string)} WHERE ${where(tenant, seq)}`,
      );
      return event.hash as string;
    },
    remove: (tenant: string, seq: number) => db.exec(`DELETE FROM events WHERE ${where(tenant, seq)}`),
    /** Swaps events `seq` and `seq + 1`, through a free seq: SQLite checks its unique (tenant, seq) index row by row. */
    swap: (tenant: string, seq: number) =>
      db.exec(`${move(tenant, seq, -seq)}; ${move(tenant, seq + 1, seq)}; ${move(tenant, -seq, seq + 1)};`),
    /** Inserts a copy of event `seq` (id `forged`) as seq + 1, moving the later ones (up to `last`) up. */
    async insert(tenant: string, seq: number, last: number): Promise<void> {
      // Highest first, so no two rows ever share a seq.
      for (let s = last; s > seq; s--) await db.exec(move(tenant, s, s + 1));
      const columns = `tenant, id, occurred_at, received_at, action, category, outcome, hash, body${engine === 'sqlite' ? ', digest' : ''}`;
      await db.exec(
        `INSERT INTO events (seq, ${columns}) SELECT ${seq + 1}, ${columns.replace('id,', "'forged' AS id,")} FROM events WHERE ${where(tenant, seq)}`,
      );
    },
  };
}
