/**
 * Realistic sample events for the viewer's tests, its screenshot and its bench: people acting on
 * tickets, users and roles, some failures, changes with before and after. Deterministic: event
 * `i` is always the same, one minute after event `i − 1`. Imports nothing of the test runner.
 */

export const PEOPLE = [
  'Ada Lovelace',
  'Grace Hopper',
  'Alan Turing',
  'Katherine Johnson',
  'Edsger Dijkstra',
  'Barbara Liskov',
].map((name) => {
  const first = (name.split(' ')[0] as string).toLowerCase();
  return { id: `u-${first}`, name, email: `${first}@example.com` };
});

const ACTIONS = [
  { action: 'user.login', target: 'user', category: 'auth' },
  { action: 'ticket.update', target: 'ticket', category: 'data' },
  { action: 'user.update', target: 'user', category: 'admin' },
  { action: 'ticket.close', target: 'ticket', category: 'data' },
  { action: 'role.update', target: 'role', category: 'admin' },
  { action: 'user.password_reset', target: 'user', category: 'auth' },
  { action: 'export.create', target: 'export', category: 'data' },
] as const;

const STATUSES = ['open', 'pending', 'solved', 'closed'];
const ROLES = ['agent', 'admin', 'viewer'];
const IPS = ['203.0.113.7', '198.51.100.23', '192.0.2.44', '2001:db8::7'];
const AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36',
  'trailkeep-cli/0.1',
];
const CITIES = ['Paris, FR', 'London, GB', 'Boston, US', 'Berlin, DE'];

/** The start of the sample: event 0 occurs here, each next one a minute later. */
export const SAMPLE_START = Date.UTC(2026, 2, 2, 8, 0, 0);

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

export function sampleEvent(i: number): Record<string, unknown> {
  const who = pick(PEOPLE, i * 7 + 3);
  const what = pick(ACTIONS, i * 5 + 1);
  const failed = i % 11 === 4;
  const id = what.target === 'user' ? pick(PEOPLE, i + 2).id : `${100 + (i % 40)}`;
  const changes =
    what.action === 'ticket.update' || what.action === 'ticket.close'
      ? [{ field: 'status', old: [pick(STATUSES, i)], new: [pick(STATUSES, i + 1)] }]
      : what.action === 'role.update'
        ? [
            { field: 'role', old: [pick(ROLES, i)], new: [pick(ROLES, i + 1)] },
            { field: 'permissions', old: ['tickets:read'], new: ['tickets:read', 'tickets:write'] },
          ]
        : undefined;
  return {
    id: `sample-${i}`,
    occurred_at: new Date(SAMPLE_START + i * 60_000).toISOString(),
    action: what.action,
    category: what.category,
    outcome: failed ? 'failure' : 'success',
    service: what.target === 'ticket' ? 'helpdesk' : 'identity',
    actor: { ...who, type: 'user' },
    target: {
      type: what.target,
      id,
      ...(what.target === 'ticket' ? { name: `Ticket #${id}` } : {}),
    },
    source: { ip: [pick(IPS, i)], user_agent: pick(AGENTS, i), session_id: `s-${i % 13}` },
    context: { location: pick(CITIES, i * 3) },
    ...(changes ? { changes } : {}),
    ...(failed ? { description: 'Denied: the actor lacks the permission.' } : {}),
  };
}

/** Events `from` … `from + n − 1`. */
export const sampleEvents = (n: number, from = 0): Record<string, unknown>[] =>
  Array.from({ length: n }, (_, i) => sampleEvent(from + i));
