import http from 'node:http';
import net from 'node:net';
import { ADMIN_TOKEN, api, type Reply, send, sleep, tenantWithKey } from './client.js';

/**
 * What one tenant can do to a shared Trailkeep, as an attacker or a careless customer would
 * (issue #17), each paired with what the server must answer. The abuse suite
 * (test/reliability/abuse.test.ts) runs every attack while another tenant reads and writes, and
 * requires all of that tenant's requests to succeed; the benchmark (bench/abuse.ts) runs the same
 * attacks and reports the other tenant's latency during each against its baseline.
 */

/** The settings a server under attack runs with: the defaults, but for what lets a bounded run reach the limits. */
export const ABUSE_ENV = {
  // The victim and the attacker send far more than a person would; the per-credential limit
  // is tested on its own (test/http/limits.test.ts). The limits under test here are the others.
  TRAILKEEP_RATE_LIMIT: '0',
  // A few exports are enough to meet the count quota.
  TRAILKEEP_TENANT_EXPORTS: '5',
  // A Genesys result of more rows than this is answered with a presigned downloadUrl.
  TRAILKEEP_GENESYS_REDIRECT_ROWS: '100',
};

export const ATTACKER = 'abuse-attacker';
export const VICTIM = 'abuse-victim';

export interface Arena {
  base: string;
  attacker: string;
  victim: string;
}

/** A change value of the attacker's wide events: the longest a value may be; three old and three new stay under 64 KiB. */
const WIDE_VALUE = 8000;

const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();

async function ingestAll(base: string, key: string, events: object[], batch = 500): Promise<void> {
  for (let i = 0; i < events.length; i += batch) {
    await api(base, key, 'POST', '/v1/events', { events: events.slice(i, i + batch) });
  }
}

/**
 * Two tenants through the public API: the attacker with `events` ordinary events (what scans
 * and exports read) and 300 wide ones (large change values, what alias and slow-reader attacks
 * multiply), the victim with a few.
 */
export async function prepareArena(base: string, events: number): Promise<Arena> {
  const attacker = await tenantWithKey(base, ATTACKER);
  const victim = await tenantWithKey(base, VICTIM);
  const plain = Array.from({ length: events }, (_, i) => ({
    occurred_at: at(i),
    action: 'record.update',
    actor: { id: `u-${i % 50}`, name: 'Mallory' },
    target: { type: 'record', id: `r-${i}` },
    changes: [{ field: 'status', old: ['a'], new: ['b'] }],
  }));
  await ingestAll(base, attacker, plain);
  const wide = Array.from({ length: 300 }, (_, i) => ({
    occurred_at: at(events + i),
    action: 'record.bulk',
    target: { type: 'record', id: `w-${i}` },
    changes: [
      {
        field: 'blob',
        old: Array(3).fill('x'.repeat(WIDE_VALUE)),
        new: Array(3).fill('y'.repeat(WIDE_VALUE)),
      },
    ],
  }));
  await ingestAll(base, attacker, wide, 50);
  await ingestAll(
    base,
    victim,
    Array.from({ length: 50 }, (_, i) => ({ occurred_at: at(i), action: 'victim.seed' })),
  );
  return { base, attacker, victim };
}

/** The victim's requests during an attack: each one's latency, and every one that did not succeed. */
export interface VictimRun {
  latenciesMs: number[];
  failures: string[];
}

/**
 * The other tenant's ordinary work, one request at a time until `done()`: a write of one event,
 * a page of its newest events and a count, in turn. Connection errors are failures too.
 */
export async function victimLoop(arena: Arena, done: () => boolean, least = 6): Promise<VictimRun> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const run: VictimRun = { latenciesMs: [], failures: [] };
  const steps: [string, string, string | undefined][] = [
    ['POST', '/v1/events', undefined],
    ['GET', '/v1/events?limit=20', undefined],
    ['GET', '/v1/events/count?action=victim.seed', undefined],
  ];
  try {
    for (let i = 0; !done() || i < least; i++) {
      const [method, path] = steps[i % steps.length] as [string, string, undefined];
      const body =
        method === 'POST'
          ? JSON.stringify({ occurred_at: new Date().toISOString(), action: 'victim.write' })
          : undefined;
      const started = performance.now();
      try {
        const res = await send(agent, arena.base, method, path, arena.victim, body, 120_000);
        run.latenciesMs.push(performance.now() - started);
        if (res.status >= 300)
          run.failures.push(`${method} ${path}: ${res.status} ${res.text.slice(0, 200)}`);
      } catch (err) {
        run.failures.push(`${method} ${path}: ${(err as Error).message}`);
      }
    }
  } finally {
    agent.destroy();
  }
  return run;
}

/** What an attack saw: every status the server answered it with. */
export interface AttackRun {
  statuses: number[];
  /** Answers that broke the rules whatever their status (a 5xx, a body that is not the envelope). */
  problems: string[];
}

export interface Attack {
  /** The finding of issue #17 it reproduces. */
  finding: string;
  name: string;
  /** The statuses the attacker may get; anything else is a failure. */
  allowed: number[];
  /** Statuses at least one of which must come: proof the limit was reached, not merely not hit. */
  mustSee: number[];
  run(arena: Arena): Promise<AttackRun>;
}

const json = (r: Reply) => {
  try {
    return JSON.parse(r.text) as Record<string, unknown>;
  } catch {
    return null;
  }
};

/** Sends `count` copies of one request at once (each on its own connection); collects statuses. */
async function burst(
  count: number,
  request: (agent: http.Agent) => Promise<Reply>,
  check: (r: Reply) => string | null = () => null,
): Promise<AttackRun> {
  const out: AttackRun = { statuses: [], problems: [] };
  await Promise.all(
    Array.from({ length: count }, async () => {
      const agent = new http.Agent({ keepAlive: false });
      try {
        const r = await request(agent);
        out.statuses.push(r.status);
        const problem = check(r);
        if (problem) out.problems.push(problem);
      } catch (err) {
        out.problems.push(`no answer: ${(err as Error).message}`);
      } finally {
        agent.destroy();
      }
    }),
  );
  return out;
}

const LIVEPERSON = `/api/account/${ATTACKER}/configuration/metadata/audit`;

/** The LivePerson envelope on every error: `{"errors":[{"message"}]}`. */
const livePersonError = (r: Reply) => {
  const body = json(r);
  if (r.status < 400) return null;
  const errors = body?.errors;
  return Array.isArray(errors) && errors.length > 0
    ? null
    : `not LivePerson's envelope: ${r.text.slice(0, 200)}`;
};
const nativeError = (r: Reply) =>
  r.status < 400 || typeof json(r)?.error === 'object'
    ? null
    : `not the native envelope: ${r.text.slice(0, 200)}`;

const graphql = (arena: Arena, query: string) => (agent: http.Agent) =>
  send(agent, arena.base, 'POST', LIVEPERSON, arena.attacker, JSON.stringify({ query }), 120_000);

/** An export of a fiftieth of the attacker's ordinary events. */
const SMALL_EXPORT = JSON.stringify({ format: 'ndjson', filters: { actor_id: 'u-1' } });

/** Polls an export until it has ended; its final state. */
async function exportEnded(base: string, key: string, id: string): Promise<string> {
  for (let k = 0; k < 2400; k++) {
    const s = await api<{ state: string }>(base, key, 'GET', `/v1/exports/${id}`);
    if (s.state !== 'queued' && s.state !== 'running') return s.state;
    await sleep(25);
  }
  throw new Error(`export ${id} did not end within a minute`);
}

/** A Genesys async query over all of the attacker's events, run to Succeeded; its presigned downloadUrl path. */
async function genesysDownloadPath(arena: Arena): Promise<string> {
  const interval = '2025-12-01T00:00:00Z/2027-01-01T00:00:00Z';
  const job = await api<{ id: string }>(
    arena.base,
    arena.attacker,
    'POST',
    '/api/v2/audits/query',
    { interval },
    200,
  );
  for (let i = 0; i < 600; i++) {
    const s = await api<{ state: string }>(
      arena.base,
      arena.attacker,
      'GET',
      `/api/v2/audits/query/${job.id}`,
    );
    if (s.state === 'Succeeded') break;
    await sleep(50);
  }
  const results = await api<{ downloadUrl: string }>(
    arena.base,
    arena.attacker,
    'GET',
    `/api/v2/audits/query/${job.id}/results?allowRedirect=true`,
  );
  return results.downloadUrl.replace(/^https?:\/\/[^/]+/, '');
}

/**
 * Opens `count` connections that each ask for a large page and then read only its first bytes,
 * like clients that stall; resolves with each one's status once all have answered, and a
 * function that closes them.
 */
async function stalledReaders(
  arena: Arena,
  count: number,
  path: string,
  token: string | null = arena.attacker,
): Promise<{ statuses: number[]; close: () => void }> {
  const { hostname, port } = new URL(arena.base);
  const sockets: net.Socket[] = [];
  const statuses = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<number>((resolve, reject) => {
          const socket = net.connect({ host: hostname, port: Number(port) });
          sockets.push(socket);
          socket.once('connect', () => {
            socket.write(
              `GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n${token ? `Authorization: Bearer ${token}\r\n` : ''}\r\n`,
            );
          });
          socket.once('data', (chunk: Buffer) => {
            socket.pause();
            resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 0));
          });
          socket.once('error', reject);
        }),
    ),
  );
  return {
    statuses,
    close: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/** Every attack of issue #17's findings, in its order. */
export const ATTACKS: Attack[] = [
  {
    finding: '1',
    name: 'GraphQL aliases ×64 over wide rows, 10 at once',
    allowed: [400],
    mustSee: [400],
    run: (arena) => {
      const fields = Array.from({ length: 64 }, (_, i) => `a${i}: oldValue`).join(' ');
      return burst(10, graphql(arena, `{ auditData(first: 1000) { ${fields} } }`), livePersonError);
    },
  },
  {
    finding: '1',
    name: 'GraphQL 100 aliases of auditData',
    allowed: [400],
    mustSee: [400],
    run: (arena) => {
      const selections = Array.from(
        { length: 100 },
        (_, i) => `q${i}: auditData(first: 1000) { oldValue }`,
      ).join(' ');
      return burst(2, graphql(arena, `{ ${selections} }`), livePersonError);
    },
  },
  {
    finding: '2',
    name: 'LivePerson offset 2,000,000,000, 4 at once',
    allowed: [200, 429],
    mustSee: [200],
    run: (arena) =>
      burst(
        4,
        graphql(arena, '{ auditData(offset: 2000000000, first: 10, automaticUpdates: true) { element } }'),
        livePersonError,
      ),
  },
  {
    finding: '2',
    name: 'LivePerson sort by another column, 8 at once',
    // Past 50,000 rows to sort the answer is a 400 saying so (a large attacker tenant).
    allowed: [200, 400, 429],
    // Whether these overlap (and meet the slot limit) depends on the data's size; the slot limit
    // itself is proven by downloads that stall (below and test/http/expensive-reads.test.ts).
    mustSee: [200, 400],
    run: (arena) =>
      burst(
        8,
        graphql(
          arena,
          '{ auditData(first: 1000, orderBy: ["objectName"], automaticUpdates: true) { element objectName } }',
        ),
        livePersonError,
      ),
  },
  {
    finding: '2',
    name: 'Genesys downloadUrl (no credential), 8 stalled readers at once',
    allowed: [200, 429],
    mustSee: [429],
    run: async (arena) => {
      const readers = await stalledReaders(arena, 8, await genesysDownloadPath(arena), null);
      // Held while the victim works, then let go.
      await sleep(500);
      readers.close();
      return { statuses: readers.statuses, problems: [] };
    },
  },
  {
    finding: '7',
    name: 'the job queue filled with whole-range exports, then another tenant exports',
    allowed: [202],
    mustSee: [202],
    run: async (arena) => {
      const out: AttackRun = { statuses: [], problems: [] };
      const whole = JSON.stringify({ format: 'csv', filters: { action: 'record.update' } });
      const create = async (key: string, body: string) => {
        const agent = new http.Agent({ keepAlive: false });
        try {
          const r = await send(agent, arena.base, 'POST', '/v1/exports', key, body);
          out.statuses.push(r.status);
          return json(r)?.id as string;
        } finally {
          agent.destroy();
        }
      };
      const theirs: string[] = [];
      for (let i = 0; i < 4; i++) theirs.push(await create(arena.attacker, whole));
      const mine = await create(arena.victim, JSON.stringify({ format: 'csv' }));
      // Which one runs first is the fair lease's, proven with one worker in
      // test/services/jobs.test.ts; here every export, the other tenant's included, must succeed.
      await Promise.all(
        [...theirs, mine].map(async (id) => {
          const state = await exportEnded(arena.base, id === mine ? arena.victim : arena.attacker, id);
          if (state !== 'succeeded') out.problems.push(`export ${id} ended ${state}`);
        }),
      );
      return out;
    },
  },
  {
    finding: '3',
    name: 'exports until the quota, 12 in a row',
    allowed: [202, 429, 507],
    mustSee: [429, 507],
    run: async (arena) => {
      const out: AttackRun = { statuses: [], problems: [] };
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; i < 12; i++) {
          const r = await send(agent, arena.base, 'POST', '/v1/exports', arena.attacker, SMALL_EXPORT);
          out.statuses.push(r.status);
          const problem = nativeError(r);
          if (problem) out.problems.push(problem);
          // Let the worker finish it, so the next one meets the kept-bytes quota rather than the job cap.
          if (r.status === 202) await exportEnded(arena.base, arena.attacker, json(r)?.id as string);
        }
      } finally {
        agent.destroy();
      }
      return out;
    },
  },
  {
    finding: '4',
    name: 'NDJSON body of 120,000 events',
    allowed: [413],
    mustSee: [413],
    run: (arena) => {
      const line = `${JSON.stringify({ occurred_at: at(0), action: 'flood' })}\n`;
      const body = line.repeat(120_000);
      return burst(
        1,
        (agent) =>
          new Promise<Reply>((resolve, reject) => {
            const req = http.request(
              new URL('/v1/events', arena.base),
              {
                method: 'POST',
                agent,
                headers: {
                  authorization: `Bearer ${arena.attacker}`,
                  'content-type': 'application/x-ndjson',
                  'content-length': Buffer.byteLength(body),
                },
              },
              (res) => {
                let text = '';
                res.setEncoding('utf8').on('data', (d: string) => {
                  text += d;
                });
                res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
              },
            );
            req.on('error', reject);
            req.end(body);
          }),
        nativeError,
      );
    },
  },
  {
    finding: '5',
    name: 'an event with 1,000,000 changes, and one with 400,000 unknown keys',
    allowed: [400, 413],
    mustSee: [400],
    run: async (arena) => {
      const many = JSON.stringify({ occurred_at: at(0), action: 'x', changes: Array(1_000_000).fill({}) });
      const keys: Record<string, number> = { occurred_at: 0 };
      for (let i = 0; i < 400_000; i++) keys[`k${i}`] = 0;
      const wide = JSON.stringify({ ...keys, occurred_at: at(0), action: 'x' });
      const a = await burst(
        1,
        (agent) => send(agent, arena.base, 'POST', '/v1/events', arena.attacker, many),
        nativeError,
      );
      const b = await burst(
        1,
        (agent) => send(agent, arena.base, 'POST', '/v1/events', arena.attacker, wide),
        nativeError,
      );
      return { statuses: [...a.statuses, ...b.statuses], problems: [...a.problems, ...b.problems] };
    },
  },
  {
    finding: '5',
    name: 'Genesys queries of 300,000 and 1,000,000 filters, 4 at once',
    allowed: [400, 413],
    mustSee: [400, 413],
    run: (arena) => {
      const body = (n: number) =>
        JSON.stringify({ interval: '2026-01-01T00:00:00Z/2026-01-02T00:00:00Z', filters: Array(n).fill(0) });
      const sizes = [300_000, 1_000_000, 300_000, 1_000_000];
      let next = 0;
      return burst(
        4,
        (agent) =>
          send(
            agent,
            arena.base,
            'POST',
            '/api/v2/audits/query',
            arena.attacker,
            body(sizes[next++ % 4] as number),
          ),
        (r) =>
          r.status < 400 || typeof json(r)?.code === 'string'
            ? null
            : `not Genesys's envelope: ${r.text.slice(0, 200)}`,
      );
    },
  },
  {
    finding: '8',
    name: '300 requests with forged keys from one address',
    allowed: [401, 429],
    mustSee: [429],
    run: async (arena) => {
      const out: AttackRun = { statuses: [], problems: [] };
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      const forged = `${arena.attacker.slice(0, -6)}AAAAAA`;
      try {
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            for (let i = 0; i < 75; i++) {
              const r = await send(agent, arena.base, 'GET', '/v1/events?limit=1', forged);
              out.statuses.push(r.status);
              const problem = nativeError(r);
              if (problem) out.problems.push(problem);
            }
          }),
        );
      } finally {
        agent.destroy();
      }
      return out;
    },
  },
  {
    finding: '1',
    name: '12 stalled readers of 1,000-event pages of wide events',
    allowed: [200, 429],
    mustSee: [429],
    run: async (arena) => {
      const readers = await stalledReaders(arena, 12, '/v1/events?limit=1000&action=record.bulk');
      // Held while the victim works, then let go.
      await sleep(500);
      readers.close();
      return { statuses: readers.statuses, problems: [] };
    },
  },
];

/** The problems of one attack's outcome against its rules. */
export function judge(attack: Attack, run: AttackRun): string[] {
  const out = [...run.problems];
  const unexpected = run.statuses.filter((s) => !attack.allowed.includes(s));
  if (unexpected.length)
    out.push(
      `unexpected statuses ${[...new Set(unexpected)].join(', ')} (allowed ${attack.allowed.join(', ')})`,
    );
  if (!run.statuses.some((s) => attack.mustSee.includes(s))) {
    out.push(
      `never answered ${attack.mustSee.join(' or ')}: the limit was not reached (saw ${run.statuses.join(', ')})`,
    );
  }
  return out;
}

export { ADMIN_TOKEN };
