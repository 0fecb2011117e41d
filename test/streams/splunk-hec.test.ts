import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Logger } from 'splunk-logging';
import {
  channelOf,
  HEC_CHECKPOINT_SOURCETYPE,
  HEC_DEFAULT_SOURCETYPE,
  splunkHec,
} from '../../src/services/streams/destinations/splunk-hec.js';
import type { OutBatch, SendOutcome } from '../../src/services/streams/destinations/types.js';
import { SafeNet } from '../../src/services/streams/net.js';
import { HttpRecorder, type Recorded, textOf } from '../helpers/http-recorder.js';
import { CHECKPOINT, nativeBatch, refusedSetting, storedEvent } from '../helpers/stream-batches.js';
import { within } from '../helpers/wait.js';

/**
 * The Splunk HEC destination against a recorder on loopback: what it sends beside what Splunk's
 * own Node client (splunk-logging) sends for the same event, the checkpoint event, indexer
 * acknowledgement, and how HEC's answers become outcomes.
 */

const TOKEN = '11111111-2222-3333-4444-555555555555';
const SUCCESS = JSON.stringify({ text: 'Success', code: 0 });

/** The HEC events of a body: JSON objects one after another. */
const eventsOf = (r: Recorded): Record<string, unknown>[] =>
  textOf(r)
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** What splunk-logging puts on the wire for one event, sent and flushed at once (maxBatchCount 1). */
function sendWithSplunkLogging(
  url: string,
  message: unknown,
  metadata: { time: number; host: string; source: string; sourcetype: string; index: string },
  rawEvent: boolean,
): Promise<void> {
  const logger = new Logger({ token: TOKEN, url });
  // By default it wraps the message as {message, severity}; a formatter returning the message sends it as the event.
  if (rawEvent) logger.eventFormatter = (m: unknown) => m;
  logger.error = (err) => {
    throw err;
  };
  return new Promise((resolve, reject) =>
    logger.send({ message, metadata }, (err) => (err ? reject(err) : resolve())),
  );
}

describe('Splunk HEC destination', () => {
  let recorder: HttpRecorder;
  const net = new SafeNet(true);
  const context = { net, hostname: 'test', clock: Date.now };
  const settings = (extra: Record<string, unknown> = {}) => ({ url: recorder.url, token: TOKEN, ...extra });
  const send = (
    batch: OutBatch,
    extra: Record<string, unknown> = {},
    signal = new AbortController().signal,
  ) => splunkHec.open(settings(extra), context).send(batch, signal);

  before(async () => {
    recorder = await HttpRecorder.start();
  });
  afterEach(() => recorder.reset());
  after(async () => {
    await recorder.close();
    await net.close();
  });

  it('sends what splunk-logging sends for the same event, envelope member by member', async () => {
    recorder.answer = () => ({ status: 200, body: SUCCESS });
    const batch = nativeBatch([storedEvent(3)], { checkpoint: null });
    const record = batch.records[0];
    assert.ok(record);
    const meta = { host: 'test', source: 'trailkeep', sourcetype: 'trailkeep:audit', index: 'audit' };

    await within(
      sendWithSplunkLogging(
        recorder.url,
        record.record,
        { ...meta, time: Date.parse(record.occurredAt) },
        true,
      ),
      10_000,
      'splunk-logging to send',
    );
    assert.deepEqual(await send(batch, { index: 'audit', source: 'trailkeep' }), { kind: 'accepted' });
    const [theirs, ours] = recorder.requests;
    assert.ok(theirs && ours);

    assert.equal(ours.method, theirs.method);
    assert.equal(theirs.method, 'POST');
    // HEC serves the same JSON event protocol on both paths; splunk-logging uses the versioned alias.
    assert.equal(theirs.path, '/services/collector/event/1.0');
    assert.equal(ours.path, '/services/collector/event');
    assert.equal(ours.headers.authorization, theirs.headers.authorization);
    assert.equal(ours.headers.authorization, `Splunk ${TOKEN}`);
    // splunk-logging labels its JSON as a form (HEC reads the body whatever the type); we say what it is.
    assert.equal(theirs.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(ours.headers['content-type'], 'application/json');
    // Only we name a request channel: a token with acknowledgement on requires one.
    assert.equal(theirs.headers['x-splunk-request-channel'], undefined);
    assert.equal(ours.headers['x-splunk-request-channel'], channelOf('str_1'));

    const [t, extra] = eventsOf(theirs);
    const [o, more] = eventsOf(ours);
    assert.ok(t && o);
    assert.equal(extra, undefined);
    assert.equal(more, undefined, 'no checkpoint event when the batch has no checkpoint');
    assert.deepEqual(Object.keys(o).sort(), Object.keys(t).sort());
    // splunk-logging writes the time as a string with three decimals; we write the number, the same instant.
    assert.equal(typeof t.time, 'string');
    assert.equal(typeof o.time, 'number');
    assert.equal(o.time, Number(t.time));
    assert.equal(o.time, Date.parse(record.occurredAt) / 1000);
    for (const member of ['host', 'source', 'sourcetype', 'index'] as const)
      assert.equal(o[member], t[member], member);
    assert.deepEqual(o.event, t.event);
    assert.deepEqual(o.event, record.record);
  });

  it('differs from splunk-logging’s default formatter only in that one wraps the record as {message, severity}', async () => {
    recorder.answer = () => ({ status: 200, body: SUCCESS });
    const batch = nativeBatch([storedEvent(4)], { checkpoint: null });
    const record = batch.records[0];
    assert.ok(record);
    const meta = { host: 'test', source: 's', sourcetype: 'trailkeep:audit', index: 'main' };
    await within(
      sendWithSplunkLogging(
        recorder.url,
        record.record,
        { ...meta, time: Date.parse(record.occurredAt) },
        false,
      ),
      10_000,
      'splunk-logging to send',
    );
    assert.deepEqual(await send(batch, { index: 'main', source: 's' }), { kind: 'accepted' });
    const [theirs, ours] = recorder.requests.map((r) => eventsOf(r)[0]);
    assert.ok(theirs && ours);
    assert.deepEqual(theirs.event, { message: record.record, severity: 'info' });
    assert.deepEqual(ours.event, (theirs.event as { message: unknown }).message);
  });

  it('sends a batch as one event per record in order, then the checkpoint as an event of its own sourcetype', async () => {
    recorder.answer = () => ({ status: 200, body: SUCCESS });
    const batch = nativeBatch([storedEvent(5), storedEvent(6)]);
    assert.deepEqual(await send(batch), { kind: 'accepted' });
    const [req] = recorder.requests;
    assert.ok(req);
    assert.equal(recorder.requests.length, 1);
    const events = eventsOf(req);
    assert.equal(events.length, 3);
    for (const [i, r] of batch.records.entries()) {
      const e = events[i];
      assert.deepEqual(e?.event, r.record);
      assert.equal(e?.time, Date.parse(r.occurredAt) / 1000);
      assert.equal(e?.sourcetype, HEC_DEFAULT_SOURCETYPE);
      assert.equal(e?.host, 'test', 'the node’s host name when the settings name none');
      assert.ok(!('index' in (e ?? {})) && !('source' in (e ?? {})), 'the token’s defaults when unset');
    }
    assert.deepEqual(events[2], {
      time: batch.createdAt / 1000,
      host: 'test',
      sourcetype: HEC_CHECKPOINT_SOURCETYPE,
      event: { tenant: 'acme', stream: 'str_1', from_seq: 5, to_seq: 6, checkpoint: CHECKPOINT },
    });
  });

  it('uses the channel the settings name, else one derived from the stream that every node derives alike', async () => {
    const channel = 'A1B2C3D4-0000-4000-8000-0123456789AB';
    await send(nativeBatch([storedEvent(1)]), { channel });
    await send(nativeBatch([storedEvent(1)]));
    await send({ ...nativeBatch([storedEvent(1)]), stream: 'str_2' });
    const [named, derived, other] = recorder.requests.map((r) => r.headers['x-splunk-request-channel']);
    assert.equal(named, channel);
    assert.equal(derived, channelOf('str_1'));
    assert.match(String(derived), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(other, derived);
  });

  it('with acknowledgement, counts a batch delivered only once Splunk says its ackId is indexed', async () => {
    recorder.answer = (r, n) => {
      if (r.path.startsWith('/services/collector/event'))
        return { status: 200, body: JSON.stringify({ text: 'Success', code: 0, ackId: 7 }) };
      // The first poll: not yet indexed; the second: indexed.
      return { status: 200, body: JSON.stringify({ acks: { 7: n >= 3 } }) };
    };
    const outcome = await within(
      send(nativeBatch([storedEvent(8)]), { acknowledgement: true }),
      20_000,
      'the acknowledged send',
    );
    assert.deepEqual(outcome, { kind: 'accepted' });
    const [event, poll1, poll2, extra] = recorder.requests;
    assert.ok(event && poll1 && poll2);
    assert.equal(extra, undefined, 'no poll after the ack');
    for (const poll of [poll1, poll2]) {
      assert.equal(poll.method, 'POST');
      assert.equal(poll.path, '/services/collector/ack');
      assert.deepEqual(JSON.parse(textOf(poll)), { acks: [7] });
      assert.equal(poll.headers.authorization, `Splunk ${TOKEN}`);
      assert.equal(poll.headers['x-splunk-request-channel'], event.headers['x-splunk-request-channel']);
    }
  });

  it('with acknowledgement, is a retry when Splunk has not acknowledged before the attempt stops', async () => {
    recorder.answer = (r) =>
      r.path.startsWith('/services/collector/event')
        ? { status: 200, body: JSON.stringify({ text: 'Success', code: 0, ackId: 1 }) }
        : { status: 200, body: JSON.stringify({ acks: { 1: false } }) };
    const outcome = await within(
      send(nativeBatch([storedEvent(9)]), { acknowledgement: true }, AbortSignal.timeout(1_200)),
      10_000,
      'the unacknowledged send',
    );
    assert.equal(outcome.kind, 'retry');
    assert.match((outcome as { error: string }).error, /did not acknowledge/);
    assert.ok(recorder.requests.length >= 2, 'it polled before giving up');
  });

  it('without acknowledgement, takes the event answer as delivered and polls nothing', async () => {
    recorder.answer = () => ({ status: 200, body: JSON.stringify({ text: 'Success', code: 0, ackId: 3 }) });
    assert.deepEqual(await send(nativeBatch([storedEvent(10)])), { kind: 'accepted' });
    assert.equal(recorder.requests.length, 1);
  });

  describe('HEC answers as outcomes', () => {
    const cases: [string, number, object, Record<string, string>, SendOutcome['kind'], number?][] = [
      ['token required', 401, { text: 'Token is required', code: 2 }, {}, 'refused'],
      ['invalid authorization', 401, { text: 'Invalid authorization', code: 3 }, {}, 'refused'],
      ['token disabled', 403, { text: 'Token disabled', code: 1 }, {}, 'refused'],
      ['invalid token', 403, { text: 'Invalid token', code: 4 }, {}, 'refused'],
      ['malformed data', 400, { text: 'Invalid data format', code: 6 }, {}, 'rejected'],
      ['event field blank', 400, { text: 'Event field cannot be blank', code: 13 }, {}, 'rejected'],
      ['index not allowed for the token', 400, { text: 'Incorrect index', code: 7 }, {}, 'refused'],
      ['channel missing', 400, { text: 'Data channel is missing', code: 10 }, {}, 'refused'],
      ['ack disabled', 400, { text: 'ACK is disabled', code: 14 }, {}, 'refused'],
      ['over max_content_length', 413, { text: 'Request entity too large' }, {}, 'rejected'],
      ['internal error', 500, { text: 'Internal server error', code: 8 }, {}, 'retry'],
      ['server busy', 503, { text: 'Server is busy', code: 9 }, { 'retry-after': '7' }, 'retry', 7_000],
    ];
    for (const [what, status, body, headers, kind, retryAfterMs] of cases) {
      it(`${status} ${what} → ${kind}`, async () => {
        recorder.answer = () => ({ status, headers, body: JSON.stringify(body) });
        const outcome = await send(nativeBatch([storedEvent(11)]), { acknowledgement: true });
        assert.equal(outcome.kind, kind);
        if (outcome.kind !== 'accepted')
          assert.match(outcome.error, new RegExp((body as { text: string }).text));
        assert.equal((outcome as { retryAfterMs?: number }).retryAfterMs, retryAfterMs);
        assert.equal(recorder.requests.length, 1, 'no ack poll after a failed send');
      });
    }

    it('a receiver that is not listening → retry', async () => {
      const gone = await HttpRecorder.start();
      await gone.close();
      const outcome = await splunkHec
        .open({ url: gone.url, token: TOKEN }, context)
        .send(nativeBatch([storedEvent(12)]), new AbortController().signal);
      assert.equal(outcome.kind, 'retry');
    });
  });

  describe('validate', () => {
    it('refuses a loopback URL unless private addresses are allowed', async () => {
      const strict = new SafeNet(false);
      try {
        refusedSetting(() => splunkHec.validate?.(settings(), strict), 'url');
        refusedSetting(
          () => splunkHec.validate?.({ url: 'https://10.0.0.8:8088', token: TOKEN }, strict),
          'url',
        );
        assert.doesNotThrow(() =>
          splunkHec.validate?.({ url: 'https://splunk.example.com:8088', token: TOKEN }, strict),
        );
        assert.doesNotThrow(() => splunkHec.validate?.(settings(), net));
      } finally {
        await strict.close();
      }
    });

    it('takes the HEC base URL, not an endpoint under it', () => {
      for (const path of [
        '/services/collector',
        '/services/collector/event',
        '/services/collector/event/1.0',
      ])
        refusedSetting(
          () => splunkHec.validate?.(settings({ url: `https://splunk.example.com:8088${path}` }), net),
          'url',
        );
      assert.doesNotThrow(() =>
        splunkHec.validate?.(settings({ url: 'https://proxy.example.com/splunk/' }), net),
      );
    });
  });
});
