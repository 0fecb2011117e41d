/**
 * Events seen as change rows, for dialects that list one row per changed field (LivePerson
 * `auditData`). The stores count the same rows per event (`change_rows`, max(1, changes)).
 */
export interface ChangeEvent {
  seq: number;
  tenant: string;
  occurred_at: string;
  automatic?: boolean;
  actor?: {
    id?: string;
    name?: string;
    login?: string;
    auth_type?: string;
    user_agent?: string;
    privileged?: boolean;
  };
  source?: { user_agent?: string };
  target?: { type?: string; name?: string };
  changes?: { field: string; old?: string[]; new?: string[] }[];
}

/** One changed field of an event; `field` null for the single row of an event with no changes. */
export interface ChangeRow {
  field: string | null;
  old: string[];
  new: string[];
}

/** One row per change, in the event's order; an event without changes is one row without a field. */
export const changeRowsOf = (e: ChangeEvent): ChangeRow[] =>
  e.changes?.length
    ? e.changes.map((c) => ({ field: c.field, old: c.old ?? [], new: c.new ?? [] }))
    : [{ field: null, old: [], new: [] }];

/**
 * What change-row counts filter and sum by, per event: `change_rows` is max(1, changes). SQLite
 * computes them from the stored body (generated columns, migration 3); PostgreSQL stores these
 * values at append (migration 6), and the conformance suite holds the two to the same counts.
 */
export interface ChangeFacets {
  change_rows: number;
  automatic: boolean;
  actor_privileged: boolean;
  actor_login: string | null;
}

export const changeFacetsOf = (e: Pick<ChangeEvent, 'automatic' | 'actor' | 'changes'>): ChangeFacets => ({
  change_rows: Math.max(1, e.changes?.length ?? 0),
  automatic: e.automatic ?? false,
  actor_privileged: e.actor?.privileged ?? false,
  actor_login: e.actor?.login ?? null,
});
