import { createHash } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Type } from 'typebox';
import { HTTP_TIMEOUT_MS } from './http-post.js';
import { objectKey, s3Manifest } from './s3-layout.js';
import { outcomeOfS3Error } from './s3-outcome.js';
import { safeAgents } from './safe-agents.js';
import type { DestinationModule, SendOutcome } from './types.js';

const settings = Type.Object({
  bucket: Type.String({
    pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
    description: 'The bucket’s name (S3 naming rules).',
  }),
  prefix: Type.Optional(
    Type.String({
      maxLength: 512,
      pattern: '^[^\\u0000-\\u001f\\u007f]*$',
      description:
        'Where under the bucket the objects go (`audit/trailkeep`); slashes at its ends are ignored.',
    }),
  ),
  region: Type.Optional(
    Type.String({
      pattern: '^[a-z0-9-]{1,64}$',
      description: 'The bucket’s region; `us-east-1` when absent (R2 takes `auto`).',
    }),
  ),
  endpoint: Type.Optional(
    Type.String({
      maxLength: 2048,
      description: 'An S3-compatible store’s URL (MinIO, R2, Ceph …); AWS’s own endpoint when absent.',
    }),
  ),
  path_style: Type.Optional(
    Type.Boolean({ description: 'Address the bucket in the path, not the host name (most MinIO set-ups).' }),
  ),
  access_key_id: Type.String({ minLength: 1, maxLength: 128, description: 'The access key’s id.' }),
  secret_access_key: Type.String({
    minLength: 1,
    maxLength: 256,
    writeOnly: true,
    description: 'The access key’s secret; never returned.',
  }),
  session_token: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 4096,
      writeOnly: true,
      description: 'A temporary credential’s session token; never returned.',
    }),
  ),
});

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('base64');

/**
 * S3 and S3-compatible object storage (docs/streams/s3.md): each batch is one NDJSON object at a
 * key made of the tenant, the batch's creation day and its seq range, then a manifest beside it.
 * Both are the same bytes on every attempt, so a retry overwrites what an earlier one wrote.
 */
export const s3: DestinationModule<typeof settings> = {
  type: 's3',
  settings,
  secrets: ['secret_access_key', 'session_token'],
  // One object per batch has no size limit of its own below S3's 5 GiB for one PUT; this keeps an
  // attempt's body in memory within reason.
  limits: { max_bytes: 64 * 1024 * 1024 },
  validate(s, net) {
    if (s.endpoint !== undefined) net.checkUrl(s.endpoint, 'endpoint');
  },
  open(s, { net, clock }) {
    const agents = safeAgents(net);
    const client = new S3Client({
      region: s.region ?? 'us-east-1',
      ...(s.endpoint === undefined ? {} : { endpoint: s.endpoint }),
      forcePathStyle: s.path_style ?? false,
      credentials: {
        accessKeyId: s.access_key_id,
        secretAccessKey: s.secret_access_key,
        ...(s.session_token === undefined ? {} : { sessionToken: s.session_token }),
      },
      // The stream worker retries with its own backoff and keeps the batch; the SDK retrying too
      // would multiply the attempts and hide the failures from the stream's last_error.
      maxAttempts: 1,
      // Content-MD5 (set below) is checked by S3 and every compatible store; the SDK's newer
      // CRC checksums are not understood by all of them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: new NodeHttpHandler({
        httpAgent: agents.http,
        httpsAgent: agents.https,
        connectionTimeout: HTTP_TIMEOUT_MS,
        requestTimeout: HTTP_TIMEOUT_MS,
      }),
    });

    const put = async (key: string, body: Uint8Array, contentType: string, signal: AbortSignal) =>
      client.send(
        new PutObjectCommand({
          Bucket: s.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ContentLength: body.byteLength,
          ContentMD5: md5(body),
        }),
        { abortSignal: AbortSignal.any([signal, AbortSignal.timeout(2 * HTTP_TIMEOUT_MS)]) },
      );

    return {
      async send(batch, signal): Promise<SendOutcome> {
        const key = objectKey(s.prefix, batch);
        const data = Buffer.from(batch.records.map((r) => `${r.json}\n`).join(''), 'utf8');
        const manifest = Buffer.from(JSON.stringify(s3Manifest(batch, key, data)), 'utf8');
        try {
          // The data first: a manifest present means its object is complete.
          await put(key, data, 'application/x-ndjson', signal);
          await put(`${key}.manifest.json`, manifest, 'application/json', signal);
          return { kind: 'accepted' };
        } catch (err) {
          return outcomeOfS3Error(err, s.bucket, clock());
        }
      },
      async close() {
        client.destroy();
        agents.http.destroy();
        agents.https.destroy();
      },
    };
  },
};
