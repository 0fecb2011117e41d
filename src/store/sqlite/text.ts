import { TrailkeepError } from '../../core/errors.js';
import { searchTerms } from '../../core/query.js';
import type { Db } from './db.js';

/**
 * Full text on SQLite, in time order. FTS5 returns matches in rowid order only, so the rowid of
 * an event's text is its **text key**: the second it occurred in, times 2^25, plus a slot taken
 * in that second (`text_slots`, in append order across the database). Walking a term's matches
 * by key is walking them by time, newest (or oldest) first, so a page reads about as many
 * matches as it returns, where joining every match to the events and sorting read all of them
 * (278 ms for a common term in a 1M-event tenant). Within one second the slots follow append
 * order, not occurred_at: a page fetches the rest of its last second too and sorts exactly.
 *
 * The event's tenant is indexed beside its text (a hex token in its own column), so a tenant's
 * matches are one FTS AND: another tenant's events are never walked over. Keys exceed 2^53, so
 * they are BigInts here (a JavaScript number binds as a REAL, and SQLite would round them).
 */
export const SLOTS = 33_554_432; // 2^25 events in one second across the database
const SLOTS_N = BigInt(SLOTS);

/** The second an instant falls in (floor, also before 1970). */
export const secondOf = (ms: number): number => Math.floor(ms / 1000);

/** The first text key of a second. */
export const firstKeyOf = (second: number): bigint => BigInt(second) * SLOTS_N;

/** The token that stands for a tenant in the index: its id in hex, one token whatever it holds. */
export const tenantToken = (tenant: string): string => `t${Buffer.from(tenant, 'utf8').toString('hex')}`;

/**
 * The MATCH expression for events holding every term, a tenant's only unless `scoped` is false;
 * null when no term is searchable. Terms are letters, digits and `_` (core tokenize), quoted, so
 * none is FTS syntax.
 */
export function matchOf(tenant: string, q: string, scoped = true): string | null {
  const terms = searchTerms(q);
  if (terms.length === 0) return null;
  const text = terms.map((t) => `text : "${t}"`);
  return (scoped ? [`tenant : "${tenantToken(tenant)}"`, ...text] : text).join(' AND ');
}

/**
 * Matches, across tenants, below which a page walks them all rather than intersecting with its
 * tenant's token: intersecting a rare term with a large tenant's list costs milliseconds (1.8 ms
 * for 88 matches among 1M events), walking a few hundred matches and dropping other tenants'
 * costs microseconds. Above it, the tenant's token keeps a small tenant from walking a large
 * one's matches.
 */
export const RARE_MATCHES = 256;

/** Counts the matches of `q` in every tenant, up to RARE_MATCHES. */
export const RARE_PROBE = `SELECT count(*) AS n FROM (SELECT 1 FROM events_text WHERE events_text MATCH ? LIMIT ${RARE_MATCHES})`;

export const TEXT_SCHEMA = `
  CREATE VIRTUAL TABLE events_text USING fts5(
    tenant, text, content='', contentless_delete=1, detail=column, tokenize='unicode61 remove_diacritics 2'
  );
  CREATE TABLE text_slots (second INTEGER PRIMARY KEY, used INTEGER NOT NULL);
`;

/** Indexes one event's text inside the caller's transaction; returns its key, to store on the event. */
export function textIndexer(db: Db): (tenant: string, occurredAt: number, text: string) => bigint {
  const take = db.prepare<[bigint], { slot: number }>(
    `INSERT INTO text_slots (second, used) VALUES (?, 1)
     ON CONFLICT (second) DO UPDATE SET used = used + 1 RETURNING used - 1 AS slot`,
  );
  const insert = db.prepare('INSERT INTO events_text (rowid, tenant, text) VALUES (?, ?, ?)');
  return (tenant, occurredAt, text) => {
    const second = secondOf(occurredAt);
    const { slot } = take.get(BigInt(second)) as { slot: number };
    if (slot >= SLOTS) {
      throw new TrailkeepError('unavailable', `More than ${SLOTS} events in one second: ${second}.`);
    }
    const key = firstKeyOf(second) + BigInt(slot);
    insert.run(key, tenantToken(tenant), text);
    return key;
  };
}
