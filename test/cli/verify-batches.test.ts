import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { generateSigner } from '../../src/core/log/note.js';
import { manifestOf, ndjsonOf, signedCheckpoint, storedEvents, webhookBody } from '../helpers/batches.js';
import { runCli } from './run.js';

const signer = generateSigner('audit.example.com');
const T = 'acme';
const BATCHES = 10;
const SIZE = 100;

/** Batch i (0-based) of seqs i*SIZE+1 .. (i+1)*SIZE. */
const range = (i: number) => ({ tenant: T, from: i * SIZE + 1, to: (i + 1) * SIZE });
const name = (i: number) => `batch-${String(i).padStart(3, '0')}`;

/**
 * `trailkeep verify <dir>` and `trailkeep verify s3://…` on what a stream delivered: webhook
 * bodies a receiver saved, and S3 batch objects with their manifests, all with real signed
 * checkpoints. One batch removed and one event edited are found, exactly.
 */
describe('trailkeep verify on received batches', () => {
  let dir: string;
  const verify = (target: string, extra: string[] = [], env: Record<string, string> = {}) =>
    runCli(['verify', '--key', signer.text, target, ...extra], { env });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tk-batches-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function webhookDir(sub: string): Promise<string> {
    const root = join(dir, sub);
    await mkdir(join(root, 'day-1'), { recursive: true });
    const checkpoint = signedCheckpoint(signer, T, BATCHES * SIZE);
    for (let i = 0; i < BATCHES; i++) {
      const r = range(i);
      const body = webhookBody(storedEvents(T, r.from, r.to), r, checkpoint, i % 2 ? 'ocsf' : 'cloudevents');
      // One body a line, as a receiver appends them; a few in a subdirectory.
      await writeFile(join(root, i < 5 ? '' : 'day-1', `${name(i)}.ndjson`), `${JSON.stringify(body)}\n`);
    }
    return root;
  }

  it('a complete, intact directory is OK (exit 0)', async () => {
    const root = await webhookDir('complete');
    const r = await verify(root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^OK: 1000 events of 1 tenant\(s\) in 10 file\(s\): no gap, nothing altered; 1000 hashes recomputed\.\n$/,
    );
  });

  it('a removed batch file and an edited event are reported, exit 1', async () => {
    const root = await webhookDir('tampered');
    await unlink(join(root, 'day-1', `${name(6)}.ndjson`));
    const path = join(root, `${name(2)}.ndjson`);
    const text = await readFile(path, 'utf8');
    // seq 242's event, as carried in its CloudEvent's data.
    const edited = text.replace(
      '"id":"e-242","tenant":"acme","seq":242,',
      '"id":"e-242","tenant":"acme","seq":242,"description":"nothing to see",',
    );
    assert.notEqual(edited, text);
    await writeFile(path, edited);
    const r = await verify(root);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      'GAP tenant acme: seqs 601–700 missing\nALTERED tenant acme: seq 242 (its hash does not recompute)\n',
    );
    assert.match(r.stderr, /^trailkeep: Verification failed: 1 gap\(s\), 1 altered event\(s\)/);
  });

  it('the last batch removed: the tail up to the checkpoint is the gap', async () => {
    const root = await webhookDir('tail');
    await unlink(join(root, 'day-1', `${name(9)}.ndjson`));
    const r = await verify(root);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /^GAP tenant acme: seqs 901–1000 missing \(after the last batch received; the checkpoint says the log has 1000\)\n$/,
    );
  });

  it('a checkpoint under another key is reported', async () => {
    const root = join(dir, 'forged');
    await mkdir(root);
    const other = generateSigner('audit.example.com');
    const r0 = range(0);
    await writeFile(
      join(root, 'b.json'),
      JSON.stringify(
        webhookBody(storedEvents(T, r0.from, r0.to), r0, signedCheckpoint(other, T, SIZE)),
        null,
        2,
      ),
    );
    const r = await verify(root);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /^CHECKPOINT tenant acme: the one in b\.json:1 is not signed by audit\.example\.com/,
    );
  });

  it('a directory without batch files is an error, not OK', async () => {
    await mkdir(join(dir, 'empty'));
    const empty = await verify(join(dir, 'empty'));
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /No \.ndjson or \.json files/);
  });

  describe('an S3 prefix', () => {
    let server: { run(): Promise<AddressInfo>; close(): Promise<void> };
    let endpoint: string;
    const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

    before(async () => {
      const directory = await mkdtemp(join(tmpdir(), 'tk-s3rver-'));
      server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
      const { port } = await server.run();
      endpoint = `http://127.0.0.1:${port}`;
      const s3 = new S3Client({
        endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
      });
      await s3.send(new CreateBucketCommand({ Bucket: 'audit' }));
      const checkpoint = signedCheckpoint(signer, T, BATCHES * SIZE);
      for (let i = 0; i < BATCHES; i++) {
        const r = range(i);
        // Every other object gzipped; the manifest hashes the stored bytes.
        const text = ndjsonOf(storedEvents(T, r.from, r.to), 'ocsf');
        const body = i % 2 ? gzipSync(text) : Buffer.from(text);
        for (const prefix of ['streams', 'complete']) {
          const key = `${prefix}/${T}/${name(i)}.ndjson${i % 2 ? '.gz' : ''}`;
          const manifest = {
            ...manifestOf(key, '', { ...r, events: SIZE }, checkpoint),
            sha256: createHash('sha256').update(body).digest('hex'),
          };
          // Under streams/, batch 4's object is lost; its manifest is still there.
          if (prefix === 'complete' || i !== 4)
            await s3.send(new PutObjectCommand({ Bucket: 'audit', Key: key, Body: body }));
          await s3.send(
            new PutObjectCommand({
              Bucket: 'audit',
              Key: `${prefix}/${T}/${name(i)}.manifest.json`,
              Body: JSON.stringify(manifest),
            }),
          );
        }
      }
      s3.destroy();
    });
    after(async () => {
      await server?.close();
    });

    it('lists and reads the objects; a lost object is a gap and its manifest says which', async () => {
      const r = await verify('s3://audit/streams/', ['--s3-endpoint', endpoint, '--s3-path-style'], env);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(
        r.stdout,
        'GAP tenant acme: seqs 401–500 missing\n' +
          `ERROR streams/${T}/${name(4)}.manifest.json:1 names the object streams/${T}/${name(4)}.ndjson (seqs 401–500), which is not there.\n`,
      );
    });

    it('a complete prefix is OK; the endpoint may come from the environment', async () => {
      const r = await verify('s3://audit/complete', ['--s3-path-style'], {
        ...env,
        AWS_ENDPOINT_URL_S3: endpoint,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^OK: 1000 events .* in 20 file\(s\)/);
    });
  });
});
