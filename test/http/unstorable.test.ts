// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Strings no store can hold (NUL, a lone surrogate) are refused wherever a request carries them:
 * in a value, in an object key, and in a GraphQL string literal, which no request schema sees.
 */
describe('unstorable strings', () => {
  let t: TestApp;
  let key: string;
  const url = '/api/account/store/configuration/metadata/audit';
  const query = '{ auditData { accountId } }';
  const messages = async (payload: string) => {
    const res = await t.call(key, {
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload,
    });
    assert.equal(res.statusCode, 400, res.body);
    return res.json<{ errors: { message: string }[] }>().errors.map((e) => e.message);
  };
  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('store');
  });
  after(async () => t?.close());

  it('in an object key: NUL or a lone surrogate', async () => {
    for (const name of ['a\\u0000b', '\\ud800']) {
      const payload = `{"query":${JSON.stringify(query)},"variables":{"${name}":1}}`;
      assert.deepEqual(await messages(payload), ['variables has a malformed key'], name);
    }
  });

  it('in a value, as before', async () => {
    const payload = `{"query":${JSON.stringify(query)},"variables":{"v":"a\\u0000b"}}`;
    assert.deepEqual(await messages(payload), ['variables.v must not contain NUL characters']);
  });

  it('in a GraphQL string literal', async () => {
    const literal = '{ auditData(users: ["a\\u0000b"]) { accountId } }';
    assert.deepEqual(await messages(JSON.stringify({ query: literal })), [
      'users must be well-formed Unicode without NUL characters.',
    ]);
  });

  it('a well-formed key and value still pass', async () => {
    const res = await t.call(key, {
      method: 'POST',
      url,
      payload: { query, variables: { ключ: 'значение' } },
    });
    assert.equal(res.statusCode, 200, res.body);
  });
});
