import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHumanTime } from '../../src/core/time.js';

/** The human-friendly time grammar (docs/event-model.md §4) against a fixed clock. */
describe('human-friendly times', () => {
  const ms = (s: string) => Date.parse(s);
  const NOW = ms('2026-03-11T15:42:07.250Z');

  test('anchors, steps and units resolve against the given now, in UTC', () => {
    const table: [string, string][] = [
      ['now', '2026-03-11T15:42:07.250Z'],
      ['NOW', '2026-03-11T15:42:07.250Z'],
      ['  now  ', '2026-03-11T15:42:07.250Z'],
      ['today', '2026-03-11T00:00:00Z'],
      ['Today', '2026-03-11T00:00:00Z'],
      ['yesterday', '2026-03-10T00:00:00Z'],
      ['tomorrow', '2026-03-12T00:00:00Z'],
      ['now-1day', '2026-03-10T15:42:07.250Z'],
      ['now-1days', '2026-03-10T15:42:07.250Z'],
      ['now-2days', '2026-03-09T15:42:07.250Z'],
      ['now-3h', '2026-03-11T12:42:07.250Z'],
      ['now-3hour', '2026-03-11T12:42:07.250Z'],
      ['now-3hours', '2026-03-11T12:42:07.250Z'],
      ['now+15m', '2026-03-11T15:57:07.250Z'],
      ['now+15minute', '2026-03-11T15:57:07.250Z'],
      ['now+15minutes', '2026-03-11T15:57:07.250Z'],
      ['now-30s', '2026-03-11T15:41:37.250Z'],
      ['now-1second', '2026-03-11T15:42:06.250Z'],
      ['now-30seconds', '2026-03-11T15:41:37.250Z'],
      ['now-1d', '2026-03-10T15:42:07.250Z'],
      ['now-1w', '2026-03-04T15:42:07.250Z'],
      ['now-1week', '2026-03-04T15:42:07.250Z'],
      ['now-2weeks', '2026-02-25T15:42:07.250Z'],
      ['today-1week', '2026-03-04T00:00:00Z'],
      ['today+8h', '2026-03-11T08:00:00Z'],
      ['yesterday+12h', '2026-03-10T12:00:00Z'],
      ['now-1d+3h', '2026-03-10T18:42:07.250Z'],
      ['now - 1 DAY', '2026-03-10T15:42:07.250Z'],
      ['now+0m', '2026-03-11T15:42:07.250Z'],
      ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z'],
      ['2024-05-01T10:00:00.123Z', '2024-05-01T10:00:00.123Z'],
      ['2024-05-01T12:00:00+02:00', '2024-05-01T10:00:00Z'],
      ['2024-05-01t10:00:00z', '2024-05-01T10:00:00Z'],
      ['2024-05-01T10:00:00', '2024-05-01T10:00:00Z'],
      ['2024-05-01 10:00', '2024-05-01T10:00:00Z'],
      ['2024-05-01', '2024-05-01T00:00:00Z'],
    ];
    for (const [text, expected] of table) {
      assert.equal(parseHumanTime(text, NOW), ms(expected), text);
    }
  });

  test('today is midnight UTC even just before and at midnight', () => {
    assert.equal(parseHumanTime('today', ms('2026-03-11T23:59:59.999Z')), ms('2026-03-11T00:00:00Z'));
    assert.equal(parseHumanTime('today', ms('2026-03-11T00:00:00Z')), ms('2026-03-11T00:00:00Z'));
    assert.equal(parseHumanTime('yesterday', ms('2026-03-01T00:30:00Z')), ms('2026-02-28T00:00:00Z'));
  });

  test('anything else is null', () => {
    for (const text of [
      '',
      ' ',
      'never',
      'now-',
      'now-1',
      'now-1y',
      'now-1month',
      'now-1M',
      'now-1H',
      'now-1dayz',
      'now1d',
      'now*2d',
      'now-1.5h',
      'today-',
      'nowtoday',
      '-1d',
      '1d',
      '2024-13-01',
      '2024-02-30',
      '2024-05-01T25:00:00Z',
      '01/05/2024',
      'now-9999999w',
      'now+99999999d',
    ]) {
      assert.equal(parseHumanTime(text, NOW), null, JSON.stringify(text));
    }
  });
});
