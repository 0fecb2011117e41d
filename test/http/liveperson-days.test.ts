// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { event, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest } from '../helpers/jobs.js';

const URL = '/api/account/acme/configuration/metadata/audit';

/**
 * LivePerson's `fromDate`/`toDate` are whole days in `timezone`: the rows counted are those of
 * exactly those days, where a day begins at a DST jump or at the first of two midnights, and days
 * at the ends of years 0000–9999 read as valid ranges on every engine.
 */
describe('LivePerson day ranges', () => {
  let t: TestApp;
  let key: string;

  const audit = async (args: string) => {
    const res = await t.call(key, {
      method: 'POST',
      url: URL,
      payload: { query: `{ auditData(${args}, automaticUpdates: true) { objectName changeDate } }` },
    });
    assert.equal(res.statusCode, 200, res.body);
    const names = res
      .json<{ data: { auditData: { objectName: string }[] } }>()
      .data.auditData.map((r) => r.objectName);
    return { names: names.sort(), total: Number(res.headers['x-total-count']) };
  };

  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('acme');
    await ingest(t, key, [
      // Chile jumps from 2026-09-06 00:00 -04 to 01:00 -03 (04:00 UTC).
      event({ occurred_at: '2026-09-06T03:59:59.999Z', target: { type: 'T', name: 'sep-05-last' } }),
      event({ occurred_at: '2026-09-06T04:00:00Z', target: { type: 'T', name: 'sep-06-first' } }),
      event({ occurred_at: '2026-09-07T02:59:59.999Z', target: { type: 'T', name: 'sep-06-last' } }),
      // 00:30 on the 7th in Santiago (-03): the day after toDate.
      event({ occurred_at: '2026-09-07T03:30:00Z', target: { type: 'T', name: 'sep-07' } }),
      // Cuba falls back from 2026-11-01 01:00 -04 to 00:00 -05: the 1st begins at 04:00 UTC.
      event({ occurred_at: '2026-11-01T03:59:00Z', target: { type: 'T', name: 'oct-31-last' } }),
      event({ occurred_at: '2026-11-01T04:30:00Z', target: { type: 'T', name: 'nov-01-first' } }),
    ]);
  });
  after(() => t.close());

  it('a day that starts in a DST gap ends where the next day begins, not an hour later', async () => {
    const day = await audit('fromDate: "2026-09-06", toDate: "2026-09-06", timezone: "America/Santiago"');
    assert.deepEqual(day.names, ['sep-06-first', 'sep-06-last']);
    assert.equal(day.total, 2);
    const before = await audit('fromDate: "2026-09-05", toDate: "2026-09-05", timezone: "America/Santiago"');
    assert.deepEqual(before.names, ['sep-05-last']);
  });

  it('a day whose midnight happens twice begins at the first', async () => {
    const day = await audit('fromDate: "2026-11-01", toDate: "2026-11-01", timezone: "America/Havana"');
    assert.deepEqual(day.names, ['nov-01-first']);
    const eve = await audit('fromDate: "2026-10-31", toDate: "2026-10-31", timezone: "America/Havana"');
    assert.deepEqual(eve.names, ['oct-31-last']);
  });

  it('days at the ends of years 0000–9999 in zones far from UTC read every event', async () => {
    for (const zone of ['Asia/Tokyo', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      const all = await audit(`fromDate: "0000-01-01", toDate: "9999-12-31", timezone: "${zone}"`);
      assert.equal(all.total, 6, zone);
    }
  });
});
