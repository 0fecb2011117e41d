import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.js';

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.TRAILKEEP_HOST, '127.0.0.1');
    assert.equal(c.TRAILKEEP_PORT, 8080);
    assert.equal(c.TRAILKEEP_DB, './data/trailkeep.db');
    assert.equal(c.TRAILKEEP_LOG_LEVEL, 'info');
    assert.equal(c.TRAILKEEP_ADMIN_TOKEN, undefined);
    assert.ok(Object.isFrozen(c));
  });
  it('coerces numbers and ignores unrelated variables', () => {
    const c = loadConfig({ TRAILKEEP_PORT: '9090', PATH: '/bin', TRAILKEEP_DB: 'sqlite:/tmp/x.db' });
    assert.equal(c.TRAILKEEP_PORT, 9090);
    assert.equal(c.TRAILKEEP_DB, 'sqlite:/tmp/x.db');
  });
  it('refuses a stream heartbeat that is not shorter than the idle timeout', () => {
    assert.equal(loadConfig({ TRAILKEEP_STREAM_HEARTBEAT: '59' }).TRAILKEEP_STREAM_HEARTBEAT, 59);
    for (const env of [
      { TRAILKEEP_STREAM_HEARTBEAT: '60' },
      { TRAILKEEP_STREAM_HEARTBEAT: '10', TRAILKEEP_IDLE_TIMEOUT: '5' },
    ]) {
      assert.throws(
        () => loadConfig(env),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.problems.length === 1 &&
          /^TRAILKEEP_STREAM_HEARTBEAT: must be less than TRAILKEEP_IDLE_TIMEOUT/.test(e.problems[0] ?? ''),
        JSON.stringify(env),
      );
    }
  });
  it('lists every invalid value at once', () => {
    assert.throws(
      () =>
        loadConfig({ TRAILKEEP_PORT: 'abc', TRAILKEEP_LOG_LEVEL: 'loud', TRAILKEEP_ADMIN_TOKEN: 'short' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.some((p) => p.startsWith('TRAILKEEP_PORT')) &&
        e.problems.some((p) => p.startsWith('TRAILKEEP_LOG_LEVEL')) &&
        e.problems.some((p) => p.startsWith('TRAILKEEP_ADMIN_TOKEN')),
    );
  });
});
