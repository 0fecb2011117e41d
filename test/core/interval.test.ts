import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TrailkeepError } from '../../src/core/errors.js';
import { parseInstant, parseInterval } from '../../src/core/interval.js';

describe('ISO-8601 intervals', () => {
  const ms = (s: string) => Date.parse(s);

  test('start/end with zones, fractions and date-only sides', () => {
    assert.deepEqual(parseInterval('2024-05-01T10:00:00Z/2024-05-01T11:00:00.250Z'), {
      from: ms('2024-05-01T10:00:00Z'),
      to: ms('2024-05-01T11:00:00.250Z'),
    });
    assert.deepEqual(parseInterval('2024-05-01T12:00:00+02:00/2024-05-02'), {
      from: ms('2024-05-01T10:00:00Z'),
      to: ms('2024-05-02T00:00:00Z'),
    });
    assert.equal(parseInstant('2024-05-01T10:00:00'), ms('2024-05-01T10:00:00Z'), 'no zone is UTC');
    assert.equal(parseInstant('2024-05-01T10:00:00.123456-0130'), ms('2024-05-01T11:30:00.123Z'));
  });

  test('one side a duration', () => {
    assert.deepEqual(parseInterval('2024-05-01T00:00:00Z/P1DT2H'), {
      from: ms('2024-05-01T00:00:00Z'),
      to: ms('2024-05-02T02:00:00Z'),
    });
    assert.deepEqual(parseInterval('P1M/2024-03-31T00:00:00Z'), {
      from: ms('2024-03-02T00:00:00Z'), // 2024-02-31 rolls over, as calendar arithmetic does
      to: ms('2024-03-31T00:00:00Z'),
    });
    assert.deepEqual(parseInterval('P2W/2024-05-15T00:00:00Z').from, ms('2024-05-01T00:00:00Z'));
  });

  test('malformed, impossible, empty or reversed intervals name the field', () => {
    for (const bad of [
      '',
      'yesterday',
      '2024-05-01T00:00:00Z',
      '2024-05-01T00:00:00Z/2024-05-01T00:00:00Z',
      '2024-05-02T00:00:00Z/2024-05-01T00:00:00Z',
      '2024-02-30T00:00:00Z/2024-03-01T00:00:00Z',
      '2024-05-01T24:00:00Z/2024-05-02T00:00:00Z',
      '2024-05-01T00:00:00+25:00/2024-05-02T00:00:00Z',
      'P/2024-05-01T00:00:00Z',
      'P1D/P2D',
      '2024-05-01T00:00:00Z/2024-05-02T00:00:00Z/2024-05-03T00:00:00Z',
      '9999-12-31T00:00:00Z/P2D',
    ]) {
      assert.throws(
        () => parseInterval(bad, 'interval'),
        (e: unknown) =>
          e instanceof TrailkeepError &&
          e.code === 'invalid_request' &&
          JSON.stringify(e.details).includes('$.interval'),
        bad,
      );
    }
  });
});
