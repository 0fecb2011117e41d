import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EMPTY_SEARCH,
  filtersBody,
  paramsFromJson,
  requestOf,
  searchFromUrl,
  searchToUrl,
} from '../../web/src/search-state.js';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');

describe('the viewer’s search state', () => {
  it('goes to the URL and back, defaults left out, never the credential', () => {
    const state = { query: 'actor:ada "two words"', range: '24h', order: 'asc' } as const;
    const url = searchToUrl(state);
    assert.equal(url, '?q=actor%3Aada+%22two+words%22&range=24h&order=asc');
    assert.deepEqual(searchFromUrl(url), state);
    assert.equal(searchToUrl(EMPTY_SEARCH), '');
    assert.deepEqual(searchFromUrl('?range=nonsense&order=sideways&token=x'), EMPTY_SEARCH);
    assert.equal(searchToUrl(EMPTY_SEARCH, { event: '42' }), '?event=42');
  });

  it('ANDs a preset with an after: term by taking the later start', () => {
    const preset = requestOf({ query: 'actor:ada', range: '24h', order: 'desc' }, [], NOW);
    assert.deepEqual(preset.params, [
      ['actor_id', 'ada'],
      ['from', '2026-03-09T12:00:00.000Z'],
    ]);
    const earlier = requestOf({ query: 'after:2026-01-01T00:00Z', range: '24h', order: 'desc' }, [], NOW);
    assert.deepEqual(earlier.params, [['from', '2026-03-09T12:00:00.000Z']]);
    const later = requestOf({ query: 'after:2026-03-10T06:00Z', range: '24h', order: 'desc' }, [], NOW);
    assert.deepEqual(later.params, [['from', '2026-03-10T06:00:00.000Z']]);
  });

  it('lets a search narrow an embedding page’s fixed filters but not widen them', () => {
    const fixed = paramsFromJson(
      '{"target_type":"ticket","target_id":["1","2"],"to":"2026-03-01T00:00:00Z"}',
    );
    const narrowed = requestOf(
      { query: 'outcome:failure before:2026-02-01T00:00Z', range: '', order: 'desc' },
      fixed,
      NOW,
    );
    assert.equal(narrowed.error, null);
    assert.deepEqual(narrowed.params, [
      ['target_type', 'ticket'],
      ['target_id', '1'],
      ['target_id', '2'],
      ['outcome', 'failure'],
      ['to', '2026-02-01T00:00:00.000Z'],
    ]);
    const widened = requestOf({ query: 'target:user', range: '', order: 'desc' }, fixed, NOW);
    assert.match(widened.error ?? '', /fixed to its own target_type/);
    assert.deepEqual(widened.params, []);
    assert.throws(() => paramsFromJson('[1]'), /JSON object/);
  });

  it('passes the query’s error on and sends nothing', () => {
    const bad = requestOf({ query: 'colour:red', range: '', order: 'desc' }, [], NOW);
    assert.match(bad.error ?? '', /Unknown filter/);
    assert.deepEqual(bad.params, []);
  });

  it('writes filters as an export body takes them', () => {
    assert.deepEqual(
      filtersBody([
        ['actor_id', 'a'],
        ['actor_id', 'b'],
        ['actor_id', 'c'],
        ['from', 'x'],
      ]),
      { actor_id: ['a', 'b', 'c'], from: 'x' },
    );
  });
});
