import assert from 'node:assert/strict';
import http from 'node:http';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { makeBatch } from '../../bench/generate.js';
import { verifyEvent } from '../../src/core/event/seal.js';
import type { LogLine, ServeProcess } from '../helpers/serve.js';
import { within } from '../helpers/wait.js';
import {
  api,
  ENGINES,
  engineSuite,
  listAll,
  logProblems,
  mismatches,
  type Reply,
  readStoredLog,
  send,
  setting,
  sleep,
  TITLE,
  tenantWithKey,
} from './support.js';

/** Events in the tenant before the export starts: enough for an export of many steps. */
const SEED_EVENTS = setting('TRAILKEEP_TEST_SHUTDOWN_EVENTS', 40_000);
/** Clients writing continuously while the signal arrives. */
const WRITERS = 4;
/** Requests deliberately caught half-sent by the signal. */
const HALF_SENT = 3;
const TENANT = 'shutdown';
/** What the issue allows from SIGTERM to exit. */
const EXIT_WITHIN_MS = 10_000;

interface Ack {
  id: string;
  seq: number;
  hash: string;
}

const ackLine = (a: Ack) => `${a.id} ${a.seq} ${a.hash}`;

/** Resolves once a new TCP connection to `url` is refused (the listener is closed); bounded by `ms`. */
async function refused(url: string, ms: number): Promise<void> {
  const { hostname, port } = new URL(url);
  const deadline = Date.now() + ms;
  for (;;) {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), hostname);
      socket.once('connect', () => {
        socket.destroy();
        resolve('accepted');
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    if (outcome === 'ECONNREFUSED') return;
    if (Date.now() > deadline) throw new Error(`new connections still ${outcome} after ${ms} ms`);
    await sleep(10);
  }
}

/**
 * A POST whose headers and first half of the body are sent now, the rest when `finish()` is
 * called. `started` resolves with the local port once connected (the server logs it as
 * `req.remotePort` when the request arrives). Its connection is kept alive, idle, after the
 * answer, as a pooling client's would be: the server must not wait for the client to close it.
 */
function halfSent(url: string, token: string, body: string) {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  const req = http.request(new URL('/v1/events', url), {
    method: 'POST',
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': bytes.length,
    },
  });
  const started = new Promise<number>((resolve) =>
    req.on('socket', (s) => s.once('connect', () => resolve(s.localPort as number))),
  );
  const reply = new Promise<Reply>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
  });
  req.write(bytes.subarray(0, half));
  return { started, reply, finish: () => req.end(bytes.subarray(half)) };
}

/**
 * Graceful shutdown (issue 9, part 2). SIGTERM arrives while clients write continuously, some
 * requests are half-sent and an export job is running. The server must refuse new connections,
 * finish the requests it had begun (2xx), let the job's current step finish, exit 0 within
 * 10 s, lose nothing it acknowledged, and run the job to completion after a restart if it
 * had not finished.
 */
for (const engine of ENGINES) {
  describe(`graceful shutdown on ${TITLE[engine]}: SIGTERM under load`, () => {
    const suite = engineSuite(engine, { TRAILKEEP_JOB_WORKERS: '1' });

    it('refuses new connections, finishes begun requests and the job step, exits 0 within 10 s; nothing acknowledged is lost; the job completes after restart', {
      timeout: 300_000,
    }, async (t) => {
      const { data, servers } = suite;
      const first: ServeProcess = await servers.start(data.env);
      const url = first.url;
      const key = await tenantWithKey(url, TENANT);
      const acks = new Map<string, Ack>();
      const record = (res: Reply) => {
        for (const e of (JSON.parse(res.text) as { events: Ack[] }).events) acks.set(e.id, e);
      };

      // The export's input, written by four clients at once.
      const seedBatches = Math.ceil(SEED_EVENTS / 1000);
      let nextSeed = 0;
      await within(
        Promise.all(
          Array.from({ length: 4 }, async () => {
            const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
            for (let b = nextSeed++; b < seedBatches; b = nextSeed++) {
              const { events } = makeBatch(1, b, Math.min(1000, SEED_EVENTS - b * 1000));
              const res = await send(agent, url, 'POST', '/v1/events', key, JSON.stringify({ events }));
              assert.equal(res.status, 201, res.text);
              record(res);
            }
            agent.destroy();
          }),
        ),
        120_000,
        'writing the export input',
      );

      // Continuous writers on keep-alive connections. Each batch that got no answer is kept to be
      // retried after the restart: it may or may not have been stored, as for any client.
      let signalled = false;
      const unanswered: string[] = [];
      const outcomes = { acknowledged: 0, unavailable: 0, afterSignal: 0 };
      const connectionErrors: string[] = [];
      const writer = async (w: number) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          for (let n = 0; ; n++) {
            const { events } = makeBatch(2, w * 1_000_000 + n, 100);
            const body = JSON.stringify({ events });
            const wasSignalled = signalled;
            let res: Reply;
            try {
              res = await send(agent, url, 'POST', '/v1/events', key, body);
            } catch (err) {
              connectionErrors.push((err as NodeJS.ErrnoException).code ?? (err as Error).message);
              unanswered.push(body);
              return;
            }
            if (res.status === 503) {
              outcomes.unavailable++;
              unanswered.push(body);
              return;
            }
            assert.equal(res.status, 201, res.text);
            record(res);
            outcomes.acknowledged++;
            if (wasSignalled) outcomes.afterSignal++;
          }
        } finally {
          agent.destroy();
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));

      await within(
        (async () => {
          while (outcomes.acknowledged < WRITERS * 3) await sleep(10);
        })(),
        60_000,
        'the writers to get going',
      );

      // Requests the server has begun (it logged their arrival) but cannot finish before the
      // rest of their body comes, which the test sends only after the signal.
      const half = Array.from({ length: HALF_SENT }, (_, i) => {
        const { events } = makeBatch(3, i, 200);
        return { events, ...halfSent(url, key, JSON.stringify({ events })) };
      });
      const ports = await Promise.all(half.map((h) => h.started));
      for (const port of ports) {
        await first.waitForLog(
          `the arrival of the half-sent request from port ${port}`,
          (l) => l.msg === 'incoming request' && (l.req as { remotePort?: number })?.remotePort === port,
          30_000,
        );
      }

      // An export, running when the signal comes.
      const job = await api<{ id: string }>(
        url,
        key,
        'POST',
        '/v1/exports',
        { format: 'csv', filters: {} },
        202,
      );
      const ofJob = (msg: string) => (l: LogLine) => l.job === job.id && l.msg === msg;
      await first.waitForLog('the export to start', ofJob('job started'), 30_000);

      const signalledAt = Date.now();
      signalled = true;
      first.child.kill('SIGTERM');
      await first.waitForLog('the shutdown to begin', (l) => l.msg === 'shutting down', EXIT_WITHIN_MS);
      await refused(url, EXIT_WITHIN_MS);
      assert.ok(first.alive(), 'the server waits for the requests it has begun');
      for (const h of half) h.finish();
      const halfReplies = await within(
        Promise.all(half.map((h) => h.reply)),
        30_000,
        'the half-sent requests',
      );
      for (const r of halfReplies) {
        assert.equal(r.status, 201, r.text);
        record(r);
      }
      const code = await within(
        first.exited,
        EXIT_WITHIN_MS - (Date.now() - signalledAt),
        `the server to exit within ${EXIT_WITHIN_MS} ms of SIGTERM`,
      );
      const exitMs = Date.now() - signalledAt;
      assert.equal(code, 0, first.stderr());
      assert.ok(
        first.logs().some((l) => l.msg === 'shut down'),
        'the shutdown is logged from the signal to its end',
      );
      await within(Promise.all(writers), 30_000, 'the writers to notice the server has gone');
      const jobOutcome = first
        .logs()
        .find((l) => l.job === job.id && /^job (finished|released)$/.test(l.msg ?? ''));
      assert.ok(jobOutcome, 'the running export either finished or was released before the exit');
      t.diagnostic(
        `exit ${code} ${exitMs} ms after SIGTERM; export ${jobOutcome.msg}; writers: ${outcomes.acknowledged} batches acknowledged ` +
          `(${outcomes.afterSignal} sent after the signal), ${outcomes.unavailable} 503s, ` +
          `connection errors: ${connectionErrors.join(', ') || 'none'}`,
      );

      // After a restart: the job completes, and every acknowledged event is there as acknowledged.
      const second = await servers.start(data.env);
      const done = await within(
        (async () => {
          for (;;) {
            const j = await api<{ state: string; rows: number | null }>(
              second.url,
              key,
              'GET',
              `/v1/exports/${job.id}`,
            );
            if (!['queued', 'running'].includes(j.state)) return j;
            await sleep(50);
          }
        })(),
        120_000,
        'the export to complete after the restart',
      );
      assert.equal(done.state, 'succeeded');
      const csv = await send(new http.Agent(), second.url, 'GET', `/v1/exports/${job.id}/download`, key);
      assert.equal(csv.status, 200);
      assert.equal(
        csv.text.trimEnd().split('\n').length,
        (done.rows as number) + 1,
        'a header and one line per row',
      );
      assert.ok((done.rows as number) >= SEED_EVENTS);
      if (jobOutcome.msg === 'job released') {
        await second.waitForLog('the resumed export to finish', ofJob('job finished'), 30_000);
      }

      const listed = await listAll(second.url, key);
      const byId = new Map(listed.map((e) => [e.id as string, e]));
      const lost = [...acks.values()].filter((a) => {
        const e = byId.get(a.id);
        return !e || e.seq !== a.seq || e.hash !== a.hash;
      });
      assert.deepEqual(
        lost.map(ackLine).slice(0, 10),
        [],
        'every acknowledged event is stored as acknowledged',
      );
      assert.ok(listed.every(verifyEvent));

      // Unanswered batches, retried, are stored once (or answered as duplicates when they had been).
      const agent = new http.Agent({ keepAlive: true });
      for (const body of unanswered) {
        const res = await send(agent, second.url, 'POST', '/v1/events', key, body);
        assert.ok(res.status === 201 || res.status === 200, res.text);
        record(res);
      }
      agent.destroy();
      second.child.kill('SIGTERM');
      assert.equal(await within(second.exited, EXIT_WITHIN_MS, 'the second server to exit'), 0);

      const log = await readStoredLog(data);
      assert.deepEqual(logProblems(log), []);
      assert.deepEqual(
        mismatches(log.events.map((r) => ackLine(r)).sort(), [...acks.values()].map(ackLine).sort()),
        [],
        'the database holds exactly the acknowledged events',
      );
    });
  });
}
