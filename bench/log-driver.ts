/**
 * The log's read driver, run as its own process (bench/log.ts runs it): per kind it draws
 * `warmup + requests` requests at random over a log of `size` leaves, sends them one at a time
 * over one keep-alive connection (each figure a request's own latency), times those after the
 * warm-up and prints one JSON line of percentiles. Every answer is checked for its shape, and
 * after the timing every timed inclusion proof is verified against the checkpoint's root with
 * the leaf read from its entry bundle, so a fast wrong answer fails the run.
 *
 * Input: a JSON `LogDriverSpec` (children.ts, runScript).
 */
import http from 'node:http';
import { parseCheckpoint } from '../src/core/log/checkpoint.js';
import { HASH_BYTES, leafHash, verifyInclusion } from '../src/core/log/merkle.js';
import { encodeIndex, hashesAtLevel, TILE_WIDTH, tilePath } from '../src/core/log/tiles.js';
import { specOf } from './children.js';
import { mulberry32 } from './generate.js';
import { type Reply, request } from './http.js';
import { isInclusion, LOG_KINDS, type LogKind } from './log-kinds.js';
import { type Percentiles, percentiles } from './stats.js';

export interface LogDriverSpec {
  url: string;
  key: string;
  /** The latest checkpoint's size, which every request stays within. */
  size: number;
  requests: number;
  warmup: number;
  /** Draws differ per round. */
  seed: number;
}

export interface LogKindRun {
  kind: LogKind;
  ms: Percentiles;
}

const spec = specOf<LogDriverSpec>();
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const random = mulberry32(spec.seed);
const below = (n: number) => Math.floor(random() * n);

const get = async (path: string): Promise<{ ms: number; reply: Reply }> => {
  const started = performance.now();
  const reply = await request(agent, new URL(path, spec.url), {
    method: 'GET',
    headers: { authorization: `Bearer ${spec.key}` },
    timeoutMs: 60_000,
  });
  const ms = performance.now() - started;
  if (reply.status !== 200) throw new Error(`GET ${path}: HTTP ${reply.status}: ${reply.text.slice(0, 300)}`);
  return { ms, reply };
};

const fullTiles = Math.floor(spec.size / TILE_WIDTH);
/** The right edge's partial tile of every level that has one (at 1,000,000: levels 0, 1 and 2). */
const partials = Array.from({ length: 8 }, (_, level) => {
  const hashes = hashesAtLevel(spec.size, level);
  return { level, index: Math.floor(hashes / TILE_WIDTH), width: hashes % TILE_WIDTH };
}).filter((t) => t.width > 0);

const expectBytes = (path: string, reply: Reply, bytes: number) => {
  if (reply.body.length !== bytes)
    throw new Error(`GET ${path}: ${reply.body.length} bytes, ${bytes} expected`);
};

/** A request of `kind`, drawn at random, and how its answer is checked. */
function draw(kind: LogKind): { path: string; check(reply: Reply): void } {
  switch (kind) {
    case 'checkpoint':
      return {
        path: '/v1/log/checkpoint',
        check: (r) => {
          const size = parseCheckpoint(`${r.text.split('\n\n')[0]}\n`)?.size;
          if (size !== spec.size) throw new Error(`the checkpoint is of size ${size}, ${spec.size} expected`);
        },
      };
    case 'inclusion':
    case 'inclusion-latest': {
      const seq = 1 + below(spec.size);
      return {
        path: `/v1/log/inclusion?seq=${seq}${kind === 'inclusion' ? `&tree_size=${spec.size}` : ''}`,
        check: (r) => {
          const p = JSON.parse(r.text) as { leaf_index: number; tree_size: number; hashes: string[] };
          if (p.leaf_index !== seq - 1 || p.tree_size !== spec.size)
            throw new Error(`inclusion of ${seq}: ${r.text}`);
        },
      };
    }
    case 'consistency': {
      const from = 1 + below(spec.size - 1);
      return {
        path: `/v1/log/consistency?from=${from}&to=${spec.size}`,
        check: (r) => {
          const { hashes } = JSON.parse(r.text) as { hashes: string[] };
          if (!hashes.length || hashes.some((h) => Buffer.from(h, 'base64').length !== HASH_BYTES))
            throw new Error(`consistency from ${from}: ${r.text.slice(0, 300)}`);
        },
      };
    }
    case 'tile': {
      const path = `/v1/log/tile/${tilePath({ level: 0, index: below(fullTiles), width: TILE_WIDTH })}`;
      return { path, check: (r) => expectBytes(path, r, TILE_WIDTH * HASH_BYTES) };
    }
    case 'tile-partial': {
      const tile = partials[below(partials.length)] as (typeof partials)[number];
      const path = `/v1/log/tile/${tilePath(tile)}`;
      return { path, check: (r) => expectBytes(path, r, tile.width * HASH_BYTES) };
    }
    case 'entries': {
      const path = `/v1/log/tile/entries/${encodeIndex(below(fullTiles))}`;
      return { path, check: (r) => expectBytes(path, r, TILE_WIDTH * (2 + HASH_BYTES)) };
    }
  }
}

/** The leaf of event `seq`, from its entry bundle (full, or the right edge's partial one). */
async function leafOf(seq: number): Promise<Buffer> {
  const index = Math.floor((seq - 1) / TILE_WIDTH);
  const width = Math.min(TILE_WIDTH, spec.size - index * TILE_WIDTH);
  const { reply } = await get(
    `/v1/log/tile/entries/${encodeIndex(index)}${width < TILE_WIDTH ? `.p/${width}` : ''}`,
  );
  const at = ((seq - 1) % TILE_WIDTH) * (2 + HASH_BYTES) + 2;
  return leafHash(reply.body.subarray(at, at + HASH_BYTES));
}

async function runKind(kind: LogKind, root: Buffer): Promise<LogKindRun> {
  const ms: number[] = [];
  const proofs: { path: string; text: string }[] = [];
  for (let i = 0; i < spec.warmup + spec.requests; i++) {
    const req = draw(kind);
    const t = await get(req.path);
    req.check(t.reply);
    if (i < spec.warmup) continue;
    ms.push(t.ms);
    if (isInclusion(kind)) proofs.push({ path: req.path, text: t.reply.text });
  }
  for (const { path, text } of proofs) {
    const p = JSON.parse(text) as { leaf_index: number; hashes: string[] };
    const hashes = p.hashes.map((h) => Buffer.from(h, 'base64'));
    if (!verifyInclusion(p.leaf_index, spec.size, await leafOf(p.leaf_index + 1), hashes, root)) {
      throw new Error(`GET ${path}: the proof does not lead to the checkpoint's root`);
    }
  }
  return { kind, ms: percentiles(ms) };
}

const listed = await get(`/v1/log/checkpoints?size=${spec.size}`);
const root = (JSON.parse(listed.reply.text) as { checkpoints: { root: string }[] }).checkpoints[0]?.root;
if (!root) throw new Error(`no checkpoint of size ${spec.size}`);
const kinds: LogKindRun[] = [];
for (const { name } of LOG_KINDS) kinds.push(await runKind(name, Buffer.from(root, 'base64')));
agent.destroy();
process.stdout.write(`${JSON.stringify({ kinds })}\n`);
