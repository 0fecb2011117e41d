import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { makeBatch, mulberry32 } from '../../bench/generate.js';
import { verifyEvent } from '../../src/core/event/seal.js';
import { appendLeaves, EMPTY_EDGE } from '../../src/core/log/append.js';
import { parseCheckpoint } from '../../src/core/log/checkpoint.js';
import { leafHash, verifyConsistency } from '../../src/core/log/merkle.js';
import { openNote, parseVerifier, type Verifier } from '../../src/core/log/note.js';
import { freePort } from '../helpers/pg-server.js';
import type { ServeProcess } from '../helpers/serve.js';
import { until, within } from '../helpers/wait.js';
import {
  api,
  ENGINES,
  engineSuite,
  listAll,
  logProblems,
  mismatches,
  readStoredLog,
  seeded,
  send,
  setting,
  sleep,
  TITLE,
  tenantWithKey,
} from './support.js';

/** SIGKILLs, each at a random moment of continuous ingest (TRAILKEEP_TEST_KILLS). */
const KILLS = setting('TRAILKEEP_TEST_KILLS', 6);
/** Concurrent clients, spread over the tenants (TRAILKEEP_TEST_CRASH_CLIENTS). */
const CLIENTS = setting('TRAILKEEP_TEST_CRASH_CLIENTS', 6);
const TENANTS = ['crash-a', 'crash-b', 'crash-c'];
/** Batches acknowledged after each start before the next kill may come: the server did work. */
const PROGRESS = 10;
/** The kill comes at a random moment up to this long after that progress. */
const MAX_KILL_DELAY_MS = 1_500;
const MAX_BATCH = 40;

interface Ack {
  tenant: string;
  id: string;
  seq: number;
  hash: string;
}

interface Stats {
  batches: number;
  requests: number;
  connectionErrors: number;
  unavailable: number;
  /** Retried batches answered as duplicates: committed before a kill that lost the answer. */
  committedUnanswered: number;
}

const line = (a: Ack) => `${a.tenant} ${a.id} ${a.seq} ${a.hash}`;

/**
 * Crash durability (issue 9, part 1). Several clients ingest continuously through the native
 * API with client event ids, each retrying its batch with the same ids until it is
 * acknowledged; the server is SIGKILLed at random moments and restarted. Afterwards every
 * acknowledged event is stored exactly once with the seq and hash it was acknowledged with,
 * seqs are gapless per tenant and every hash recomputes, checked through the API and with the
 * bare database driver. Kill moments are seeded: TRAILKEEP_TEST_SEED repeats a run's choices.
 */
for (const engine of ENGINES) {
  describe(`crash durability on ${TITLE[engine]}: SIGKILL under concurrent ingest`, () => {
    const suite = engineSuite(engine);

    it(`every acknowledged event survives ${KILLS} SIGKILLs exactly once; seqs gapless, hashes recompute`, {
      timeout: 600_000,
    }, async (t) => {
      const { data, servers } = suite;
      const { seed, random } = seeded();
      t.diagnostic(`seed=${seed} (TRAILKEEP_TEST_SEED=${seed} repeats the random choices)`);
      // One port for every start, so clients keep retrying the same address across restarts.
      const env = { ...data.env, TRAILKEEP_PORT: String(await freePort()) };
      let server: ServeProcess = await servers.start(env);
      const url = server.url;
      const keys: Record<string, string> = {};
      for (const tenant of TENANTS) keys[tenant] = await tenantWithKey(url, tenant);

      const acks = new Map<string, Ack>();
      const stats: Stats = {
        batches: 0,
        requests: 0,
        connectionErrors: 0,
        unavailable: 0,
        committedUnanswered: 0,
      };
      let stopping = false;
      /** Set when the test ends, passed or not: no client retries for ever against a dead server. */
      let ended = false;

      /** Writes batches until told to stop; each batch is retried, unchanged, until acknowledged. */
      const client = async (c: number) => {
        const tenant = TENANTS[c % TENANTS.length] as string;
        const choose = mulberry32(seed + c + 1);
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          for (let n = 0; !stopping; n++) {
            const { events } = makeBatch(seed, c * 1_000_000 + n, 1 + Math.floor(choose() * MAX_BATCH));
            const body = JSON.stringify({ events });
            for (let attempt = 1; !ended; attempt++) {
              stats.requests++;
              let res: Awaited<ReturnType<typeof send>>;
              try {
                res = await send(agent, url, 'POST', '/v1/events', keys[tenant] as string, body);
              } catch {
                stats.connectionErrors++;
                await sleep(20);
                continue;
              }
              if (res.status === 503) {
                stats.unavailable++;
                await sleep(20);
                continue;
              }
              assert.ok(res.status === 201 || res.status === 200, `${res.status} ${res.text}`);
              const reply = JSON.parse(res.text) as { duplicates: number; events: Omit<Ack, 'tenant'>[] };
              assert.deepEqual(
                reply.events.map((e) => e.id),
                events.map((e) => e.id),
              );
              // A batch is atomic: stored before in full (a retry after a lost answer), or not at all.
              assert.ok(
                reply.duplicates === 0 || (attempt > 1 && reply.duplicates === events.length),
                `attempt ${attempt} of a ${events.length}-event batch answered ${reply.duplicates} duplicates`,
              );
              if (reply.duplicates > 0) stats.committedUnanswered++;
              for (const e of reply.events) acks.set(e.id, { tenant, ...e });
              stats.batches++;
              break;
            }
          }
        } finally {
          agent.destroy();
        }
      };
      const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
      /** Rejects as soon as a client fails, so every wait below ends with the client's error. */
      const failed = Promise.race(clients.map((p) => p.then(() => new Promise<never>(() => {}))));
      failed.catch(() => {});
      const progress = async (batches: number) => {
        while (stats.batches < batches) await Promise.race([sleep(20), failed]);
      };

      try {
        for (let k = 1; k <= KILLS; k++) {
          await within(progress(stats.batches + PROGRESS), 120_000, `${PROGRESS} batches acknowledged`);
          const delay = Math.floor(random() * MAX_KILL_DELAY_MS);
          await Promise.race([sleep(delay), failed]);
          server.child.kill('SIGKILL');
          assert.equal(await within(server.exited, 30_000, 'the server to die'), 'SIGKILL');
          t.diagnostic(
            `kill ${k}/${KILLS} at +${delay} ms: ${stats.batches} batches, ${acks.size} events acknowledged`,
          );
          server = await servers.start(env);
        }
        await within(progress(stats.batches + PROGRESS), 120_000, 'ingest after the last restart');
        stopping = true;
        await within(Promise.all(clients), 120_000, 'the clients to finish their last batch');
      } finally {
        ended = true;
      }
      t.diagnostic(
        `${stats.batches} batches, ${acks.size} events, ${stats.requests} requests, ` +
          `${stats.connectionErrors} connection errors, ${stats.unavailable} 503s, ` +
          `${stats.committedUnanswered} batches committed whose answer a kill lost`,
      );

      // Through the API: each tenant's log is exactly its acknowledged events, as acknowledged.
      for (const tenant of TENANTS) {
        const token = keys[tenant] as string;
        const expected = [...acks.values()].filter((a) => a.tenant === tenant).sort((a, b) => a.seq - b.seq);
        const { count } = await api<{ count: number }>(url, token, 'GET', '/v1/events/count');
        assert.equal(count, expected.length, `${tenant}: count`);
        const listed = await listAll(url, token);
        assert.deepEqual(
          mismatches(
            listed.map((e) =>
              line({ tenant, id: e.id as string, seq: e.seq as number, hash: e.hash as string }),
            ),
            expected.map(line),
          ),
          [],
          `${tenant}: the listed log is the acknowledged events with their acknowledged seqs and hashes`,
        );
        assert.equal(listed.at(-1)?.seq, listed.length, `${tenant}: seqs 1..n`);
        assert.ok(listed.every(verifyEvent), `${tenant}: every listed event verifies`);
      }

      // The log: every acknowledged event is a leaf, at its seq, of a checkpoint signed after the
      // last restart, and every checkpoint signed between the kills is a prefix of that one.
      for (const tenant of TENANTS) {
        const token = keys[tenant] as string;
        const expected = [...acks.values()].filter((a) => a.tenant === tenant).sort((a, b) => a.seq - b.seq);
        const { verifier_key } = await api<{ verifier_key: string }>(url, token, 'GET', '/v1/log/key');
        const verifier = parseVerifier(verifier_key) as Verifier;
        type Listed = { checkpoints: { size: number; checkpoint: string }[] };
        const signed = (c: { checkpoint: string }) => parseCheckpoint(openNote(c.checkpoint, verifier) ?? '');
        const last = await until(
          async () =>
            (await api<Listed>(url, token, 'GET', `/v1/log/checkpoints?size=${expected.length}`))
              .checkpoints[0],
          30_000,
          { what: `${tenant}: a checkpoint of all ${expected.length} acknowledged events` },
        );
        const final = signed(last);
        assert.ok(final, `${tenant}: the checkpoint is signed by the log's key`);
        const rebuilt = appendLeaves(
          EMPTY_EDGE,
          expected.map((a) => leafHash(Buffer.from(a.hash, 'hex'))),
        );
        assert.ok(rebuilt.root.equals(final.root), `${tenant}: the acknowledged events are the signed tree`);
        const { checkpoints } = await api<Listed>(url, token, 'GET', '/v1/log/checkpoints?limit=1000');
        for (const c of checkpoints.filter((c) => c.size < final.size)) {
          const earlier = signed(c);
          assert.ok(earlier, `${tenant}: checkpoint ${c.size} is signed`);
          const { hashes } = await api<{ hashes: string[] }>(
            url,
            token,
            'GET',
            `/v1/log/consistency?from=${c.size}&to=${final.size}`,
          );
          const proof = hashes.map((h) => Buffer.from(h, 'base64'));
          assert.ok(
            verifyConsistency(c.size, final.size, proof, earlier.root, final.root),
            `${tenant}: checkpoint ${c.size} is a prefix of ${final.size}`,
          );
        }
        t.diagnostic(`${tenant}: ${checkpoints.length} checkpoints, each a prefix of the last`);
      }

      server.child.kill('SIGTERM');
      assert.equal(await within(server.exited, 30_000, 'the server to stop'), 0);

      // With the bare driver: the same, plus the engine's own bookkeeping.
      const log = await readStoredLog(data);
      assert.deepEqual(logProblems(log), []);
      assert.deepEqual(
        mismatches(log.events.map(line).sort(), [...acks.values()].map(line).sort()),
        [],
        'the database holds exactly the acknowledged events',
      );
    });
  });
}
