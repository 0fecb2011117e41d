import { randomBytes, randomUUID } from 'node:crypto';
import { type ServeProcess, Servers } from '../helpers/serve.js';
import { sleep, until, within } from '../helpers/wait.js';

export { ADMIN_TOKEN, call, tenantWithKey } from '../helpers/api.js';
export { sleep, within };

/** Polls `check` every `everyMs` until it returns a value other than undefined; bounded by `ms`. */
export const waitFor = <T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms: number,
  everyMs = 25,
): Promise<T> => until(check, ms, { what, everyMs });

/** A `trailkeep serve` process of a cluster. */
export type Node = ServeProcess;

/**
 * Real `trailkeep serve` processes on one database, configured as an operator would configure
 * the nodes of a cluster (the same admin token and secret), each on an ephemeral port.
 * `killAll()` (in an `after` hook) ends every one still running whatever happened to the test.
 */
export class Cluster extends Servers {}

const ACTORS = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov'];
const ACTIONS = ['user.login', 'role.update', 'ticket.update', 'export.create', 'key.revoke'];

/**
 * `n` realistic events with client-chosen ids (so acknowledgements can be matched to rows),
 * spread over a few months so several partitions are written.
 */
export function makeEvents(n: number, tag = randomBytes(3).toString('hex')): Record<string, unknown>[] {
  const base = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) => {
    const who = i % ACTORS.length;
    const name = ACTORS[who] as string;
    return {
      id: `${tag}-${randomUUID()}`,
      occurred_at: new Date(
        base + ((i * 7_919_000 + Math.floor(Math.random() * 1000)) % (90 * 86_400_000)),
      ).toISOString(),
      action: ACTIONS[i % ACTIONS.length],
      category: i % 3 === 0 ? 'auth' : 'admin',
      service: 'Directory',
      actor: {
        id: `u-${1000 + who}`,
        type: 'user',
        name,
        email: `${name.split(' ')[0]?.toLowerCase()}@example.com`,
      },
      source: { ip: [`203.0.113.${(i % 250) + 1}`], user_agent: 'Mozilla/5.0', session_id: `sess-${i % 97}` },
      target: { type: 'user', id: `u-${2000 + (i % 500)}`, name: 'Someone Else' },
      changes: [{ field: 'role', old: ['Agent'], new: ['Admin'] }],
      description: `${name} changed the role of someone from Agent to Admin (${tag} #${i})`,
    };
  });
}
