/**
 * The canonical event as a Zendesk `audit_log` (docs/event-model.md §3): `id` is the seq,
 * actor and source ids are numbers when decimal, `created_at` has whole seconds, and `url` is
 * absolute, from the request's own scheme and host.
 */
interface Stored {
  seq: number;
  occurred_at: string;
  action: string;
  actor?: { id?: string; name?: string };
  target?: { type?: string; id?: string; name?: string };
  source?: { ip?: string[] };
  description?: string;
  changes?: { field: string; old?: string[]; new?: string[] }[];
}

const LABELS: Record<string, string> = {
  update: 'Updated',
  create: 'Created',
  destroy: 'Deleted',
  login: 'Logged in',
  exported: 'Exported',
};

export const actionLabel = (action: string): string =>
  LABELS[action] ?? action.charAt(0).toUpperCase() + action.slice(1);

/** Decimal ids that fit a JSON number exactly become numbers; anything else stays a string. */
const idOf = (id: string | undefined) =>
  id === undefined ? undefined : /^(0|[1-9]\d{0,14})$/.test(id) ? Number(id) : id;

const changeText = (changes: NonNullable<Stored['changes']>) =>
  changes
    .map((c) => `${c.field} changed from ${(c.old ?? []).join(', ')} to ${(c.new ?? []).join(', ')}`)
    .join('\n');

export function auditLogOf(json: string, base: string) {
  const e = JSON.parse(json) as Stored;
  const description = e.description || (e.changes?.length ? changeText(e.changes) : undefined);
  const out = {
    id: e.seq,
    url: `${base}/api/v2/audit_logs/${e.seq}.json`,
    action: e.action,
    action_label: actionLabel(e.action),
    actor_id: idOf(e.actor?.id),
    actor_name: e.actor?.name,
    source_id: idOf(e.target?.id),
    source_type: e.target?.type,
    source_label: e.target?.name,
    change_description: description,
    ip_address: e.source?.ip?.[0],
    created_at: `${e.occurred_at.slice(0, 19)}Z`,
  };
  // Fields the event lacks are left out, not sent as null.
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as typeof out;
}
