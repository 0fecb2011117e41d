// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import { prepareEvent } from '../../src/core/event/prepare.js';
import { appendLeaves } from '../../src/core/log/append.js';
import { checkpointText, parseCheckpoint } from '../../src/core/log/checkpoint.js';
import { consistencyProof, leafHash, verifyConsistency } from '../../src/core/log/merkle.js';
import { openNote, signNote } from '../../src/core/log/note.js';
import { tileNodes, tilesNeeded } from '../../src/core/log/tiles.js';
import { Checkpointer, readEdge } from '../../src/services/log/checkpointer.js';
import { loadLogSigner } from '../../src/services/log/signer.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { type TestData, testData } from '../helpers/app.js';

const NODES = 4;
const TENANT = 'race';

/**
 * Nodes racing to sign: several stores on one database (as several servers are), each with its
 * checkpointer, run rounds as fast as they can while events arrive. However they interleave,
 * no tree size gets two roots, every checkpoint extends the one before, and the last covers
 * every event.
 */
describe('checkpointing nodes racing on one database', () => {
  let data: TestData;
  let nodes: Store[];

  before(async () => {
    data = await testData();
    nodes = [];
    for (let i = 0; i < NODES; i++)
      nodes.push(await openStore(data.env.TRAILKEEP_DB as string, { poolSize: 4 }));
    await nodes[0]?.tenants.create({ id: TENANT, name: 'Race' }, Date.now());
  });
  after(async () => {
    for (const n of nodes) await n.close();
    await data.remove();
  });

  it('never records two roots for a size, and each checkpoint extends the last', async () => {
    const settings = { TRAILKEEP_LOG_NAME: 'race.example' };
    // Every node loads the same generated key from the database.
    const signers = await Promise.all(nodes.map((n) => loadLogSigner(settings, n.settings)));
    assert.equal(new Set(signers.map((s) => s.secret)).size, 1);
    const failures: unknown[] = [];
    const checkpointers = nodes.map(
      (log, i) =>
        new Checkpointer({
          log: log.log,
          signer: signers[i] as (typeof signers)[number],
          clock: Date.now,
          onFailure: async (f) => void failures.push(f),
        }),
    );
    let writing = true;
    const writer = (async () => {
      for (let b = 0; b < 60; b++) {
        const events = Array.from({ length: 1 + (b % 7) * 9 }, (_, i) =>
          prepareEvent({
            occurred_at: new Date(Date.UTC(2026, 3, 1, 0, b, i)).toISOString(),
            action: 'race.write',
          }),
        );
        await (nodes[b % NODES] as Store).events.append(TENANT, events, Date.now());
      }
      writing = false;
    })();
    const racers = checkpointers.map(async (c) => {
      while (writing) {
        await c.round();
        // A round with nothing to do settles in microtasks alone: let the writer's appends run.
        await yieldLoop();
      }
      await c.round();
    });
    await Promise.all([writer, ...racers]);
    assert.deepEqual(failures, []);

    const store = nodes[0] as Store;
    const last = await store.events.lastSeq(TENANT);
    const all = await store.log.checkpoints(TENANT, { limit: 100_000 });
    assert.equal(all.at(-1)?.size, last, 'the last checkpoint covers every event');
    assert.ok(all.length > 5, `${all.length} checkpoints`);
    const sizes = all.map((c) => c.size);
    assert.equal(new Set(sizes).size, sizes.length, 'one checkpoint per size');
    for (const [i, c] of all.entries()) {
      const cp = parseCheckpoint(openNote(c.note, signers[0] as (typeof signers)[number]) as string);
      assert.equal(cp?.size, c.size);
      assert.ok(cp?.root.equals(c.root));
      const prev = all[i - 1];
      if (prev) {
        const needed = await store.log.tiles(
          TENANT,
          tilesNeeded((n) => consistencyProof(prev.size, c.size, n)),
        );
        const proof = consistencyProof(prev.size, c.size, tileNodes(needed));
        assert.ok(verifyConsistency(prev.size, c.size, proof, prev.root, c.root), `${prev.size} → ${c.size}`);
      }
    }
  });

  it('refuses a second root for a signed size, whoever tries', async () => {
    const store = nodes[1] as Store;
    const signer = await loadLogSigner({ TRAILKEEP_LOG_NAME: 'race.example' }, store.settings);
    const latest = await store.log.latest(TENANT);
    assert.ok(latest);
    // A forged extension of the signed size: another leaf where the last one was.
    const edge = await readEdge(store.log, TENANT, latest.size - 1);
    const forged = appendLeaves(edge, [leafHash(Buffer.alloc(32, 7))]);
    assert.ok(!forged.root.equals(latest.root));
    const note = signNote(
      checkpointText({ origin: `race.example/${TENANT}`, size: latest.size, root: forged.root }),
      signer,
    );
    const attempts = await Promise.all(
      nodes.map((n) =>
        n.log.extend([
          {
            tenant: TENANT,
            from: latest.size - 1,
            tiles: forged.writes,
            checkpoint: { size: latest.size, root: forged.root, note, created_at: Date.now() },
          },
        ]),
      ),
    );
    assert.deepEqual(
      attempts,
      nodes.map(() => ['raced']),
    );
    const same = await store.log.checkpoints(TENANT, {
      minSize: latest.size,
      maxSize: latest.size,
      limit: 10,
    });
    assert.deepEqual(
      same.map((c) => c.root.toString('base64')),
      [latest.root.toString('base64')],
    );
  });
});
