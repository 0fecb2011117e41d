import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { ABUSE_ENV, type Arena, ATTACKS, judge, prepareArena, victimLoop } from './attacks.js';
import { ENGINES, engineSuite, send, setting, TITLE } from './support.js';

/**
 * Issue #17's abuse suite: against a real server process, one tenant runs each attack while
 * another tenant reads and writes. Every one of the other tenant's requests must succeed, the
 * attacker must get its bounded 4xx (never a 5xx), and the process must stay up. Latencies
 * during each attack are the benchmark's (bench/abuse.ts), never asserted here.
 */
const EVENTS = setting('TRAILKEEP_TEST_ABUSE_EVENTS', 3000);

for (const engine of ENGINES) {
  describe(`abuse: one tenant cannot crash, stall or fill the service (${TITLE[engine]})`, () => {
    const suite = engineSuite(engine, ABUSE_ENV);
    let arena: Arena;
    let alive: () => boolean;

    it('sets up two tenants on a real server', async () => {
      const server = await suite.servers.start(suite.data.env, { keepChars: 200_000 });
      alive = server.alive;
      arena = await prepareArena(server.url, EVENTS);
    });

    for (const attack of ATTACKS) {
      it(`#${attack.finding}: ${attack.name}`, async () => {
        assert.ok(arena, 'the arena was set up');
        let attacking = true;
        const victim = victimLoop(arena, () => !attacking);
        const outcome = await attack.run(arena).finally(() => {
          attacking = false;
        });
        const seen = await victim;
        assert.deepEqual(
          judge(attack, outcome),
          [],
          `the attacker's answers: ${outcome.statuses.join(', ')}`,
        );
        assert.deepEqual(seen.failures, [], 'every request of the other tenant succeeded');
        assert.ok(alive(), 'the server process is still running');
      });
    }

    it('is still up and ready afterwards', async () => {
      const agent = new http.Agent({ keepAlive: false });
      const res = await send(agent, arena.base, 'GET', '/readyz', null);
      agent.destroy();
      assert.equal(res.status, 200, res.text);
      assert.ok(alive());
    });
  });
}
