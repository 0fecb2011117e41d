import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { s3 } from '../../src/services/streams/destinations/s3.js';
import { objectKey } from '../../src/services/streams/destinations/s3-layout.js';
import type { OutBatch } from '../../src/services/streams/destinations/types.js';
import { SafeNet } from '../../src/services/streams/net.js';
import { S3RVER_KEY, startS3rver } from '../helpers/s3rver.js';
import { nativeBatch, storedEvent } from '../helpers/stream-batches.js';

/**
 * The S3 destination against a real S3 API (s3rver on loopback, which checks signatures), read
 * back with the AWS SDK; and against a plain HTTP server answering S3's error documents, for the
 * answers s3rver never gives (throttling, a too large entity, a server error).
 */

const BUCKET = 'audit-bucket';
const CHECKPOINT =
  'trailkeep.example/acme\n3\nq83vEjRWeJBVkkK8FXF2Yyd8ys4yf6qPsbzRxaZ4yCQ=\n\n— trailkeep.example AAAA\n';
const context = { net: new SafeNet(true), hostname: 'test', clock: Date.now };
const never = new AbortController().signal;

const events = [
  storedEvent(1, {
    actor: { id: 'u-1', type: 'user', email: 'ana@example.com' },
    target: { type: 'user', id: 'u-2' },
    description: 'Role changed from "Admin" to Agent\nline two',
  }),
  storedEvent(2, { action: 'user.login', category: 'auth', source: { ip: ['203.0.113.9'] } }),
  storedEvent(3, { action: 'user.delete', outcome: 'failure', context: { reason: 'a\\b]c' } }),
];

describe('s3 destination: against s3rver', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof startS3rver>>;
  let reader: S3Client;

  const settings = (over: Record<string, unknown> = {}) => ({
    bucket: BUCKET,
    prefix: '/trailkeep/audit/',
    endpoint: server.endpoint,
    path_style: true,
    ...S3RVER_KEY,
    ...over,
  });

  const send = async (batch: OutBatch, over: Record<string, unknown> = {}) => {
    const d = s3.open(settings(over) as Parameters<typeof s3.open>[0], context);
    try {
      return await d.send(batch, never);
    } finally {
      await d.close();
    }
  };
  const get = async (key: string) => {
    const res = await reader.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return {
      bytes: Buffer.from(await (res.Body?.transformToByteArray() ?? new Uint8Array())),
      etag: res.ETag,
    };
  };
  const keys = async () =>
    ((await reader.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? [])
      .map((o) => o.Key)
      .sort();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tk-s3-'));
    server = await startS3rver(dir, [BUCKET]);
    reader = new S3Client({
      region: 'us-east-1',
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: S3RVER_KEY.access_key_id, secretAccessKey: S3RVER_KEY.secret_access_key },
    });
  });
  after(async () => {
    reader.destroy();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the batch as NDJSON at its key, then a manifest that describes it', async () => {
    const batch = nativeBatch(events, { id: 'dlv_first', stream: 'str_a', checkpoint: CHECKPOINT });
    assert.deepEqual(await send(batch), { kind: 'accepted' });

    const key = 'trailkeep/audit/acme/2025/03/14/str_a/00000000000000000001-00000000000000000003.ndjson';
    const data = await get(key);
    const lines = data.bytes.toString('utf8').split('\n');
    assert.equal(lines.pop(), '', 'every record line ends with a newline');
    assert.deepEqual(
      lines.map((l) => JSON.parse(l)),
      events,
      'each line is a record: the stored event in the native format',
    );

    const manifest = JSON.parse((await get(`${key}.manifest.json`)).bytes.toString('utf8'));
    assert.deepEqual(manifest, {
      kind: 'trailkeep.manifest',
      tenant: 'acme',
      stream: 'str_a',
      delivery_id: 'dlv_first',
      format: 'native',
      from_seq: 1,
      to_seq: 3,
      events: 3,
      sha256: createHash('sha256').update(data.bytes).digest('hex'),
      key,
      created_at: '2025-03-14T09:30:00.250Z',
      checkpoint: CHECKPOINT,
    });
    assert.deepEqual(Object.keys(manifest), [
      'kind',
      'tenant',
      'stream',
      'delivery_id',
      'format',
      'from_seq',
      'to_seq',
      'events',
      'sha256',
      'key',
      'created_at',
      'checkpoint',
    ]);
  });

  it('a resend of the same batch overwrites the same objects with the same bytes', async () => {
    const batch = nativeBatch(events.slice(0, 2), { id: 'dlv_again', stream: 'str_b' });
    assert.deepEqual(await send(batch), { kind: 'accepted' });
    const before = await keys();
    const key = objectKey('trailkeep/audit', batch);
    const first = [await get(key), await get(`${key}.manifest.json`)];

    assert.deepEqual(await send(batch), { kind: 'accepted' });
    assert.deepEqual(await keys(), before, 'no object was added');
    const second = [await get(key), await get(`${key}.manifest.json`)];
    assert.deepEqual(second, first, 'same bytes and ETags');
    assert.ok(before.includes(key) && before.includes(`${key}.manifest.json`));
  });

  it('keys sort by seq and follow the batch’s creation day in UTC, without a prefix too', async () => {
    const late = Date.parse('2025-12-31T23:59:59.999Z');
    const batch = nativeBatch([storedEvent(1234567, {})], { stream: 'str_c', createdAt: late });
    assert.deepEqual(await send(batch, { prefix: undefined }), { kind: 'accepted' });
    const key = 'acme/2025/12/31/str_c/00000000000001234567-00000000000001234567.ndjson';
    assert.ok((await keys()).includes(key), `${key} in ${(await keys()).join(', ')}`);
  });

  // s3rver checks that the access key exists but not SigV4 signatures, so a wrong secret is
  // tested against the fake below (its SignatureDoesNotMatch answer), not here.
  it('a wrong access key and a missing bucket are refused, and nothing is written', async () => {
    const before = await keys();
    const batch = nativeBatch(events, { stream: 'str_refused' });
    const wrongKey = await send(batch, { access_key_id: 'NOT-A-KEY' });
    assert.equal(wrongKey.kind, 'refused');
    assert.match((wrongKey as { error: string }).error, /InvalidAccessKeyId/);
    const noBucket = await send(batch, { bucket: 'no-such-bucket' });
    assert.equal(noBucket.kind, 'refused');
    assert.match((noBucket as { error: string }).error, /NoSuchBucket/);
    assert.deepEqual(await keys(), before);
  });
});

/** What a fake S3 received: each PUT's path, its Content-MD5 and the MD5 of the body that came. */
interface Put {
  path: string;
  contentMd5: string | undefined;
  bodyMd5: string;
}

/** A plain HTTP server speaking S3's error documents: it answers each PUT with `answer(path)`. */
async function fakeS3(
  answer: (path: string) => { status: number; code?: string; headers?: Record<string, string> },
) {
  const puts: Put[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    puts.push({
      path,
      contentMd5: req.headers['content-md5'] as string | undefined,
      bodyMd5: createHash('md5').update(Buffer.concat(chunks)).digest('base64'),
    });
    const { status, code, headers = {} } = answer(path);
    res.writeHead(status, { 'content-type': 'application/xml', ...headers });
    res.end(
      code
        ? `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} from the fake</Message><RequestId>r1</RequestId></Error>`
        : '',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    puts,
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('s3 destination: S3 errors, Content-MD5, the safe network', () => {
  const batch = nativeBatch(events, { stream: 'str_x' });
  const sendTo = async (endpoint: string, net = new SafeNet(true)) => {
    const d = s3.open({ bucket: BUCKET, endpoint, path_style: true, ...S3RVER_KEY }, { ...context, net });
    try {
      return await d.send(batch, never);
    } finally {
      await d.close();
    }
  };

  it('every PUT carries the Content-MD5 of its body; the data object goes first, the manifest last', async () => {
    const fake = await fakeS3(() => ({ status: 200 }));
    try {
      assert.deepEqual(await sendTo(fake.endpoint), { kind: 'accepted' });
      const key = objectKey(undefined, batch);
      assert.deepEqual(
        fake.puts.map((p) => p.path),
        [`/${BUCKET}/${key}`, `/${BUCKET}/${key}.manifest.json`],
      );
      for (const p of fake.puts) assert.equal(p.contentMd5, p.bodyMd5, p.path);
    } finally {
      await fake.close();
    }
  });

  it('maps S3’s answers: throttling and 5xx retry (after Retry-After), too large is rejected, AccessDenied refused', async () => {
    const cases: [{ status: number; code?: string; headers?: Record<string, string> }, string, number?][] = [
      [{ status: 503, code: 'SlowDown', headers: { 'retry-after': '7' } }, 'retry', 7000],
      [{ status: 500, code: 'InternalError' }, 'retry'],
      [{ status: 400, code: 'RequestTimeout' }, 'retry'],
      [{ status: 400, code: 'BadDigest' }, 'retry'],
      [{ status: 400, code: 'EntityTooLarge' }, 'rejected'],
      [{ status: 403, code: 'AccessDenied' }, 'refused'],
      [{ status: 403, code: 'SignatureDoesNotMatch' }, 'refused'],
      [{ status: 403, code: 'InvalidAccessKeyId' }, 'refused'],
      [{ status: 400, code: 'ExpiredToken' }, 'refused'],
      [{ status: 404, code: 'NoSuchBucket' }, 'refused'],
      [{ status: 400, code: 'InvalidArgument' }, 'refused'],
    ];
    for (const [answer, kind, after] of cases) {
      const fake = await fakeS3(() => answer);
      try {
        const outcome = await sendTo(fake.endpoint);
        assert.equal(outcome.kind, kind, `${answer.code}: ${JSON.stringify(outcome)}`);
        assert.match((outcome as { error: string }).error, new RegExp(answer.code ?? ''));
        assert.equal((outcome as { retryAfterMs?: number }).retryAfterMs, after, answer.code);
        assert.equal(fake.puts.length, 1, `${answer.code}: no manifest after a failed data object`);
      } finally {
        await fake.close();
      }
    }
  });

  it('a manifest that fails after its object is a failure of the batch', async () => {
    const fake = await fakeS3((path) =>
      path.endsWith('.manifest.json') ? { status: 503, code: 'SlowDown' } : { status: 200 },
    );
    try {
      assert.equal((await sendTo(fake.endpoint)).kind, 'retry');
      assert.equal(fake.puts.length, 2);
    } finally {
      await fake.close();
    }
  });

  it('no answer at all (connection refused) is a retry', async () => {
    const fake = await fakeS3(() => ({ status: 200 }));
    await fake.close();
    const outcome = await sendTo(fake.endpoint);
    assert.equal(outcome.kind, 'retry');
  });

  it('a loopback endpoint is refused by validate, and never reached, unless private addresses are allowed', async () => {
    const fake = await fakeS3(() => ({ status: 200 }));
    try {
      const strict = new SafeNet(false);
      const base = { bucket: BUCKET, ...S3RVER_KEY };
      assert.throws(() => s3.validate?.({ ...base, endpoint: fake.endpoint }, strict), /endpoint/);
      assert.throws(() => s3.validate?.({ ...base, endpoint: 'https://127.0.0.1:9000' }, strict), /endpoint/);
      assert.throws(() => s3.validate?.({ ...base, endpoint: 'https://[::1]:9000' }, strict), /endpoint/);
      assert.throws(() => s3.validate?.({ ...base, endpoint: 'ftp://example.com' }, strict), /endpoint/);
      s3.validate?.({ ...base, endpoint: 'https://s3.example.com' }, strict);
      s3.validate?.(base, strict);
      s3.validate?.({ ...base, endpoint: fake.endpoint }, new SafeNet(true));

      // Past validate (settings stored before the operator changed the setting): still not reached.
      const literal = await sendTo(fake.endpoint, strict);
      assert.equal(literal.kind, 'retry');
      assert.match((literal as { error: string }).error, /loopback/);
      const named = await sendTo(fake.endpoint.replace('127.0.0.1', 'localhost'), strict);
      assert.equal(named.kind, 'retry');
      assert.match((named as { error: string }).error, /loopback/);
      assert.equal(fake.puts.length, 0, 'the fake saw no request');
    } finally {
      await fake.close();
    }
  });
});
