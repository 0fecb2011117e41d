import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TrailkeepError } from '../../src/core/errors.js';
import { dateTimeParam, parseDateTime, parseInstant, parseInterval } from '../../src/core/interval.js';

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

describe('a valid date-time', () => {
  const ms = (s: string) => Date.parse(s);

  test('RFC 3339 in any of its spellings, cut to the millisecond', () => {
    const table: [string, string][] = [
      ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00.000Z'],
      ['2024-05-01t10:00:00z', '2024-05-01T10:00:00.000Z'],
      ['2024-05-01 10:00:00+02:00', '2024-05-01T08:00:00.000Z'],
      ['2024-05-01T10:00:00.1Z', '2024-05-01T10:00:00.100Z'],
      ['2024-05-01T10:00:00.123456789012Z', '2024-05-01T10:00:00.123Z'],
      ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z'],
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ];
    for (const [text, expected] of table) assert.equal(parseDateTime(text), ms(expected), text);
  });

  test('impossible dates and instants outside years 0000-9999 are not dates', () => {
    for (const text of [
      '',
      'now',
      '2024-02-30T00:00:00Z',
      '2024-05-01T24:00:00Z',
      '2024-05-01T10:00:00+24:00',
      '0000-01-01T00:00:00+00:01',
      '9999-12-31T23:59:59-00:01',
      '+010000-01-01T00:00:00Z',
    ]) {
      assert.equal(parseDateTime(text), null, text);
    }
  });

  test('a parameter that is not one is invalid_request naming it', () => {
    assert.equal(dateTimeParam('2024-05-01T10:00:00Z', 'from'), ms('2024-05-01T10:00:00Z'));
    assert.throws(
      () => dateTimeParam('2024-02-30T00:00:00Z', 'to', 'query.to'),
      (e: TrailkeepError) =>
        e.code === 'invalid_request' &&
        e.message.startsWith('to must be an RFC 3339 date-time') &&
        JSON.stringify(e.details) === JSON.stringify([{ path: 'query.to', message: e.message.slice(3) }]),
    );
  });
});
