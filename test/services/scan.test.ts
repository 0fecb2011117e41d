// @engines sqlite
// Only SQLite: its reads are synchronous, which is what this file is about; PostgreSQL reads always yield.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { prepareEvent } from '../../src/core/event/prepare.js';
import { scanEvents } from '../../src/services/scan.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * A long read on SQLite lets the process serve others between its chunks (#17): SQLite reads are
 * synchronous, so a scan that only awaited them never gave the event loop a turn. Measured by
 * what ran meanwhile (turns of the loop, another client's request), never by time.
 */

const EVENTS = 5000;
const CHUNK = 50;

/** Counts the event loop's turns: a callback that schedules itself for the next turn. */
function countTurns(): { turns: () => number; stop: () => void } {
  let turns = 0;
  let handle = setImmediate(function turn() {
    turns++;
    handle = setImmediate(turn);
  });
  return { turns: () => turns, stop: () => clearImmediate(handle) };
}

describe('long reads yield between chunks (SQLite)', () => {
  let t: TestApp;
  let other: string;
  before(async () => {
    t = await startTestApp();
    await t.tenantWithKey('acme');
    other = await t.tenantWithKey('globex');
    const events = Array.from({ length: EVENTS }, (_, i) =>
      prepareEvent({ occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), action: `a${i}` }),
    );
    for (let i = 0; i < EVENTS; i += 1000) {
      await t.services.store.events.append('acme', events.slice(i, i + 1000), 0);
    }
  });
  after(() => t.close());

  it('scanEvents gives the event loop a turn before every chunk after the first', async () => {
    const loop = countTurns();
    const seen: number[] = [];
    let rows = 0;
    try {
      for await (const chunk of scanEvents(t.services.store.events, 'acme', {}, 'asc', CHUNK)) {
        seen.push(loop.turns());
        rows += chunk.length;
      }
    } finally {
      loop.stop();
    }
    assert.equal(rows, EVENTS);
    assert.equal(seen.length, EVENTS / CHUNK);
    for (let i = 1; i < seen.length; i++) {
      assert.ok((seen[i] as number) > (seen[i - 1] as number), `no turn of the loop before chunk ${i}`);
    }
  });

  it('EventService.take reading far for a rare condition yields too', async () => {
    const loop = countTurns();
    let picks = 0;
    let turnsAtFirst = -1;
    try {
      const kept = await t.services.events.take(
        'acme',
        {},
        'asc',
        1,
        (row) => {
          if (picks++ === 0) turnsAtFirst = loop.turns();
          return row.seq === EVENTS ? row : undefined;
        },
        CHUNK,
      );
      assert.equal(kept.length, 1);
      assert.equal(picks, EVENTS);
      assert.ok(loop.turns() - turnsAtFirst >= EVENTS / CHUNK - 1, `${loop.turns() - turnsAtFirst} turns`);
    } finally {
      loop.stop();
    }
  });

  it('another tenant’s request over a real socket is answered while a long scan runs', async () => {
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    let chunks = 0;
    let answeredAt: number | undefined;
    let answer: Promise<number> | undefined;
    for await (const _ of t.services.events.scan('acme', {}, 'asc', CHUNK)) {
      chunks++;
      answer ??= fetch(`${url}/v1/events?limit=1`, { headers: { authorization: `Bearer ${other}` } }).then(
        async (res) => {
          answeredAt = chunks;
          await res.arrayBuffer();
          return res.status;
        },
      );
    }
    assert.equal(await answer, 200);
    assert.ok(
      answeredAt !== undefined && answeredAt < chunks,
      `answered after chunk ${answeredAt} of ${chunks}: the scan held the event loop`,
    );
  });
});
