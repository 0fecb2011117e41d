import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { client, v2 } from '@datadog/datadog-api-client';
import {
  DD_CHECKPOINT_TAG,
  DD_MAX_ITEMS,
  datadog,
  intakeUrl,
} from '../../src/services/streams/destinations/datadog.js';
import type { OutBatch, SendOutcome } from '../../src/services/streams/destinations/types.js';
import { SafeNet } from '../../src/services/streams/net.js';
import { HttpRecorder, type Recorded, textOf } from '../helpers/http-recorder.js';
import { CHECKPOINT, nativeBatch, refusedSetting, storedEvent } from '../helpers/stream-batches.js';
import { within } from '../helpers/wait.js';

/**
 * The Datadog logs destination against a recorder on loopback: what it sends beside what
 * Datadog's official client (`v2.LogsApi.submitLog`) sends for the same log, the checkpoint
 * log, the intake's limits, and how its answers become outcomes.
 */

const API_KEY = '0123456789abcdef0123456789abcdef';
const ACCEPTED = { status: 202, body: '{}' };

type Item = Record<string, unknown>;
const itemsOf = (r: Recorded): Item[] => JSON.parse(textOf(r)) as Item[];

describe('Datadog logs destination', () => {
  let recorder: HttpRecorder;
  const net = new SafeNet(true);
  const context = { net, hostname: 'test', clock: Date.now };
  const settings = (extra: Record<string, unknown> = {}) => ({
    url: recorder.url,
    api_key: API_KEY,
    ...extra,
  });
  const send = (batch: OutBatch, extra: Record<string, unknown> = {}) =>
    datadog.open(settings(extra), context).send(batch, new AbortController().signal);

  before(async () => {
    recorder = await HttpRecorder.start();
  });
  afterEach(() => recorder.reset());
  after(async () => {
    await recorder.close();
    await net.close();
  });

  it('sends what the official client sends for the same log, member by member', async () => {
    recorder.answer = () => ACCEPTED;
    const batch = nativeBatch([storedEvent(3)], { checkpoint: null });
    const record = batch.records[0];
    assert.ok(record);
    const tags = 'env:prod,team:security';

    const configuration = client.createConfiguration({
      authMethods: { apiKeyAuth: API_KEY },
      baseServer: new client.BaseServerConfiguration(recorder.url, {}),
    });
    await within(
      new v2.LogsApi(configuration).submitLog({
        body: [
          {
            ddsource: 'trailkeep',
            ddtags: tags,
            hostname: 'test',
            service: 'trailkeep',
            message: record.json,
          },
        ],
        contentEncoding: 'gzip',
      }),
      10_000,
      'the official client to send',
    );
    assert.deepEqual(await send(batch, { tags }), { kind: 'accepted' });
    const [theirs, ours] = recorder.requests;
    assert.ok(theirs && ours);

    assert.equal(ours.method, theirs.method);
    assert.equal(ours.path, theirs.path);
    assert.equal(ours.path, '/api/v2/logs');
    assert.equal(ours.headers['dd-api-key'], theirs.headers['dd-api-key']);
    assert.equal(ours.headers['dd-api-key'], API_KEY);
    assert.equal(ours.headers['content-type'], theirs.headers['content-type']);
    assert.equal(ours.headers['content-type'], 'application/json');
    assert.equal(ours.headers['content-encoding'], theirs.headers['content-encoding']);
    assert.equal(ours.headers['content-encoding'], 'gzip');
    // Where they legitimately differ: the client asks for a JSON, compressed answer and names itself.
    assert.equal(theirs.headers.accept, 'application/json');
    assert.match(String(theirs.headers['user-agent']), /datadog-api-client-typescript/);
    assert.equal(ours.headers['user-agent'], 'Trailkeep');

    const [t, ...moreTheirs] = itemsOf(theirs);
    const [o, ...moreOurs] = itemsOf(ours);
    assert.ok(t && o);
    assert.deepEqual(
      [moreTheirs.length, moreOurs.length],
      [0, 0],
      'one log each: no checkpoint, none to carry',
    );
    assert.deepEqual(Object.keys(o).sort(), Object.keys(t).sort());
    for (const member of ['ddsource', 'ddtags', 'hostname', 'service', 'message'])
      assert.equal(o[member], t[member], member);
    assert.deepEqual(JSON.parse(String(o.message)), record.record, 'the message is the record’s JSON text');
  });

  it('sends one log per record in order, then the checkpoint as a log tagged as one', async () => {
    recorder.answer = () => ACCEPTED;
    const batch = nativeBatch([storedEvent(5), storedEvent(6)]);
    assert.deepEqual(await send(batch, { service: 'audit', source: 'trailkeep-audit' }), {
      kind: 'accepted',
    });
    assert.equal(recorder.requests.length, 1);
    const [req] = recorder.requests;
    assert.ok(req);
    const items = itemsOf(req);
    assert.equal(items.length, 3);
    for (const [i, r] of batch.records.entries())
      assert.deepEqual(items[i], {
        ddsource: 'trailkeep-audit',
        hostname: 'test',
        service: 'audit',
        message: r.json,
      });
    const last = items[2];
    assert.equal(last?.ddtags, DD_CHECKPOINT_TAG);
    assert.deepEqual(JSON.parse(String(last?.message)), {
      type: 'trailkeep.checkpoint',
      tenant: 'acme',
      stream: 'str_1',
      from_seq: 5,
      to_seq: 6,
      checkpoint: CHECKPOINT,
    });
  });

  it('adds the checkpoint tag to the stream’s tags, and the defaults are trailkeep', async () => {
    await send(nativeBatch([storedEvent(7)]), { tags: 'env:prod' });
    const [req] = recorder.requests;
    assert.ok(req);
    const [record, checkpoint] = itemsOf(req);
    assert.equal(record?.ddtags, 'env:prod');
    assert.equal(checkpoint?.ddtags, `env:prod,${DD_CHECKPOINT_TAG}`);
    assert.equal(record?.service, 'trailkeep');
    assert.equal(record?.ddsource, 'trailkeep');
  });

  it('posts to the intake of the site, the same URL the official client builds for it', () => {
    for (const site of [
      'datadoghq.com',
      'datadoghq.eu',
      'us3.datadoghq.com',
      'ap1.datadoghq.com',
      'ddog-gov.com',
    ]) {
      const configuration = client.createConfiguration();
      configuration.setServerVariables({ site });
      const theirs = configuration
        .getServer('v2.LogsApi.submitLog')
        .makeRequestContext('/api/v2/logs', client.HttpMethod.POST)
        .getUrl();
      assert.equal(intakeUrl({ site }), theirs, site);
    }
    assert.equal(intakeUrl({}), 'https://http-intake.logs.datadoghq.com/api/v2/logs');
    assert.equal(
      intakeUrl({ url: 'https://proxy.example.com/dd/' }),
      'https://proxy.example.com/dd/api/v2/logs',
    );
  });

  describe('the intake’s limits', () => {
    it('caps a stream’s batches so that they and their checkpoint fit one request', () => {
      assert.ok(datadog.limits?.max_events !== undefined);
      assert.equal(datadog.limits.max_events + 1, DD_MAX_ITEMS);
      assert.ok((datadog.limits.max_bytes ?? Number.POSITIVE_INFINITY) < 5_000_000);
    });

    it('sends a full batch as one request of 1000 logs', async () => {
      recorder.answer = () => ACCEPTED;
      const events = Array.from({ length: datadog.limits?.max_events ?? 0 }, (_, i) => storedEvent(i + 1));
      assert.deepEqual(await send(nativeBatch(events)), { kind: 'accepted' });
      const [req] = recorder.requests;
      assert.ok(req);
      assert.equal(itemsOf(req).length, DD_MAX_ITEMS);
    });

    it('rejects a batch of 1001 records without sending it (the worker splits it)', async () => {
      const events = Array.from({ length: 1001 }, (_, i) => storedEvent(i + 1));
      const outcome = await send(nativeBatch(events, { checkpoint: null }));
      assert.equal(outcome.kind, 'rejected');
      assert.match((outcome as { error: string }).error, /1000 per request/);
      assert.equal(recorder.requests.length, 0);
    });

    it('rejects a record over 1 MB without sending it: the intake would truncate it', async () => {
      const big = storedEvent(9, { description: 'x'.repeat(1_100_000) });
      const outcome = await send(nativeBatch([big]));
      assert.equal(outcome.kind, 'rejected');
      assert.match((outcome as { error: string }).error, /seq 9 .*1 MB/);
      assert.equal(recorder.requests.length, 0);
      // Just under the limit, it goes.
      assert.deepEqual(await send(nativeBatch([storedEvent(9, { description: 'x'.repeat(900_000) })])), {
        kind: 'accepted',
      });
    });
  });

  describe('intake answers as outcomes', () => {
    const cases: [number, Record<string, string>, SendOutcome['kind'], number?][] = [
      [400, {}, 'rejected'],
      [413, {}, 'rejected'],
      [401, {}, 'refused'],
      [403, {}, 'refused'],
      [408, {}, 'retry'],
      [429, { 'retry-after': '3' }, 'retry', 3_000],
      [500, {}, 'retry'],
      [503, {}, 'retry'],
    ];
    for (const [status, headers, kind, retryAfterMs] of cases) {
      it(`${status} → ${kind}${retryAfterMs ? ` after ${retryAfterMs} ms` : ''}`, async () => {
        recorder.answer = () => ({ status, headers, body: JSON.stringify({ errors: [`status ${status}`] }) });
        const outcome = await send(nativeBatch([storedEvent(11)]));
        assert.equal(outcome.kind, kind);
        if (outcome.kind !== 'accepted') assert.match(outcome.error, new RegExp(`HTTP ${status}`));
        assert.equal((outcome as { retryAfterMs?: number }).retryAfterMs, retryAfterMs);
      });
    }
  });

  describe('validate', () => {
    it('refuses a loopback URL unless private addresses are allowed', async () => {
      const strict = new SafeNet(false);
      try {
        refusedSetting(() => datadog.validate?.(settings(), strict), 'url');
        assert.doesNotThrow(() => datadog.validate?.({ site: 'datadoghq.eu', api_key: API_KEY }, strict));
        assert.doesNotThrow(() => datadog.validate?.(settings(), net));
      } finally {
        await strict.close();
      }
    });

    it('takes a site or a URL, not both', () => {
      refusedSetting(() => datadog.validate?.(settings({ site: 'datadoghq.com' }), net), 'url');
    });
  });
});
