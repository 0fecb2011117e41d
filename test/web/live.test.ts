import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Api, type ApiError, type StoredEvent } from '../../web/src/api.js';
import { type LiveState, LiveTail } from '../../web/src/live.js';
import { until } from '../helpers/wait.js';

/**
 * The viewer's live tail (web/src/live.ts) in Node, whose fetch and streams are the browser's,
 * against a scripted Server-Sent Events server: the stream's wire format as
 * `GET /v1/events/stream` writes it, a dropped connection resumed with Last-Event-ID, a 401 that
 * ends it, a 204 that says no more can come. The real stream is driven in Chromium by
 * test/viewer/live.test.ts.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const event = (seq: number): StoredEvent =>
  ({
    id: `e${seq}`,
    seq,
    tenant: 'acme',
    hash: 'h',
    occurred_at: '2026-03-01T00:00:00.000Z',
    received_at: '2026-03-01T00:00:00.000Z',
    action: 'user.login',
  }) as StoredEvent;

const frame = (seq: number) => `id: ${seq}\ndata: ${JSON.stringify(event(seq))}\n\n`;

describe('the viewer’s live tail', () => {
  let server: Server;
  let url: string;
  let handle: Handler = () => {};
  const requests: { lastEventId: string | undefined; query: string; auth: string | undefined }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      requests.push({
        lastEventId: req.headers['last-event-id'] as string | undefined,
        query: (req.url ?? '').split('?')[1] ?? '',
        auth: req.headers.authorization,
      });
      handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function tail(after: number | null) {
    const events: number[] = [];
    const states: LiveState[] = [];
    const errors: ApiError[] = [];
    const live = new LiveTail(
      new Api(url, 'tok'),
      [['actor_id', 'ada']],
      {
        event: (e) => events.push(e.seq),
        state: (s) => states.push(s),
        error: (e) => errors.push(e),
      },
      after,
    );
    live.start();
    return { live, events, states, errors };
  }

  it('reads events and heartbeats, and resumes after a drop with Last-Event-ID, missing nothing', async () => {
    requests.length = 0;
    let connection = 0;
    handle = (_req, res) => {
      connection += 1;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (connection === 1) {
        // A retry hint, two events, a heartbeat, then the connection drops.
        res.write('retry: 50\n\n');
        res.write(frame(11));
        res.write(': heartbeat\n\n');
        res.write(frame(12).slice(0, 10));
        res.write(frame(12).slice(10));
        setTimeout(() => res.destroy(), 30);
      } else {
        res.write(frame(13));
      }
    };
    const { live, events, states } = tail(10);
    try {
      await until(() => events.length === 3, 5_000, { what: 'three events' });
      assert.deepEqual(events, [11, 12, 13]);
      assert.deepEqual(
        requests.map((r) => [r.lastEventId, r.query, r.auth]),
        [
          ['10', 'actor_id=ada', 'Bearer tok'],
          ['12', 'actor_id=ada', 'Bearer tok'],
        ],
      );
      assert.deepEqual(states.slice(0, 4), ['connecting', 'live', 'reconnecting', 'reconnecting']);
      assert.equal(states.at(-1), 'live');
    } finally {
      live.stop();
    }
    assert.equal(states.at(-1), 'off');
  });

  it('starts from now without Last-Event-ID when it has nothing to resume after', async () => {
    requests.length = 0;
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame(1));
    };
    const { live, events } = tail(null);
    try {
      await until(() => events.length === 1);
      assert.equal(requests[0]?.lastEventId, undefined);
    } finally {
      live.stop();
    }
  });

  it('stops at a 401 and reports it: retrying cannot bring a credential back', async () => {
    requests.length = 0;
    handle = (_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'The token has expired.' } }));
    };
    const { errors, states } = tail(5);
    await until(() => errors.length === 1);
    assert.equal(errors[0]?.status, 401);
    assert.equal(errors[0]?.message, 'The token has expired.');
    assert.equal(states.at(-1), 'failed');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(requests.length, 1, 'no retry');
  });

  it('ends at a 204: no event after it can match', async () => {
    requests.length = 0;
    handle = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    const { states, errors } = tail(5);
    await until(() => states.at(-1) === 'ended');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(requests.length, 1);
    assert.deepEqual(errors, []);
  });

  it('retries a 5xx or a refused connection, waiting longer each time', async () => {
    requests.length = 0;
    const times: number[] = [];
    handle = (_req, res) => {
      times.push(Date.now());
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"unavailable","message":"busy"}}');
    };
    const { live, errors } = tail(5);
    try {
      await until(() => times.length >= 3, 10_000, { what: 'three attempts' });
      const [a, b, c] = times as [number, number, number];
      assert.ok(c - b > b - a, `waits grow: ${b - a} then ${c - b} ms`);
      assert.deepEqual(errors, []);
    } finally {
      live.stop();
    }
  });
});
