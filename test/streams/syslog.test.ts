import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { syslog } from '../../src/services/streams/destinations/syslog.js';
import type { OutBatch } from '../../src/services/streams/destinations/types.js';
import { SafeNet } from '../../src/services/streams/net.js';
import { type Received, type Rsyslog, startRsyslog } from '../helpers/rsyslog.js';
import { nativeBatch, storedEvent } from '../helpers/stream-batches.js';
import { makeCerts } from '../helpers/tls-certs.js';
import { until } from '../helpers/wait.js';

/**
 * The syslog destination against Debian's rsyslogd, started here on a free loopback port with
 * its own config: over TCP and over TLS with a CA made here by openssl. rsyslog parses each
 * message (RFC 5424, structured data by mmpstrucdata) and writes it as JSON, which the tests
 * compare with what the batch held.
 */

const CHECKPOINT =
  'trailkeep.example/acme\n3\nq83vEjRWeJBVkkK8FXF2Yyd8ys4yf6qPsbzRxaZ4yCQ=\n\n— trailkeep.example AAAAb2s=\n';
const context = { net: new SafeNet(true), hostname: 'test-node', clock: Date.now };
const never = new AbortController().signal;
/** Values with the characters RFC 5424 escapes in structured data, and a newline. */
const AWKWARD = 'a "quoted" \\back\\slash] and ]] end\\';

const events = [
  storedEvent(1, {
    actor: { id: 'u-1', type: 'user', email: 'ana@example.com' },
    description: `Role changed from "Admin" to Agent\nsecond line ${AWKWARD}`,
  }),
  storedEvent(2, {
    action: 'user.login',
    category: 'auth',
    occurred_at: '2025-03-04T05:06:07.5Z',
    context: { note: AWKWARD },
  }),
  storedEvent(3, { action: 'user.delete', outcome: 'failure', target: { type: 'user', id: 'ü-3' } }),
];

const batchOf = (over: Partial<OutBatch> = {}) =>
  nativeBatch(events, { id: `dlv ${AWKWARD}`, stream: `str_${AWKWARD}`, checkpoint: CHECKPOINT, ...over });

const withoutBom = (msg: string) => {
  assert.ok(msg.startsWith('\uFEFF'), 'MSG starts with a BOM');
  return msg.slice(1);
};
const sdOf = (m: Received) => m['$!']['rfc5424-sd']?.['trailkeep@32473'];

async function send(settings: Parameters<typeof syslog.open>[0], batch: OutBatch, net = context.net) {
  const d = syslog.open(settings, { ...context, net });
  try {
    return await d.send(batch, never);
  } finally {
    await d.close();
  }
}

/** Waits for `n` messages at the receiver: it writes them after the connection closed. */
const arrived = (r: Rsyslog, n: number) =>
  until(() => (r.received().length >= n ? r.received() : null), 10_000, { what: `${n} messages at rsyslog` });

/** Every record and the checkpoint, as the receiver parsed them, against the batch they came from. */
function assertBatchArrived(got: Received[], batch: OutBatch, hostname: string, pri: string, app: string) {
  assert.equal(got.length, batch.records.length + 1, 'one message per record, and the checkpoint');
  batch.records.forEach((r, i) => {
    const m = got[i] as Received;
    assert.equal(m.msgid, 'audit');
    assert.equal(m.pri, pri);
    assert.equal(m.hostname, hostname);
    assert.equal(m['app-name'], app);
    assert.equal(m.procid, '-');
    assert.equal(Date.parse(m.timereported), Date.parse(r.occurredAt), 'TIMESTAMP is occurred_at');
    assert.deepEqual(JSON.parse(withoutBom(m.msg)), r.record, 'MSG is the record JSON');
    assert.deepEqual(sdOf(m), {
      tenant: batch.tenant,
      stream: batch.stream,
      seq: String(r.seq),
      hash: r.record.hash,
      delivery: batch.id,
    });
  });
  const cp = got.at(-1) as Received;
  assert.equal(cp.msgid, 'checkpoint');
  assert.equal(withoutBom(cp.msg), batch.checkpoint, 'the signed note, newlines and all');
  assert.deepEqual(sdOf(cp), {
    tenant: batch.tenant,
    stream: batch.stream,
    from_seq: String(batch.fromSeq),
    to_seq: String(batch.toSeq),
    delivery: batch.id,
  });
  assert.equal(Date.parse(cp.timereported), batch.createdAt);
}

describe('syslog destination: TCP to rsyslog', () => {
  let r: Rsyslog;
  before(async () => {
    r = await startRsyslog();
  });
  after(async () => {
    await r?.stop();
  });

  it('sends each record as its own RFC 5424 message, escaped values intact, then the checkpoint', async () => {
    const batch = batchOf();
    const outcome = await send({ host: '127.0.0.1', port: r.port, tls: false }, batch);
    assert.deepEqual(outcome, { kind: 'accepted' });
    // Accepted means rsyslog closed the connection after reading it all: the messages are there.
    assertBatchArrived(await arrived(r, 4), batch, 'test-node', String(13 * 8 + 6), 'trailkeep');
    assert.equal(r.received().length, 4);
  });

  it('takes the facility, APP-NAME and HOSTNAME from the settings', async () => {
    const start = r.received().length;
    const batch = batchOf({ id: 'dlv_settings', checkpoint: null });
    const settings = {
      host: '127.0.0.1',
      port: r.port,
      tls: false,
      facility: 10,
      app_name: 'tk-audit',
      hostname: 'audit.example',
    };
    assert.deepEqual(await send(settings, batch), { kind: 'accepted' });
    const got = (await arrived(r, start + 3)).slice(start);
    assert.deepEqual(
      got.map((m) => [m.pri, m['app-name'], m.hostname, m.msgid]),
      [1, 2, 3].map(() => [String(10 * 8 + 6), 'tk-audit', 'audit.example', 'audit']),
      'no checkpoint message when the batch has none',
    );
  });

  it('a batch of a thousand records arrives whole, one message each', async () => {
    const start = r.received().length;
    const many = Array.from({ length: 1000 }, (_, i) =>
      storedEvent(100 + i, { description: `event ${i}\n${'x'.repeat(i)}` }),
    );
    const batch = nativeBatch(many, { id: 'dlv_many', checkpoint: CHECKPOINT });
    assert.deepEqual(await send({ host: '127.0.0.1', port: r.port, tls: false }, batch), {
      kind: 'accepted',
    });
    const got = (await arrived(r, start + 1001)).slice(start);
    assert.deepEqual(
      got.slice(0, -1).map((m) => JSON.parse(withoutBom(m.msg)).seq),
      many.map((e) => e.seq),
    );
    assert.equal(got.at(-1)?.msgid, 'checkpoint');
  });

  it('a loopback host is refused by validate, and never reached, unless private addresses are allowed', async () => {
    const strict = new SafeNet(false);
    const start = r.received().length;
    assert.throws(() => syslog.validate?.({ host: '127.0.0.1', port: r.port }, strict), /host/);
    assert.throws(() => syslog.validate?.({ host: '::1', port: r.port }, strict), /host/);
    syslog.validate?.({ host: 'siem.example.com', port: 6514 }, strict);
    syslog.validate?.({ host: '127.0.0.1', port: r.port }, new SafeNet(true));

    const literal = await send({ host: '127.0.0.1', port: r.port, tls: false }, batchOf(), strict);
    assert.equal(literal.kind, 'retry');
    assert.match((literal as { error: string }).error, /loopback/);
    const named = await send({ host: 'localhost', port: r.port, tls: false }, batchOf(), strict);
    assert.equal(named.kind, 'retry');
    assert.match((named as { error: string }).error, /loopback/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(r.received().length, start, 'rsyslog received nothing');
  });
});

describe('syslog destination: TLS to rsyslog', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCerts>;
  let r: Rsyslog;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tk-syslog-tls-'));
    certs = makeCerts(dir);
    r = await startRsyslog(certs);
  });
  after(async () => {
    await r?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers over TLS to a server whose certificate the given CA signed', async () => {
    const batch = batchOf({ id: 'dlv_tls' });
    const ca = readFileSync(certs.ca, 'utf8');
    syslog.validate?.({ host: 'localhost', port: r.port, ca }, context.net);
    // By name (SNI and the DNS name checked) and by address (the IP name checked).
    assert.deepEqual(await send({ host: '127.0.0.1', port: r.port, ca }, batch), { kind: 'accepted' });
    assertBatchArrived(await arrived(r, 4), batch, 'test-node', '110', 'trailkeep');
    assert.deepEqual(await send({ host: 'localhost', port: r.port, tls: true, ca }, batch), {
      kind: 'accepted',
    });
    await arrived(r, 8);
  });

  it('a certificate the CA did not sign, or no private CA given, is refused; nothing arrives', async () => {
    const start = r.received().length;
    const wrong = await send(
      { host: '127.0.0.1', port: r.port, ca: readFileSync(certs.otherCa, 'utf8') },
      batchOf(),
    );
    assert.equal(wrong.kind, 'refused', JSON.stringify(wrong));
    assert.match((wrong as { error: string }).error, /certificate/);
    const system = await send({ host: '127.0.0.1', port: r.port }, batchOf());
    assert.equal(system.kind, 'refused', JSON.stringify(system));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(r.received().length, start);
  });

  it('validate refuses a ca that is not PEM, and a ca without TLS', () => {
    assert.throws(
      () => syslog.validate?.({ host: 'siem.example.com', port: 6514, ca: 'not a pem' }, context.net),
      /ca/,
    );
    const ca = readFileSync(certs.ca, 'utf8');
    assert.throws(
      () => syslog.validate?.({ host: 'siem.example.com', port: 514, tls: false, ca }, context.net),
      /ca/,
    );
  });
});

describe('syslog destination: failures of the connection', () => {
  it('an aborted attempt is a retry', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const d = syslog.open({ host: '127.0.0.1', port, tls: false }, context);
      const outcome = await d.send(batchOf(), AbortSignal.abort());
      await d.close();
      assert.equal(outcome.kind, 'retry');
      assert.match((outcome as { error: string }).error, /aborted/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a closed port is a retry', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const outcome = await send({ host: '127.0.0.1', port, tls: false }, batchOf());
    assert.equal(outcome.kind, 'retry');
    assert.match((outcome as { error: string }).error, /ECONNREFUSED/);
  });

  it('bytes that left for the receiver are not enough: a receiver that resets before closing is a retry', async () => {
    // The batch fits in the sockets' buffers, so it is written out at once; the receiver
    // never reads it and resets the connection a moment later, as a crashing receiver would.
    const server = createServer((socket) => {
      setTimeout(() => socket.resetAndDestroy(), 300);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const outcome = await send({ host: '127.0.0.1', port, tls: false }, batchOf());
      assert.equal(outcome.kind, 'retry', JSON.stringify(outcome));
      assert.match((outcome as { error: string }).error, /ECONNRESET/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
