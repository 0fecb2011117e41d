import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrailkeepError } from '../../src/core/errors.js';
import { TIME_MAX, TIME_MIN } from '../../src/core/interval.js';
import { zonedDayRange } from '../../src/core/zoned-days.js';

const utc = (iso: string) => Date.parse(iso);

/**
 * Day boundaries where local midnight does not exist (the clocks jump from 00:00 to 01:00) or
 * exists twice (they fall back from 01:00 to 00:00). The expected instants are the zones' own
 * transitions, written out by hand from the time-zone database.
 */
describe('zonedDayRange', () => {
  it('a day that starts in a DST gap begins when the clocks jump, and ends when the next day begins', () => {
    // Chile: 2026-09-06 00:00 -04 does not exist; the day begins at 01:00 -03, 04:00 UTC.
    assert.deepEqual(zonedDayRange('America/Santiago', '2026-09-06', '2026-09-06'), {
      from: utc('2026-09-06T04:00:00Z'),
      to: utc('2026-09-07T03:00:00Z'),
    });
    // The day before ends where that day begins, not an hour later.
    assert.equal(
      zonedDayRange('America/Santiago', '2026-09-05', '2026-09-05').to,
      utc('2026-09-06T04:00:00Z'),
    );
  });

  it('the day after a gap day ends on time in every zone that jumps at midnight', () => {
    const cases: [string, string, string][] = [
      // zone, a day whose midnight is in a gap, when the day after it begins (UTC)
      ['America/Havana', '2026-03-08', '2026-03-09T04:00:00Z'],
      ['Asia/Beirut', '2026-03-29', '2026-03-29T21:00:00Z'],
      ['Africa/Cairo', '2026-04-24', '2026-04-24T21:00:00Z'],
      ['America/Santiago', '2026-09-06', '2026-09-07T03:00:00Z'],
    ];
    for (const [zone, day, next] of cases) {
      assert.equal(zonedDayRange(zone, day, day).to, utc(next), `${zone} ${day}`);
    }
  });

  it('a day whose midnight happens twice begins at the first one', () => {
    // Cuba falls back from 01:00 -04 to 00:00 -05 on 2026-11-01: the day begins at 04:00 UTC.
    assert.deepEqual(zonedDayRange('America/Havana', '2026-11-01', '2026-11-01'), {
      from: utc('2026-11-01T04:00:00Z'),
      to: utc('2026-11-02T05:00:00Z'),
    });
    assert.equal(zonedDayRange('America/Havana', '2026-10-31', '2026-10-31').to, utc('2026-11-01T04:00:00Z'));
  });

  it('ordinary days are their zone midnights', () => {
    assert.deepEqual(zonedDayRange('US/Eastern', '2026-03-01', '2026-03-02'), {
      from: utc('2026-03-01T05:00:00Z'),
      to: utc('2026-03-03T05:00:00Z'),
    });
    assert.deepEqual(zonedDayRange('UTC', '2026-01-01'), { from: utc('2026-01-01T00:00:00Z') });
  });

  it('days at the ends of years 0000–9999 are clamped to the instants an event can have', () => {
    assert.deepEqual(zonedDayRange('Asia/Tokyo', '0000-01-01', '9999-12-31'), {
      from: TIME_MIN,
      to: utc('9999-12-31T15:00:00Z'),
    });
    assert.deepEqual(zonedDayRange('America/New_York', '9999-12-31', '9999-12-31'), {
      from: utc('9999-12-31T05:00:00Z'),
      to: TIME_MAX + 1,
    });
  });

  it('refuses dates that are not days, and ranges that end before they start', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '26-01-01', '2026-1-1', '+12026-01-01']) {
      assert.throws(
        () => zonedDayRange('UTC', bad),
        (e: unknown) => e instanceof TrailkeepError && e.code === 'invalid_request',
        bad,
      );
    }
    assert.throws(() => zonedDayRange('UTC', '2026-01-02', '2026-01-01'), /toDate is before fromDate/);
  });
});
