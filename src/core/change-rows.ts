/**
 * Events seen as change rows, for dialects that list one row per changed field (LivePerson
 * `auditData`): what an event looks like to them, and the event-level conditions the store has
 * no filter for yet (actor by id or login, privileged actors, automatic changes).
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

/** Conditions on an event evaluated in memory (the store cannot yet). */
export interface EventMatch {
  /** Keep events whose actor id or login is one of these. */
  actorIdOrLogin?: string[];
  /** Keep events of privileged actors (vendor staff); dropped when false. */
  privileged: boolean;
  /** Keep automatic events; dropped when false. */
  automatic: boolean;
}

export function eventMatches(e: ChangeEvent, m: EventMatch): boolean {
  if (!m.privileged && e.actor?.privileged === true) return false;
  if (!m.automatic && e.automatic === true) return false;
  if (m.actorIdOrLogin) {
    const { id, login } = e.actor ?? {};
    const hit =
      (id !== undefined && m.actorIdOrLogin.includes(id)) ||
      (login !== undefined && m.actorIdOrLogin.includes(login));
    if (!hit) return false;
  }
  return true;
}
