import { randomInt } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { verifyEvent } from '../../core/event/seal.js';
import { type Checkpoint, openCheckpoint } from '../../core/log/checkpoint.js';
import { CompactRange } from '../../core/log/compact.js';
import { HASH_BYTES, leafHash, verifyConsistency, verifyInclusion } from '../../core/log/merkle.js';
import type { Verifier } from '../../core/log/note.js';
import { TILE_WIDTH, tilePath } from '../../core/log/tiles.js';
import type { HttpClient } from '../backend/http.js';
import { CliError } from '../context.js';

/** The last checkpoint a monitor trusted, kept in its state file between runs. */
interface TrustedState {
  origin: string;
  size: number;
  root: string;
  checkpoint: string;
}

export interface MonitorOptions {
  statePath: string;
  /** Check every event, not a sample. */
  full: boolean;
  /** Events whose inclusion a sampling run checks. */
  sample: number;
}

export interface MonitorReport {
  checkpoint: Checkpoint;
  /** The size trusted before, or null on the first run. */
  before: number | null;
  /** Events whose content and inclusion were checked. */
  checked: number;
}

const failed = (message: string): never => {
  throw new CliError(`Verification failed: ${message}`);
};

/**
 * A monitor's run against a server (docs/log.md, "Monitoring"): the latest checkpoint must be
 * signed by the key, be the tenant's, and extend the one trusted before (a consistency proof);
 * then events are checked against it, a sample or all; only then is it trusted in turn.
 */
export async function monitor(
  http: HttpClient,
  verifier: Verifier,
  tenant: string,
  options: MonitorOptions,
): Promise<MonitorReport> {
  const note = await (await http.request('GET', '/v1/log/checkpoint')).text();
  const checkpoint = openCheckpoint(note, verifier, tenant);
  if (!checkpoint) failed(`the checkpoint is not signed by ${verifier.text} for tenant ${tenant}`);
  const cp = checkpoint as Checkpoint;
  const trusted = await readState(options.statePath);
  if (trusted) await checkExtends(http, trusted, cp);
  const checked = options.full ? await checkAll(http, cp) : await checkSample(http, cp, options.sample);
  const state: TrustedState = {
    origin: cp.origin,
    size: cp.size,
    root: cp.root.toString('base64'),
    checkpoint: note,
  };
  await writeFile(`${options.statePath}.partial`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${options.statePath}.partial`, options.statePath);
  return { checkpoint: cp, before: trusted?.size ?? null, checked };
}

async function readState(path: string): Promise<TrustedState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const state = JSON.parse(text) as Partial<TrustedState>;
  if (typeof state.origin !== 'string' || !Number.isSafeInteger(state.size) || typeof state.root !== 'string')
    throw new CliError(`${path} is not a monitor's state file.`);
  return state as TrustedState;
}

/** The new checkpoint must extend the trusted one: same log, no smaller, and a consistency proof. */
async function checkExtends(http: HttpClient, trusted: TrustedState, cp: Checkpoint): Promise<void> {
  const root = Buffer.from(trusted.root, 'base64');
  if (trusted.origin !== cp.origin)
    failed(`the checkpoint is of ${cp.origin}, the state file of ${trusted.origin}`);
  if (cp.size < trusted.size)
    failed(`the log shrank from ${trusted.size} to ${cp.size} events: it was rolled back or forked`);
  if (cp.size === trusted.size) {
    if (!cp.root.equals(root)) failed(`the log is forked: two roots for size ${cp.size}`);
    return;
  }
  const query = new URLSearchParams({ from: String(trusted.size), to: String(cp.size) });
  const { hashes } = await http.json<{ hashes: string[] }>('GET', '/v1/log/consistency', { query });
  if (!verifyConsistency(trusted.size, cp.size, hashes.map(fromBase64), root, cp.root))
    failed(
      `the log of size ${cp.size} does not extend the trusted one of size ${trusted.size}: it was rewritten`,
    );
}

const fromBase64 = (s: string): Buffer => Buffer.from(s, 'base64');

/** Fetches event `seq` and checks its content gives its hash; returns that hash's leaf. */
async function eventLeaf(http: HttpClient, seq: number): Promise<Buffer> {
  const res = await http.request('GET', `/v1/events/${seq}`).catch((err) => {
    if ((err as { status?: number }).status === 404) failed(`seq ${seq} is missing`);
    throw err;
  });
  const event = (await res.json()) as Record<string, unknown>;
  if (event.seq !== seq) failed(`seq ${seq} is answered by an event of seq ${String(event.seq)}`);
  if (!verifyEvent(event)) failed(`seq ${seq} was altered: its content does not give its hash`);
  return leafHash(Buffer.from(event.hash as string, 'hex'));
}

/** `count` distinct seqs of the tree at random (all of them when it has no more). */
function sampleSeqs(size: number, count: number): number[] {
  if (size <= count) return Array.from({ length: size }, (_, i) => i + 1);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(randomInt(1, size + 1));
  return [...picked].sort((a, b) => a - b);
}

/** Runs `task` over `items` a few at a time: a monitor should not hammer the server. */
async function inTurn<T>(items: T[], task: (item: T) => Promise<void>, width = 8): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

const bytes = async (http: HttpClient, path: string): Promise<Buffer> =>
  Buffer.from(await (await http.request('GET', path)).arrayBuffer());

/**
 * The entries give another root: names the first whose leaf is not the one the log's level-0
 * tiles hold (the hashes the log signed). Throws in any case.
 */
async function changedEntry(http: HttpClient, cp: Checkpoint, entries: Buffer): Promise<never> {
  for (let index = 0; index * TILE_WIDTH < cp.size; index++) {
    const width = Math.min(TILE_WIDTH, cp.size - index * TILE_WIDTH);
    const tile = await bytes(http, `/v1/log/tile/${tilePath({ level: 0, index, width })}`);
    for (let i = 0; i < width; i++) {
      const seq = index * TILE_WIDTH + i + 1;
      const entry = entries.subarray((seq - 1) * HASH_BYTES, seq * HASH_BYTES);
      if (!leafHash(entry).equals(tile.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)))
        failed(`seq ${seq} is not the event the log signed: its hash was changed`);
    }
  }
  return failed("the log's entries do not give the checkpoint's root, and its tiles were changed too");
}

async function checkSample(http: HttpClient, cp: Checkpoint, count: number): Promise<number> {
  const seqs = sampleSeqs(cp.size, count);
  await inTurn(seqs, async (seq) => {
    const leaf = await eventLeaf(http, seq);
    const query = new URLSearchParams({ seq: String(seq), tree_size: String(cp.size) });
    const proof = await http.json<{ hashes: string[] }>('GET', '/v1/log/inclusion', { query });
    if (!verifyInclusion(seq - 1, cp.size, leaf, proof.hashes.map(fromBase64), cp.root))
      failed(`seq ${seq} is not in the log at its place: its inclusion proof fails`);
  });
  return seqs.length;
}

/**
 * Every event: each, read back through the API, must give its hash and be the entry the log's
 * bundles (as any tlog-tiles client reads them) hold at its seq, with none missing; then the
 * entries must give the checkpoint's root.
 */
async function checkAll(http: HttpClient, cp: Checkpoint): Promise<number> {
  const entries = Buffer.alloc(cp.size * HASH_BYTES);
  // A bundle short of an entry cannot say which is missing: its events are not compared with
  // it, and the missing one is named by seq below.
  const short = new Set<number>();
  for (let index = 0; index * TILE_WIDTH < cp.size; index++) {
    const width = Math.min(TILE_WIDTH, cp.size - index * TILE_WIDTH);
    const path = tilePath({ level: 0, index, width }).replace(/^0\//, 'entries/');
    const bundle = await bytes(http, `/v1/log/tile/${path}`);
    if (bundle.length !== width * (2 + HASH_BYTES)) short.add(index);
    for (let i = 0; (i + 1) * (2 + HASH_BYTES) <= bundle.length && i < width; i++) {
      bundle.copy(
        entries,
        (index * TILE_WIDTH + i) * HASH_BYTES,
        i * (2 + HASH_BYTES) + 2,
        (i + 1) * (2 + HASH_BYTES),
      );
    }
  }
  const seen = new Uint8Array(cp.size);
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ order: 'asc', limit: '1000', max_seq: String(cp.size) });
    if (cursor) query.set('cursor', cursor);
    const page: { data: Record<string, unknown>[]; next_cursor: string | null } = await http.json(
      'GET',
      '/v1/events',
      { query },
    );
    for (const event of page.data) {
      const seq = event.seq as number;
      if (!verifyEvent(event)) failed(`seq ${seq} was altered: its content does not give its hash`);
      const entry = entries.subarray((seq - 1) * HASH_BYTES, seq * HASH_BYTES);
      const compared = !short.has(Math.floor((seq - 1) / TILE_WIDTH));
      if ((compared && !entry.equals(Buffer.from(event.hash as string, 'hex'))) || seen[seq - 1])
        failed(`seq ${seq} is not the event the log holds at its place`);
      seen[seq - 1] = 1;
    }
    cursor = page.next_cursor;
  } while (cursor);
  const missing = seen.indexOf(0);
  if (missing >= 0) failed(`seq ${missing + 1} is missing`);
  const tree = new CompactRange();
  for (let i = 0; i < cp.size; i++)
    tree.push(0, leafHash(entries.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
  if (!tree.root().equals(cp.root)) await changedEntry(http, cp, entries);
  return cp.size;
}
