import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TrailkeepError } from '../../src/core/errors.js';
import { canonicalJson } from '../../src/core/event/seal.js';
import { compileSchema } from '../../src/core/schema.js';
import { applyPii, checkPiiField, checkPiiRules, MASK, PiiRulesSchema } from '../../src/core/streams/pii.js';
import type { PiiRule } from '../../src/core/streams/stream.js';

const KEY = Buffer.from('a stream key of thirty-two bytes');
const hmac = (text: string) => createHmac('sha256', KEY).update(text).digest('hex');

const EVENT = {
  id: 'e1',
  tenant: 't1',
  seq: 7,
  hash: 'ab'.repeat(32),
  action: 'user.update',
  actor: { id: 'u1', email: 'ann@example.com', privileged: true },
  source: { ip: ['203.0.113.7', '10.0.0.1'] },
  changes: [
    { field: 'email', old: ['ann@old.example'], new: ['ann@example.com'] },
    { field: 'name', new: ['Ann'] },
  ],
  context: { 'x-forwarded-for': '198.51.100.1' },
};
const frozen = () => JSON.parse(JSON.stringify(EVENT)) as typeof EVENT;

describe('applyPii', () => {
  it('hmac: the keyed hex digest of a string, so equal values still join', () => {
    const { event, redacted } = applyPii(frozen(), [{ field: 'actor.email', action: 'hmac' }], KEY);
    assert.equal(event.actor.email, hmac('ann@example.com'));
    assert.deepEqual(redacted, ['actor.email']);
    const again = applyPii(
      { actor: { email: 'ann@example.com' } },
      [{ field: 'actor.email', action: 'hmac' }],
      KEY,
    );
    assert.equal(again.event.actor.email, event.actor.email);
  });

  it('hmac of a non-string is of its canonical JSON', () => {
    const { event } = applyPii(frozen(), [{ field: 'actor.privileged', action: 'hmac' }], KEY);
    assert.equal(event.actor.privileged, hmac('true'));
    const whole = applyPii(frozen(), [{ field: 'actor', action: 'hmac' }], KEY).event;
    assert.equal(whole.actor, hmac(canonicalJson(EVENT.actor)));
  });

  it('hmac needs the key', () => {
    assert.throws(() => applyPii(frozen(), [{ field: 'actor.email', action: 'hmac' }], null));
  });

  it('mask keeps each value’s type', () => {
    const { event } = applyPii(
      frozen(),
      [
        { field: 'actor.email', action: 'mask' },
        { field: 'actor.privileged', action: 'mask' },
      ],
      null,
    );
    assert.deepEqual(event.actor, { id: 'u1', email: MASK, privileged: false });
  });

  it('drop removes the member', () => {
    const { event, redacted } = applyPii(frozen(), [{ field: 'actor.email', action: 'drop' }], null);
    assert.deepEqual(event.actor, { id: 'u1', privileged: true });
    assert.deepEqual(redacted, ['actor.email']);
  });

  it('arrays along the path, and at its end, apply to every element', () => {
    const { event } = applyPii(
      frozen(),
      [
        { field: 'source.ip', action: 'hmac' },
        { field: 'changes.new', action: 'mask' },
        { field: 'changes.old', action: 'drop' },
      ],
      KEY,
    );
    assert.deepEqual(event.source.ip, [hmac('203.0.113.7'), hmac('10.0.0.1')]);
    assert.deepEqual(event.changes, [
      { field: 'email', new: [MASK] },
      { field: 'name', new: [MASK] },
    ]);
  });

  it('context keys with dashes are reachable', () => {
    const { event } = applyPii(frozen(), [{ field: 'context.x-forwarded-for', action: 'drop' }], null);
    assert.deepEqual(event.context, {});
  });

  it('redacted lists only the rules that changed something, each once', () => {
    const { event, redacted } = applyPii(
      frozen(),
      [
        { field: 'actor.phone', action: 'mask' },
        { field: 'target.name', action: 'drop' },
        { field: 'actor.email', action: 'mask' },
        { field: 'actor.email', action: 'mask' },
      ],
      null,
    );
    assert.deepEqual(redacted, ['actor.email']);
    assert.equal(event.actor.email, MASK);
    assert.deepEqual(applyPii(frozen(), [], KEY), { event: frozen(), redacted: [] });
  });

  it('never changes its input, and shares what no rule touched', () => {
    const input = frozen();
    const { event } = applyPii(
      input,
      [
        { field: 'actor.email', action: 'hmac' },
        { field: 'source.ip', action: 'mask' },
        { field: 'changes.old', action: 'drop' },
      ],
      KEY,
    );
    assert.deepEqual(input, EVENT);
    assert.notEqual(event.actor, input.actor);
    assert.equal(event.context, input.context);
  });

  it('refuses rules on the proof fields and paths through a prototype', () => {
    for (const field of [
      'tenant',
      'seq',
      'hash',
      'hash.x',
      '__proto__.x',
      'a.constructor',
      'a..b',
      '',
      'a b',
    ]) {
      assert.throws(
        () => applyPii(frozen(), [{ field, action: 'drop' }], null),
        (err: unknown) => err instanceof TrailkeepError && err.code === 'invalid_request',
        field,
      );
    }
  });

  it('property: no dropped or masked value is left anywhere in the JSON text', () => {
    const secret = fc.stringMatching(/^SECRET-[a-z0-9]{6,12}$/);
    const leaf = fc.oneof(secret, fc.constantFrom('public', 'x'));
    const node = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 3 }), tie('object')),
      object: fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('value'), { maxKeys: 3 }),
    }));
    const paths = fc
      .array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 })
      .map((p) => p.join('.'));
    fc.assert(
      fc.property(
        node.object,
        fc.array(
          fc.record({
            field: paths,
            action: fc.constantFrom('mask', 'drop') as fc.Arbitrary<'mask' | 'drop'>,
          }),
          {
            maxLength: 4,
          },
        ),
        (event, rules: PiiRule[]) => {
          const before = JSON.stringify(event);
          const { event: out } = applyPii(event, rules, null);
          assert.equal(JSON.stringify(event), before);
          // Every value the rules reached, collected from the input the same way the rules walk it.
          const reached = new Set<string>();
          const collect = (v: unknown): void => {
            if (typeof v === 'string') reached.add(v);
            else if (v && typeof v === 'object') for (const x of Object.values(v)) collect(x);
          };
          const walk = (v: unknown, path: string[]): void => {
            if (Array.isArray(v)) {
              for (const x of v) walk(x, path);
              return;
            }
            const [name, ...rest] = path;
            if (!v || typeof v !== 'object' || name === undefined || !Object.hasOwn(v, name)) return;
            const next = (v as Record<string, unknown>)[name];
            if (rest.length === 0) collect(next);
            else walk(next, rest);
          };
          for (const r of rules) walk(event, r.field.split('.'));
          const text = JSON.stringify(out);
          for (const s of reached)
            if (s.startsWith('SECRET-')) assert.ok(!text.includes(s), `${s} left in ${text}`);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('PII rules in the API body', () => {
  const validate = compileSchema<PiiRule[]>(PiiRulesSchema);
  const check = { Check: (v: unknown) => validate(v) };

  it('the schema takes rules of each action and refuses bad ones', () => {
    assert.ok(
      check.Check([
        { field: 'actor.email', action: 'hmac' },
        { field: 'source.ip', action: 'drop' },
      ]),
    );
    assert.equal(check.Check([{ field: 'hash', action: 'mask' }]), false);
    assert.equal(check.Check([{ field: 'seq.x', action: 'mask' }]), false);
    assert.equal(check.Check([{ field: 'actor.email', action: 'encrypt' }]), false);
    assert.equal(check.Check([{ field: 'actor.email', action: 'mask', extra: 1 }]), false);
    assert.equal(check.Check(Array.from({ length: 51 }, () => ({ field: 'a', action: 'drop' }))), false);
    assert.ok(check.Check([{ field: 'tenants', action: 'drop' }]));
  });

  it('checkPiiField names the rule and says why', () => {
    assert.throws(
      () =>
        checkPiiRules([
          { field: 'actor.email', action: 'mask' },
          { field: 'tenant', action: 'drop' },
        ]),
      (err: unknown) =>
        err instanceof TrailkeepError && /^pii\.rules\[1\]\.field may not be tenant/.test(err.message),
    );
    assert.doesNotThrow(() => checkPiiField('changes.old'));
  });
});
