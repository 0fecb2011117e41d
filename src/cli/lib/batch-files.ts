import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Verifier } from '../../core/log/note.js';
import { type BatchReport, BatchVerifier } from '../../core/streams/verify-batches.js';
import { CliError } from '../context.js';
import { readLines } from './lines.js';

/** The files a receiver keeps batches in: NDJSON of records, webhook bodies, manifests; gzipped or not. */
const BATCH_FILE = /\.(?:ndjson|jsonl|json)(?:\.gz)?$/;

export interface BatchSource {
  /** S3 only: the endpoint (a compatible store) and path-style addressing. */
  s3Endpoint?: string;
  s3PathStyle?: boolean;
  /** The first seq the receiver was sent (a stream created on a long log). */
  fromSeq?: number;
  env: Record<string, string | undefined>;
}

export interface BatchSummary extends BatchReport {
  objects: number;
}

/**
 * Feeds one object to the verifier line by line while hashing its bytes for the manifests:
 * nothing but one line is held at a time. A `.gz` object is unzipped after hashing (a
 * manifest hashes the stored bytes).
 */
async function feed(check: BatchVerifier, name: string, body: Readable): Promise<void> {
  const digest = createHash('sha256');
  const raw = new PassThrough();
  body.on('error', (err) => raw.destroy(err));
  body.on('data', (chunk: Buffer) => digest.update(chunk));
  body.pipe(raw);
  const text: Readable = name.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  let pending = '';
  let pendingFrom = 0;
  for await (const { no, text: line } of readLines(text)) {
    if (pending === '' && line.trim() === '') continue;
    // A pretty-printed JSON document spans lines: gather them until they parse.
    const candidate = pending === '' ? line : `${pending}\n${line}`;
    try {
      check.value(JSON.parse(candidate), `${name}:${pending === '' ? no : pendingFrom}`);
      pending = '';
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      if (pending === '') pendingFrom = no;
      pending = candidate;
      if (pending.length > 64 * 1024 * 1024) throw new CliError(`${name}:${pendingFrom} is not JSON.`);
    }
  }
  if (pending !== '') check.problem(`${name}:${pendingFrom}`, 'is not JSON.');
  check.object(name, digest.digest('hex'));
}

/** Every batch file below `dir`, by its path relative to it (with `/`), in name order. */
async function batchFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && BATCH_FILE.test(e.name))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function fromDirectory(dir: string, check: BatchVerifier): Promise<number> {
  const files = await batchFiles(dir);
  for (const name of files) await feed(check, name, createReadStream(join(dir, ...name.split('/'))));
  return files.length;
}

/** `s3://bucket/prefix` read with the AWS SDK: credentials and region from the standard AWS settings. */
async function fromS3(url: URL, source: BatchSource, check: BatchVerifier): Promise<number> {
  const { S3Client, ListObjectsV2Command, GetObjectCommand } = await import('@aws-sdk/client-s3');
  const { env } = source;
  const endpoint = source.s3Endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const client = new S3Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: source.s3PathStyle === true,
  });
  const bucket = url.hostname;
  const prefix = decodeURIComponent(url.pathname.replace(/^\//, ''));
  let count = 0;
  try {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      // S3 lists keys in name order, page after page: objects are read as they are listed.
      for (const { Key } of page.Contents ?? []) {
        if (!Key || !BATCH_FILE.test(Key)) continue;
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
        await feed(check, Key, object.Body as Readable);
        count += 1;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`Cannot read s3://${bucket}/${prefix}: ${(err as Error).message}`);
  } finally {
    client.destroy();
  }
  return count;
}

/**
 * Checks the batches a receiver kept (a directory, or an S3 prefix `s3://bucket/prefix`) for
 * gaps and altered events (docs/streams/formats.md#verifying-received-batches).
 */
export async function verifyBatches(
  target: string,
  verifier: Verifier,
  source: BatchSource,
): Promise<BatchSummary> {
  const check = new BatchVerifier(verifier, source.fromSeq);
  let objects: number;
  if (target.startsWith('s3://')) {
    const url = new URL(target);
    if (!url.hostname) throw new CliError(`${target} names no bucket.`);
    objects = await fromS3(url, source, check);
  } else {
    objects = await fromDirectory(target, check).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new CliError(`No such directory: ${target}`);
      throw err;
    });
  }
  if (objects === 0) throw new CliError(`No .ndjson or .json files in ${target}.`);
  return { ...check.finish(), objects };
}

/** The report's lines: one per gap, altered event, bad checkpoint and problem. */
export function failureLines(report: BatchReport): string[] {
  const lines: string[] = [];
  for (const t of report.tenants) {
    for (const g of t.gaps)
      lines.push(
        `GAP tenant ${t.tenant}: ${g.from === g.to ? `seq ${g.from}` : `seqs ${g.from}–${g.to}`} missing${g.tail ? ` (after the last batch received; the checkpoint says the log has ${t.checkpointSize})` : ''}`,
      );
    for (const a of t.altered) lines.push(`ALTERED tenant ${t.tenant}: seq ${a.seq} (${a.reason})`);
    for (const c of t.badCheckpoints)
      lines.push(`CHECKPOINT tenant ${t.tenant}: the one in ${c.where} ${c.reason}`);
  }
  for (const p of report.problems) lines.push(`ERROR ${p.where} ${p.message}`);
  return lines;
}
