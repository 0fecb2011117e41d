import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FilterQuerySchema } from '../../src/core/filters.js';
import {
  FIELD_PARAMS,
  type Param,
  parseQuery,
  parseWhen,
  quote,
  termText,
  withoutTerm,
  withTerm,
} from '../../web/src/query.js';

// Dates without an offset are local: a zone with an offset, and summer time, makes that visible.
process.env.TZ = 'Europe/Paris';

const params = (text: string): Param[] => {
  const parsed = parseQuery(text);
  assert.equal(parsed.error, null, `${text}: ${parsed.error?.message}`);
  return parsed.params;
};

const error = (text: string) => {
  const parsed = parseQuery(text);
  assert.ok(parsed.error, `${text} should be refused`);
  assert.deepEqual(parsed.params, []);
  return parsed.error;
};

describe('the viewer’s query language', () => {
  it('reads the issue’s example into the API’s filters', () => {
    assert.deepEqual(
      params('actor:ada action:user.* outcome:failure target:ticket/123 after:2026-01-01 "free text"'),
      [
        ['actor_id', 'ada'],
        ['action_prefix', 'user.'],
        ['outcome', 'failure'],
        ['target_type', 'ticket'],
        ['target_id', '123'],
        ['from', '2025-12-31T23:00:00.000Z'],
        ['q', 'free text'],
      ],
    );
  });

  it('maps each key', () => {
    assert.deepEqual(params('action:user.login'), [['action', 'user.login']]);
    assert.deepEqual(params('target:ticket'), [['target_type', 'ticket']]);
    assert.deepEqual(params('target:doc/a/b'), [
      ['target_type', 'doc'],
      ['target_id', 'a/b'],
    ]);
    assert.deepEqual(params('before:2026-07-01T09:30'), [['to', '2026-07-01T07:30:00.000Z']]);
    assert.deepEqual(params('after:2026-01-01T10:00:00Z'), [['from', '2026-01-01T10:00:00.000Z']]);
    assert.deepEqual(params('after:2026-01-01T10:00:00+05:00'), [['from', '2026-01-01T05:00:00.000Z']]);
    assert.deepEqual(params('seq:42'), [
      ['min_seq', '42'],
      ['max_seq', '42'],
    ]);
    assert.deepEqual(params('action:*'), [], 'every action: no filter');
  });

  it('takes any other filter parameter by its name, case-insensitively', () => {
    assert.deepEqual(params('service:billing IP:10.0.0.1 session_id:s-1 category:auth'), [
      ['service', 'billing'],
      ['ip', '10.0.0.1'],
      ['session_id', 's-1'],
      ['category', 'auth'],
    ]);
  });

  it('repeats a key to OR its values, and joins free text into one q', () => {
    assert.deepEqual(params('actor:ada reset actor:bob "two words"'), [
      ['actor_id', 'ada'],
      ['actor_id', 'bob'],
      ['q', 'reset two words'],
    ]);
    assert.deepEqual(params('q:login  failed'), [['q', 'login failed']]);
  });

  it('reads quoted values and keeps each term’s place for the chips', () => {
    const parsed = parseQuery('actor:"Ada Lovelace"  outcome:success');
    assert.deepEqual(
      parsed.terms.map((t) => [t.text, t.key, t.value, t.start, t.end]),
      [
        ['actor:"Ada Lovelace"', 'actor', 'Ada Lovelace', 0, 20],
        ['outcome:success', 'outcome', 'success', 22, 37],
      ],
    );
    assert.deepEqual(parsed.params, [
      ['actor_id', 'Ada Lovelace'],
      ['outcome', 'success'],
    ]);
    assert.deepEqual(params(''), []);
    assert.deepEqual(params('   '), []);
  });

  it('names an unknown key, a bad date and other mistakes, with where they are', () => {
    const unknown = error('actor:ada colour:red');
    assert.match(unknown?.message ?? '', /Unknown filter “colour:”/);
    assert.deepEqual([unknown?.start, unknown?.end], [10, 20]);
    assert.match(error('after:yesterday')?.message ?? '', /after: needs a date/);
    assert.match(error('before:2026-02-30')?.message ?? '', /before: needs a date/, 'no 30 February');
    assert.match(error('after:2026-13-01')?.message ?? '', /after: needs a date/);
    assert.match(error('outcome:maybe')?.message ?? '', /outcome: is one of success, failure, warning/);
    assert.match(error('action:*.login')?.message ?? '', /only at the end/);
    assert.match(error('target:/12')?.message ?? '', /target: is type\/id/);
    assert.match(error('actor:')?.message ?? '', /actor: needs a value/);
    assert.match(error('"unclosed')?.message ?? '', /quote is not closed/);
    assert.match(error('seq:0')?.message ?? '', /positive whole number/);
    assert.match(error('after:2026-01-01 after:2026-02-01')?.message ?? '', /after: may be given once/);
    assert.match(error('action:a* action:b*')?.message ?? '', /action: with \* may be given once/);
  });

  it('lets text with a colon be searched when quoted', () => {
    assert.deepEqual(params('"https://example.com"'), [['q', 'https://example.com']]);
    assert.deepEqual(params('10:30'), [['q', '10:30']], 'no key: free text');
  });

  it('removes and adds terms as chips do', () => {
    const text = 'actor:ada  action:user.* "free text"';
    const [, action] = parseQuery(text).terms;
    assert.ok(action);
    assert.equal(withoutTerm(text, action), 'actor:ada "free text"');
    assert.equal(withTerm('actor:ada', termText('target', 'ticket/1')), 'actor:ada target:ticket/1');
    assert.equal(withTerm('actor:ada', 'actor:ada'), 'actor:ada', 'not twice');
    assert.equal(termText('actor', 'Ada Lovelace'), 'actor:"Ada Lovelace"');
    assert.equal(quote('plain'), 'plain');
    assert.deepEqual(params(withTerm('', termText('actor', 'Ada Lovelace'))), [['actor_id', 'Ada Lovelace']]);
  });

  it('reads dates as local midnight, date-times in the local zone unless they carry one', () => {
    assert.equal(parseWhen('2026-07-01'), '2026-06-30T22:00:00.000Z', 'summer time: UTC+2');
    assert.equal(parseWhen('2026-07-01 09:30:15.5'), '2026-07-01T07:30:15.500Z');
    assert.equal(parseWhen('2026-07-01T09:30:15.250Z'), '2026-07-01T09:30:15.250Z');
    assert.equal(parseWhen('2026-07-01T25:00'), null);
    assert.equal(parseWhen('01/07/2026'), null);
    assert.equal(parseWhen('10000-01-01'), null);
  });

  it('knows exactly the API’s filter parameters (besides from, to and q, which have keys of their own)', () => {
    const api = Object.keys(FilterQuerySchema.properties)
      .filter((p) => !['from', 'to', 'q'].includes(p))
      .sort();
    assert.deepEqual([...FIELD_PARAMS].sort(), api);
  });
});
