import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CloudEvent } from 'cloudevents';
import { canonicalJson, verifyEvent } from '../../src/core/event/seal.js';
import { CLOUDEVENTS_TYPE_PREFIX } from '../../src/core/streams/formats/cloudevents.js';
import { FORMATS } from '../../src/core/streams/formats/index.js';
import { OCSF_MAPPING_VERSION, OCSF_SCHEMA_VERSION } from '../../src/core/streams/formats/ocsf.js';
import { ocsfClassOf } from '../../src/core/streams/formats/ocsf-classes.js';
import type { StoredEvent } from '../../src/core/streams/formats/types.js';
import { applyPii } from '../../src/core/streams/pii.js';
import { STREAM_FORMATS } from '../../src/core/streams/stream.js';

const fixture = (name: string) => new URL(`../fixtures/streams/${name}`, import.meta.url);
/** Stored events as GET /v1/events/{id} returns them, with real hashes (test/fixtures/streams). */
const EVENTS = readFileSync(fixture('events.ndjson'), 'utf8')
  .split('\n')
  .filter((l) => l !== '')
  .map((l) => JSON.parse(l) as StoredEvent);
const golden = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8')) as Record<string, unknown>[];

describe('stream formats', () => {
  it('the fixture events are sealed: their hashes recompute', () => {
    assert.equal(EVENTS.length, 3);
    for (const e of EVENTS) assert.ok(verifyEvent(e), e.id as string);
  });

  it('every format name has a format', () => {
    for (const name of STREAM_FORMATS) assert.equal(FORMATS[name].name, name);
  });

  for (const name of ['ocsf', 'cloudevents'] as const) {
    it(`${name}: renders the golden records exactly`, () => {
      const expected = golden(`${name}.json`);
      assert.equal(expected.length, EVENTS.length);
      EVENTS.forEach((e, i) => {
        assert.deepEqual(FORMATS[name].render(e, []), expected[i]);
      });
    });
  }

  for (const name of STREAM_FORMATS) {
    it(`${name}: proof() finds tenant, seq and hash; the hash of original() recomputes`, () => {
      const format = FORMATS[name];
      for (const e of EVENTS) {
        // Through JSON, as a receiver gets it.
        const record = JSON.parse(JSON.stringify(format.render(e, []))) as Record<string, unknown>;
        assert.deepEqual(format.proof(record), { tenant: e.tenant, seq: e.seq, hash: e.hash });
        const original = format.original(record);
        assert.ok(original && verifyEvent(original), `${name} seq ${e.seq}`);
        assert.deepEqual(original, e);
      }
    });

    it(`${name}: an altered record's original no longer recomputes`, () => {
      const e = EVENTS[0] as StoredEvent;
      const text = JSON.stringify(FORMATS[name].render(e, [])).replaceAll('Ann Example', 'Bob Example');
      const original = FORMATS[name].original(JSON.parse(text));
      assert.ok(original);
      assert.equal(verifyEvent(original), false);
    });

    it(`${name}: a redacted record says so and gives no original, nor the value it hid`, () => {
      const e = EVENTS[0] as StoredEvent;
      const { event, redacted } = applyPii(e, [{ field: 'actor.email', action: 'mask' }], null);
      assert.deepEqual(redacted, ['actor.email']);
      const record = FORMATS[name].render(event, redacted);
      assert.equal(FORMATS[name].original(record), null);
      assert.deepEqual(FORMATS[name].proof(record), { tenant: e.tenant, seq: e.seq, hash: e.hash });
      assert.doesNotMatch(JSON.stringify(record), /ann@example\.com/);
    });

    it(`${name}: proof() of other formats' records and of other JSON is null`, () => {
      const e = EVENTS[1] as StoredEvent;
      for (const other of STREAM_FORMATS.filter((n) => n !== name)) {
        if (name === 'native' && other !== 'native') continue; // native reads top-level members only
        assert.equal(FORMATS[name].proof(FORMATS[other].render(e, [])), null, `${name} of ${other}`);
      }
      assert.equal(FORMATS[name].proof({ type: 'trailkeep.events', data: {} }), null);
    });
  }

  it('native records of other formats are not mistaken for native', () => {
    const e = EVENTS[1] as StoredEvent;
    assert.equal(FORMATS.native.proof(FORMATS.ocsf.render(e, [])), null);
    assert.equal(FORMATS.native.proof(FORMATS.cloudevents.render(e, [])), null);
  });
});

describe('OCSF', () => {
  it('carries the schema and mapping versions, and the event as raw_data', () => {
    const e = EVENTS[2] as StoredEvent;
    const r = FORMATS.ocsf.render(e, []) as {
      metadata: Record<string, unknown>;
      unmapped: { trailkeep: Record<string, unknown> };
      raw_data: string;
      type_uid: number;
      class_uid: number;
      activity_id: number;
    };
    assert.equal(r.metadata.version, OCSF_SCHEMA_VERSION);
    assert.equal(r.unmapped.trailkeep.mapping_version, OCSF_MAPPING_VERSION);
    assert.equal(r.raw_data, canonicalJson(e));
    assert.equal(r.type_uid, r.class_uid * 100 + r.activity_id);
  });

  it('chooses the class and activity by the documented rules', () => {
    const cases: [string, string | undefined, number, number][] = [
      ['user.login', undefined, 3002, 1],
      ['User.Logout', 'admin', 3002, 2],
      ['sso.login.failed', undefined, 3002, 1],
      ['user.mfa.challenge', undefined, 3002, 99],
      ['token.issue', 'auth', 3002, 99],
      ['user.create', undefined, 3001, 1],
      ['user.delete', 'auth', 3001, 6],
      ['account.disable', undefined, 3001, 5],
      ['user.lock', undefined, 3001, 9],
      ['user.unlock', undefined, 3001, 12],
      ['user.update', undefined, 3001, 99],
      ['user.password.change', undefined, 3001, 3],
      ['user.password.reset', undefined, 3001, 4],
      ['password_reset', undefined, 3001, 4],
      ['user.mfa.enroll', undefined, 3001, 10],
      ['user.mfa.remove', undefined, 3001, 11],
      ['user.role.assign', undefined, 3001, 7],
      ['role.revoke', undefined, 3001, 8],
      ['document.create', undefined, 6003, 1],
      ['report.export', 'data', 6003, 2],
      ['Update', undefined, 6003, 3],
      ['invoice.destroy', undefined, 6003, 4],
      ['billing.recalculate', undefined, 6003, 99],
      ['group.create', undefined, 6003, 1],
    ];
    for (const [action, category, classUid, activity] of cases) {
      const c = ocsfClassOf(action, category);
      assert.deepEqual([c.class_uid, c.activity_id], [classUid, activity], action);
    }
  });

  it('maps the outcome to status and severity, and puts the hash beside the mapping version', () => {
    const [login, reset, update] = EVENTS.map((e) => FORMATS.ocsf.render(e, []));
    assert.deepEqual([login?.status_id, reset?.status_id, update?.status_id], [1, 2, 99]);
    assert.deepEqual([login?.severity_id, reset?.severity_id, update?.severity_id], [1, 3, 2]);
  });
});

describe('CloudEvents', () => {
  it('every record is a valid CloudEvent to the reference SDK', () => {
    for (const e of EVENTS) {
      const record = FORMATS.cloudevents.render(e, []);
      const ce = new CloudEvent(record as ConstructorParameters<typeof CloudEvent>[0]);
      assert.equal(ce.validate(), true);
      assert.equal(ce.id, `${e.tenant}:${e.seq}`);
      assert.equal(ce.type, `${CLOUDEVENTS_TYPE_PREFIX}${e.action}`);
      assert.equal(ce.trailkeephash, e.hash);
    }
  });

  it('the SDK refuses a record whose extension name breaks the spec (the check can fail)', () => {
    const record = { ...FORMATS.cloudevents.render(EVENTS[0] as StoredEvent, []), trailkeep_hash: 'x' };
    assert.throws(() => new CloudEvent(record as ConstructorParameters<typeof CloudEvent>[0]).validate());
  });

  it('sequence sorts as text in seq order', () => {
    const seqs = [9, 10, 100, 2, 9_007_199_254_740_991];
    const texts = seqs.map(
      (seq) => FORMATS.cloudevents.render({ ...(EVENTS[0] as StoredEvent), seq }, []).sequence as string,
    );
    assert.deepEqual(
      [...texts].sort(),
      [...seqs].sort((a, b) => a - b).map((s) => String(s).padStart(20, '0')),
    );
  });
});
