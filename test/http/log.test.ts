// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCheckpoint } from '../../src/core/log/checkpoint.js';
import {
  type Hash,
  leafHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/core/log/merkle.js';
import { openNote, parseVerifier, type Verifier } from '../../src/core/log/note.js';
import { hashAt, tileKey, tileNodes } from '../../src/core/log/tiles.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { until } from '../helpers/wait.js';

/** A batch of `n` events of the test, numbered from `start`, each with an id. */
const batch = (start: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `ev-${start + i}`,
    occurred_at: new Date(Date.UTC(2026, 2, 1) + (start + i) * 1000).toISOString(),
    action: `document.${(start + i) % 3 === 0 ? 'delete' : 'update'}`,
  }));

describe('the tamper-evident log API', () => {
  let t: TestApp;
  let key: string;
  let verifier: Verifier;
  /** The stored hash (hex) of each event, by seq − 1. */
  const hashes: string[] = [];

  const get = (url: string, token = key) => t.call(token, { method: 'GET', url });
  async function ingest(start: number, n: number) {
    for (let at = start; at < start + n; at += 500) {
      const res = await t.call(key, {
        method: 'POST',
        url: '/v1/events',
        payload: { events: batch(at, Math.min(500, start + n - at)) },
      });
      assert.equal(res.statusCode, 201, res.body);
      for (const e of res.json<{ events: { seq: number; hash: string }[] }>().events)
        hashes[e.seq - 1] = e.hash;
    }
  }
  /** The latest checkpoint once it covers `size` events, opened with the log's key. */
  async function checkpointOf(size: number) {
    return until(
      async () => {
        const res = await get('/v1/log/checkpoint');
        if (res.statusCode !== 200) return null;
        const text = openNote(res.body, verifier);
        assert.ok(text, `a checkpoint signed by the log's key: ${res.body}`);
        const cp = parseCheckpoint(text);
        return cp && cp.size >= size ? { ...cp, note: res.body, headers: res.headers } : null;
      },
      10_000,
      { what: `a checkpoint of ${size}` },
    );
  }
  const b64 = (hashes: string[]) => hashes.map((h) => Buffer.from(h, 'base64'));
  const leafOf = (seq: number): Hash => leafHash(Buffer.from(hashes[seq - 1] as string, 'hex'));

  before(async () => {
    t = await startTestApp({
      TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.05',
      TRAILKEEP_LOG_NAME: 'audit.example.com',
    });
    key = await t.tenantWithKey('acme');
  });
  after(async () => {
    await t?.close();
  });

  it('publishes its verifier key and the tenant’s origin; before any event there is no checkpoint', async () => {
    const res = await get('/v1/log/key');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<Record<string, string>>();
    const parsed = parseVerifier(body.verifier_key as string);
    assert.ok(parsed, body.verifier_key);
    verifier = parsed;
    assert.equal(body.origin, 'audit.example.com/acme');
    assert.equal(body.key_name, 'audit.example.com');
    assert.equal(body.key_id, parsed.id.toString(16).padStart(8, '0'));
    assert.deepEqual(Buffer.from(body.public_key as string, 'base64'), parsed.publicKey);
    const none = await get('/v1/log/checkpoint');
    assert.equal(none.statusCode, 404);
    assert.equal(none.json<{ error: { code: string } }>().error.code, 'not_found');
    // Proofs that need no stored node (a one-leaf tree, a tree against itself) are no answer
    // either before the first checkpoint; nor are those that do.
    for (const url of [
      '/v1/log/inclusion?seq=1&tree_size=1',
      '/v1/log/consistency?from=1&to=1',
      '/v1/log/inclusion?seq=1&tree_size=2',
      '/v1/log/inclusion?seq=1',
    ]) {
      const proof = await get(url);
      assert.equal(proof.statusCode, 404, `${url}: ${proof.body}`);
      assert.match(proof.json<{ error: { message: string } }>().error.message, /no checkpoint yet/, url);
    }
  });

  it('signs a checkpoint covering every acknowledged event, as a C2SP signed note', async () => {
    await ingest(0, 600);
    const cp = await checkpointOf(600);
    assert.equal(cp.origin, 'audit.example.com/acme');
    assert.equal(cp.size, 600);
    assert.match(String(cp.headers['content-type']), /^text\/plain/);
    assert.match(
      cp.note,
      /^audit\.example\.com\/acme\n600\n[A-Za-z0-9+/]{43}=\n\n— audit\.example\.com [A-Za-z0-9+/]+=*\n$/,
    );
  });

  it('serves tiles and entry bundles from which the signed root is rebuilt', async () => {
    const cp = await checkpointOf(600);
    // 600 leaves: level 0 has tiles 0 and 1 full and 2 of 88; level 1 a tile of 2 hashes.
    const tiles = new Map<string, Buffer>();
    for (const [path, level, index, width] of [
      ['0/000', 0, 0, 256],
      ['0/001', 0, 1, 256],
      ['0/002.p/88', 0, 2, 88],
      ['1/000.p/2', 1, 0, 2],
    ] as const) {
      const res = await get(`/v1/log/tile/${path}`);
      assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
      assert.equal(res.headers['content-type'], 'application/octet-stream');
      assert.equal(res.rawPayload.length, width * 32);
      assert.equal(
        res.headers['cache-control'],
        width === 256 ? 'private, max-age=31536000, immutable' : 'no-cache',
      );
      tiles.set(tileKey(level, index), res.rawPayload);
    }
    assert.ok(rootHash(600, tileNodes(tiles)).equals(cp.root), 'the root from the tiles is the signed one');
    for (const [path, first, width] of [
      ['000', 0, 256],
      ['002.p/88', 512, 88],
    ] as const) {
      const res = await get(`/v1/log/tile/entries/${path}`);
      assert.equal(res.statusCode, 200, res.body);
      const bundle = res.rawPayload;
      assert.equal(bundle.length, width * 34);
      for (let i = 0; i < width; i++) {
        assert.equal(bundle.readUInt16BE(i * 34), 32);
        const entry = bundle.subarray(i * 34 + 2, i * 34 + 34);
        assert.equal(entry.toString('hex'), hashes[first + i], `entry ${first + i}`);
        const tile = tiles.get(tileKey(0, Math.floor((first + i) / 256))) as Buffer;
        assert.ok(
          hashAt(tile, (first + i) % 256).equals(leafHash(entry)),
          'the tile holds the entry’s leaf hash',
        );
      }
    }
  });

  it('refuses tiles beyond the latest checkpoint (404) and paths that are not C2SP tiles (400)', async () => {
    for (const path of [
      '0/002.p/89',
      '0/002',
      '0/003',
      '1/000',
      '2/000.p/1',
      'entries/002.p/89',
      'entries/003',
    ]) {
      const res = await get(`/v1/log/tile/${path}`);
      assert.equal(res.statusCode, 404, `${path}: ${res.body}`);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'not_found');
    }
    for (const path of [
      '0/2',
      '0/x000/002',
      '0/000.p/0',
      '0/000.p/256',
      'x/000',
      '0/000/extra',
      'entries/2',
    ]) {
      const res = await get(`/v1/log/tile/${path}`);
      assert.equal(res.statusCode, 400, `${path}: ${res.body}`);
      assert.match(res.json<{ error: { message: string } }>().error.message, /^path must be tile\//);
    }
  });

  it('proves any event’s inclusion, by seq or by id, in the latest or an earlier tree', async () => {
    const cp = await checkpointOf(600);
    for (const seq of [1, 2, 256, 257, 512, 599, 600]) {
      const res = await get(`/v1/log/inclusion?seq=${seq}`);
      assert.equal(res.statusCode, 200, res.body);
      const proof = res.json<{ leaf_index: number; tree_size: number; hashes: string[] }>();
      assert.equal(proof.leaf_index, seq - 1);
      assert.equal(proof.tree_size, 600);
      assert.ok(verifyInclusion(seq - 1, 600, leafOf(seq), b64(proof.hashes), cp.root), `seq ${seq}`);
      assert.ok(!verifyInclusion(seq - 1, 600, leafOf((seq % 600) + 1), b64(proof.hashes), cp.root));
    }
    const byId = await get('/v1/log/inclusion?id=ev-41');
    const proof = byId.json<{ leaf_index: number; hashes: string[] }>();
    assert.equal(proof.leaf_index, 41);
    assert.ok(verifyInclusion(41, 600, leafOf(42), b64(proof.hashes), cp.root));
    // In the tree of 300, whose root the tiles also give.
    const earlier = (await get('/v1/log/inclusion?seq=7&tree_size=300')).json<{
      hashes: string[];
      tree_size: number;
    }>();
    assert.equal(earlier.tree_size, 300);
    const tiles = new Map([
      [tileKey(0, 0), (await get('/v1/log/tile/0/000')).rawPayload],
      [tileKey(0, 1), (await get('/v1/log/tile/0/001.p/44')).rawPayload],
      // The root of the first 256 leaves is read from the level above, as tile clients do.
      [tileKey(1, 0), (await get('/v1/log/tile/1/000.p/1')).rawPayload],
    ]);
    assert.ok(verifyInclusion(6, 300, leafOf(7), b64(earlier.hashes), rootHash(300, tileNodes(tiles))));
  });

  it('refuses inclusion questions it cannot answer, naming the parameter', async () => {
    for (const [query, status, name] of [
      ['seq=601', 400, 'seq'],
      ['seq=5&tree_size=4', 400, 'seq'],
      ['seq=1&tree_size=601', 400, 'tree_size'],
      ['seq=1&id=ev-1', 400, 'seq'],
      ['', 400, 'seq'],
      ['seq=0', 400, 'seq'],
      ['id=no-such-event', 404, null],
    ] as const) {
      const res = await get(`/v1/log/inclusion?${query}`);
      assert.equal(res.statusCode, status, `${query}: ${res.body}`);
      if (name)
        assert.match(res.json<{ error: { message: string } }>().error.message, new RegExp(`\\b${name}\\b`));
    }
  });

  it('proves the log only grew: a consistency proof between two signed checkpoints', async () => {
    const first = await checkpointOf(600);
    await ingest(600, 1100);
    const second = await checkpointOf(1700);
    const res = await get(`/v1/log/consistency?from=${first.size}&to=${second.size}`);
    assert.equal(res.statusCode, 200, res.body);
    const proof = b64(res.json<{ hashes: string[] }>().hashes);
    assert.ok(verifyConsistency(first.size, second.size, proof, first.root, second.root));
    assert.ok(!verifyConsistency(first.size, second.size, proof, leafOf(1), second.root));
    // `to` defaults to the latest checkpoint.
    const latest = (await get(`/v1/log/consistency?from=${first.size}`)).json<{ hashes: string[] }>();
    assert.deepEqual(latest.hashes, res.json<{ hashes: string[] }>().hashes);
    for (const query of ['from=0', 'from=1701', `from=10&to=${second.size + 1}`, 'to=5']) {
      assert.equal((await get(`/v1/log/consistency?${query}`)).statusCode, 400, query);
    }
  });

  it('keeps every signed checkpoint, listed by size or signing time', async () => {
    const latest = await checkpointOf(1700);
    const all = (await get('/v1/log/checkpoints?limit=1000')).json<{
      checkpoints: { size: number; root: string; created_at: string; checkpoint: string }[];
    }>().checkpoints;
    assert.ok(all.length >= 2, `${all.length} checkpoints`);
    const sizes = all.map((c) => c.size);
    assert.deepEqual(
      sizes,
      [...sizes].sort((x, y) => x - y),
    );
    assert.equal(sizes.at(-1), 1700);
    for (const c of all) {
      const cp = parseCheckpoint(openNote(c.checkpoint, verifier) as string);
      assert.equal(cp?.size, c.size);
      assert.equal(cp?.root.toString('base64'), c.root);
    }
    const one = (await get('/v1/log/checkpoints?size=1700')).json<{
      checkpoints: { checkpoint: string }[];
    }>();
    assert.deepEqual(
      one.checkpoints.map((c) => c.checkpoint),
      [latest.note],
    );
    const cut = all[Math.floor(all.length / 2)] as (typeof all)[number];
    type Listed = { checkpoints: { size: number; created_at: string }[] };
    const since = (
      await get(`/v1/log/checkpoints?limit=1000&from=${encodeURIComponent(cut.created_at)}`)
    ).json<Listed>();
    assert.ok(since.checkpoints.some((c) => c.size === cut.size));
    assert.ok(since.checkpoints.every((c) => c.created_at >= cut.created_at));
    const before = (
      await get(`/v1/log/checkpoints?limit=1000&to=${encodeURIComponent(cut.created_at)}`)
    ).json<Listed>();
    assert.ok(before.checkpoints.some((c) => c.size === cut.size));
    assert.ok(before.checkpoints.every((c) => c.created_at <= cut.created_at));
    assert.equal(
      since.checkpoints.length + before.checkpoints.length,
      all.length + all.filter((c) => c.created_at === cut.created_at).length,
    );
    assert.equal(
      (await get('/v1/log/checkpoints?size=1701')).json<{ checkpoints: unknown[] }>().checkpoints.length,
      0,
    );
    assert.equal((await get('/v1/log/checkpoints?from=yesterday')).statusCode, 400);
  });

  it('needs events:read; an operator key reads the tenant it names', async () => {
    const writer = await t.key('acme', ['events:write']);
    assert.equal((await get('/v1/log/checkpoint', writer)).statusCode, 403);
    assert.equal((await get('/v1/log/key', null as unknown as string)).statusCode, 401);
    const made = await t.call('test-admin-token-0123456789', {
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'ops', scopes: ['events:read'] },
    });
    const operator = made.json<{ secret: string }>().secret;
    const res = await t.call(operator, {
      method: 'GET',
      url: '/v1/log/checkpoint',
      headers: { 'trailkeep-tenant': 'acme' },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(parseCheckpoint(openNote(res.body, verifier) as string)?.origin, 'audit.example.com/acme');
  });
});
