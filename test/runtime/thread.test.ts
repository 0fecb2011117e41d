import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ThreadRequests } from '../../src/runtime/thread.js';

/** Doubles `x` after `delay` ms; a message with `die` ends the thread at once. */
const DOUBLER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.die) process.exit(3);
  setTimeout(() => parentPort.postMessage(m.x < 0 ? { id: m.id, error: 'negative' } : { id: m.id, value: m.x * 2 }), m.delay);
});`;

type Answer = { id: number; value: number } | { id: number; error: string };

function doubler() {
  let started = 0;
  const requests = new ThreadRequests<Answer, number>(
    () => {
      started += 1;
      return new Worker(DOUBLER, { eval: true });
    },
    (a) => ('value' in a ? a.value : new Error(a.error)),
    (why) => new Error(`lost: ${why}`),
  );
  const ask = (x: number, delay = 0) => requests.request((id) => ({ id, x, delay }));
  return { requests, ask, started: () => started };
}

describe('ThreadRequests', () => {
  it('matches answers to their requests, whatever order they come back in, on one thread', async () => {
    const { ask, started } = doubler();
    const slow = ask(1, 50);
    const fast = ask(2, 0);
    assert.equal(await fast, 4);
    assert.equal(await slow, 2);
    await assert.rejects(ask(-1), /negative/);
    assert.equal(started(), 1);
  });

  it('fails the requests a dying thread had not answered, and starts a new thread for the next', async () => {
    const { requests, ask, started } = doubler();
    assert.equal(await ask(5), 10);
    const pending = ask(6, 1000);
    const dying = requests.request((id) => ({ id, die: true }));
    await assert.rejects(pending, /lost: exit 3/);
    await assert.rejects(dying, /lost: exit 3/);
    assert.equal(await ask(7), 14);
    assert.equal(started(), 2);
  });
});
