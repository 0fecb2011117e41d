// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest } from '../helpers/jobs.js';

/** The LivePerson Audit Trail dialect over raw HTTP (inject): GraphQL, rows, paging, errors, isolation. */
type Row = Record<string, unknown>;
const ALL =
  'accountId objectType objectName element oldValue newValue originator originatorLoginName originatorUserId originatorUserAgent originatorAuthType originatorIsLpa changeDate';
const COLUMNS = ALL.split(' ');
const URL = '/api/account/acme/configuration/metadata/audit';

describe('LivePerson audit trail over HTTP', () => {
  let t: TestApp;
  let key: string;
  let other: string;

  const post = (body: unknown, token: string | null = key, url = URL) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      payload: body as Record<string, unknown>,
    });
  /** Runs `auditData(args) { fields }`; asserts 200 and returns the rows and X-Total-Count. */
  const audit = async (args: string, fields = 'element', token = key, url = URL) => {
    const res = await post({ query: `{ auditData${args ? `(${args})` : ''} { ${fields} } }` }, token, url);
    assert.equal(res.statusCode, 200, res.body);
    const rows = res.json<{ data: { auditData: Row[] } }>().data.auditData;
    return { rows, total: Number(res.headers['x-total-count']), res };
  };
  const elements = async (args: string) => (await audit(args)).rows.map((r) => r.element);
  const fails = async (body: unknown, status: number, pattern: RegExp, token: string | null = key) => {
    const res = await post(body, token);
    assert.equal(res.statusCode, status, res.body);
    const errors = res.json<{ errors: { message: string }[] }>().errors;
    assert.ok(Array.isArray(errors) && errors.length > 0, res.body);
    assert.ok(
      errors.every((e) => typeof e.message === 'string'),
      res.body,
    );
    assert.match(errors.map((e) => e.message).join(' | '), pattern);
    assert.equal(res.headers['x-total-count'], undefined);
  };

  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('acme');
    other = await t.tenantWithKey('other');
    const ada = {
      id: 'u1',
      name: 'Ada',
      login: 'ada@acme.com',
      user_agent: 'Mozilla/5.0',
      auth_type: 'Form',
    };
    await ingest(t, key, [
      event({
        occurred_at: '2026-03-01T15:00:00.250Z',
        actor: ada,
        target: { type: 'Skills', name: 'Billing' },
        changes: [
          { field: 'Max wait time', old: ['30'], new: ['60'] },
          { field: 'Agents', old: ['a', 'b'], new: ['a', 'b', 'c'] },
        ],
      }),
      // 03:00 UTC on the 2nd is 22:00 on the 1st in US/Eastern.
      event({
        occurred_at: '2026-03-02T03:00:00Z',
        actor: { id: 'u2', name: 'Bob', login: 'bob@acme.com', auth_type: 'SSO' },
        source: { user_agent: 'curl/8' },
        target: { type: 'Campaigns', name: 'Spring' },
      }),
      event({
        occurred_at: '2026-03-02T14:00:00Z',
        actor: { id: 'lp1', name: 'Lee', login: 'lee@lp.com', privileged: true },
        target: { type: 'Skills', name: 'Sales' },
        changes: [{ field: 'Name', old: ['S'], new: ['Sales'] }],
      }),
      event({
        occurred_at: '2026-03-03T10:00:00Z',
        automatic: true,
        actor: { id: 'sys', type: 'system' },
        target: { type: 'Users' },
        changes: [{ field: 'Status', old: ['active'], new: ['inactive'] }],
      }),
      event({
        occurred_at: '2026-03-04T12:00:00Z',
        actor: { id: 'u3', name: 'Cy', login: 'ada@acme.com' },
        target: { type: 'Users', name: 'Zed' },
        changes: [
          { field: 'Role', new: ['Admin'] },
          { field: 'Email', old: ['x@y'], new: ['z@y'] },
          { field: 'Skill', old: ['A'], new: ['B'] },
        ],
      }),
    ]);
    await ingest(t, other, [event({ occurred_at: '2026-03-01T15:00:00Z', target: { type: 'Skills' } })]);
  });
  after(() => t.close());

  const DEFAULT = ['Role', 'Email', 'Skill', 'N/A', 'Max wait time', 'Agents'];

  it('maps every field of a change row, in the requested time zone', async () => {
    const { rows, total, res } = await audit('timezone: "UTC", first: 1, offset: 5', ALL);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(total, 6);
    assert.deepEqual(rows, [
      {
        accountId: 'acme',
        objectType: 'Skills',
        objectName: 'Billing',
        element: 'Agents',
        oldValue: 'a, b',
        newValue: 'a, b, c',
        originator: 'Ada',
        originatorLoginName: 'ada@acme.com',
        originatorUserId: 'u1',
        originatorUserAgent: 'Mozilla/5.0',
        originatorAuthType: 'Form',
        originatorIsLpa: false,
        changeDate: '2026-03-01 15:00:00.250',
      },
    ]);
  });

  it('returns only the selected fields, in the selection’s order, aliases included', async () => {
    const { rows } = await audit('', 'changeDate element');
    assert.equal(rows.length, 6);
    for (const r of rows) assert.deepEqual(Object.keys(r), ['changeDate', 'element']);
    const aliased = await post({ query: '{ rows: auditData(first: 1) { what: element } }' });
    assert.deepEqual(aliased.json(), { data: { rows: [{ what: 'Role' }] } });
  });

  it('is one row per change, and one N/A row with empty values for an event without changes', async () => {
    const { rows, total } = await audit('', 'element oldValue newValue objectType originatorUserAgent');
    assert.equal(total, 6);
    assert.deepEqual(
      rows.map((r) => r.element),
      DEFAULT,
    );
    assert.deepEqual(rows[3], {
      element: 'N/A',
      oldValue: '',
      newValue: '',
      objectType: 'Campaigns',
      originatorUserAgent: 'curl/8',
    });
    assert.deepEqual(rows[0], {
      element: 'Role',
      oldValue: '',
      newValue: 'Admin',
      objectType: 'Users',
      originatorUserAgent: null,
    });
  });

  it('renders changeDate in US/Eastern by default, and dates are whole days in the time zone', async () => {
    const bob = (await audit('', 'element changeDate')).rows.find((r) => r.element === 'N/A');
    assert.equal(bob?.changeDate, '2026-03-01 22:00:00.0');
    // The 1st in US/Eastern holds 03:00 UTC on the 2nd; in UTC it does not.
    assert.deepEqual(await elements('fromDate: "2026-03-01", toDate: "2026-03-01"'), [
      'N/A',
      'Max wait time',
      'Agents',
    ]);
    assert.deepEqual(await elements('fromDate: "2026-03-01", toDate: "2026-03-01", timezone: "UTC"'), [
      'Max wait time',
      'Agents',
    ]);
    assert.deepEqual(await elements('fromDate: "2026-03-02", timezone: "UTC"'), [
      'Role',
      'Email',
      'Skill',
      'N/A',
    ]);
    assert.deepEqual(await elements('fromDate: "2026-03-02"'), ['Role', 'Email', 'Skill']);
    assert.deepEqual(await elements('toDate: "2026-03-01"'), ['N/A', 'Max wait time', 'Agents']);
    const tokyo = await audit('timezone: "Asia/Tokyo", toDate: "2026-03-02"', 'element changeDate');
    assert.deepEqual(tokyo.rows, [
      { element: 'N/A', changeDate: '2026-03-02 12:00:00.0' },
      { element: 'Max wait time', changeDate: '2026-03-02 00:00:00.250' },
      { element: 'Agents', changeDate: '2026-03-02 00:00:00.250' },
    ]);
  });

  it('excludes LPA and automatic changes unless asked for', async () => {
    assert.deepEqual(await elements('lpa: false, automaticUpdates: false'), DEFAULT);
    assert.deepEqual(await elements('lpa: true'), [
      'Role',
      'Email',
      'Skill',
      'Name',
      'N/A',
      'Max wait time',
      'Agents',
    ]);
    assert.deepEqual(await elements('automaticUpdates: true'), [
      'Role',
      'Email',
      'Skill',
      'Status',
      'N/A',
      'Max wait time',
      'Agents',
    ]);
    const both = await audit('lpa: true, automaticUpdates: true', 'element originatorIsLpa');
    assert.equal(both.total, 8);
    assert.deepEqual(
      both.rows.filter((r) => r.originatorIsLpa).map((r) => r.element),
      ['Name'],
    );
  });

  it('filters users by actor id or login, and componentTypes by object type', async () => {
    // ada@acme.com is u1's login and u3's login; u2 is Bob's id.
    assert.deepEqual(await elements('users: ["ada@acme.com"]'), [
      'Role',
      'Email',
      'Skill',
      'Max wait time',
      'Agents',
    ]);
    assert.deepEqual(await elements('users: ["u2"]'), ['N/A']);
    assert.deepEqual(await elements('users: ["u1", "bob@acme.com"]'), ['N/A', 'Max wait time', 'Agents']);
    assert.deepEqual(await elements('users: "u3"'), ['Role', 'Email', 'Skill']);
    assert.deepEqual(await elements('users: ["lee@lp.com"]'), []);
    assert.deepEqual(await elements('users: ["lee@lp.com"], lpa: true'), ['Name']);
    assert.deepEqual(await elements('users: ["nobody"]'), []);
    assert.deepEqual(await elements('componentTypes: ["Skills"]'), ['Max wait time', 'Agents']);
    assert.deepEqual(await elements('componentTypes: ["Skills"], lpa: true'), [
      'Name',
      'Max wait time',
      'Agents',
    ]);
    assert.deepEqual(await elements('componentTypes: ["Users", "Campaigns"]'), [
      'Role',
      'Email',
      'Skill',
      'N/A',
    ]);
    assert.deepEqual(await elements('componentTypes: ["Users"], automaticUpdates: true'), [
      'Role',
      'Email',
      'Skill',
      'Status',
    ]);
    assert.deepEqual(await elements('componentTypes: ["Nope"]'), []);
  });

  it('combines every argument', async () => {
    const { rows, total } = await audit(
      'fromDate: "2026-03-01", toDate: "2026-03-03", timezone: "UTC", users: ["u1", "lp1", "sys"], componentTypes: ["Skills", "Users"], lpa: true, automaticUpdates: true, orderBy: [element], orderDirection: [ASC], first: 2, offset: 1, language: "fr-FR"',
      'element objectName',
    );
    // Matching: Max wait time, Agents (u1), Name (lp1), Status (sys); by element: Agents, Max…, Name, Status.
    assert.equal(total, 4);
    assert.deepEqual(rows, [
      { element: 'Max wait time', objectName: 'Billing' },
      { element: 'Name', objectName: 'Sales' },
    ]);
  });

  it('takes arguments from variables', async () => {
    const res = await post({
      query: 'query Q($tz: String!, $n: Int) { auditData(timezone: $tz, first: $n) { element changeDate } }',
      variables: { tz: 'Asia/Tokyo', n: 1 },
      operationName: 'Q',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      data: { auditData: [{ element: 'Role', changeDate: '2026-03-04 21:00:00.0' }] },
    });
    assert.equal(res.headers['x-total-count'], '6');
  });

  it('pages with first and offset in rows, X-Total-Count counting every matching row', async () => {
    const seen: unknown[] = [];
    for (let offset = 0; offset < 8; offset += 2) {
      const { rows, total } = await audit(`first: 2, offset: ${offset}`);
      assert.equal(total, 6);
      assert.equal(rows.length, offset < 6 ? 2 : 0);
      seen.push(...rows.map((r) => r.element));
    }
    assert.deepEqual(seen, DEFAULT);
    // An event's rows split across pages (Role, Email | Skill, N/A).
    assert.deepEqual(await elements('first: 1, offset: 2'), ['Skill']);
    const none = await audit('first: 0');
    assert.deepEqual([none.rows, none.total], [[], 6]);
    const sorted = await audit('orderBy: [objectName], orderDirection: [ASC], first: 2, offset: 2');
    assert.deepEqual(
      sorted.rows.map((r) => r.element),
      ['N/A', 'Role'],
    );
    assert.equal(sorted.total, 6);
  });

  it('applies first’s default of 50', async () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      event({ occurred_at: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`, target: { type: 'Bulk' } }),
    );
    const bulk = await t.tenantWithKey('bulk');
    await ingest(t, bulk, many);
    const { rows, total } = await audit(
      '',
      'changeDate',
      bulk,
      '/api/account/bulk/configuration/metadata/audit',
    );
    assert.equal(total, 60);
    assert.equal(rows.length, 50);
    assert.equal(rows[0]?.changeDate, '2025-12-31 19:00:59.0');
  });

  it('orders by changeTimestamp both ways (DESC by default)', async () => {
    const all = 'lpa: true, automaticUpdates: true';
    const desc = ['Role', 'Email', 'Skill', 'Status', 'Name', 'N/A', 'Max wait time', 'Agents'];
    assert.deepEqual(await elements(`${all}, orderBy: [changeTimestamp], orderDirection: [DESC]`), desc);
    assert.deepEqual(await elements(all), desc);
    assert.deepEqual(await elements(`${all}, orderBy: "changeTimestamp", orderDirection: "ASC"`), [
      'Max wait time',
      'Agents',
      'N/A',
      'Name',
      'Status',
      'Role',
      'Email',
      'Skill',
    ]);
    assert.deepEqual(await elements(`${all}, orderBy: [changeDate], orderDirection: [ASC]`), [
      'Max wait time',
      'Agents',
      'N/A',
      'Name',
      'Status',
      'Role',
      'Email',
      'Skill',
    ]);
  });

  /** Rank of a value: nulls after every value ascending (before every value descending). */
  const cmp = (a: unknown, b: unknown) =>
    a === b ? 0 : a === null ? 1 : b === null ? -1 : (a as string) < (b as string) ? -1 : 1;

  for (const column of COLUMNS.filter((c) => c !== 'changeDate')) {
    for (const dir of ['ASC', 'DESC'] as const) {
      it(`orders by ${column} ${dir}`, async () => {
        const { rows, total } = await audit(
          `lpa: true, automaticUpdates: true, timezone: "UTC", orderBy: [${column}], orderDirection: [${dir}]`,
          `element ${column === 'element' ? '' : column}`,
        );
        assert.equal(total, 8);
        assert.equal(rows.length, 8);
        assert.deepEqual(rows.map((r) => r.element).sort(), [
          'Agents',
          'Email',
          'Max wait time',
          'N/A',
          'Name',
          'Role',
          'Skill',
          'Status',
        ]);
        const values = rows.map((r) => r[column]);
        for (let i = 1; i < values.length; i++) {
          const c = cmp(values[i - 1], values[i]);
          assert.ok(dir === 'ASC' ? c <= 0 : c >= 0, `${column} ${dir}: ${JSON.stringify(values)}`);
        }
        if (column !== 'accountId') assert.notDeepEqual(values[0], values.at(-1));
      });
    }
  }

  it('orders by several columns, each with its direction; ties keep newest first', async () => {
    const { rows } = await audit(
      'lpa: true, automaticUpdates: true, orderBy: [objectType, element], orderDirection: [ASC, DESC]',
      'objectType element',
    );
    assert.deepEqual(
      rows.map((r) => `${r.objectType}/${r.element}`),
      [
        'Campaigns/N/A',
        'Skills/Name',
        'Skills/Max wait time',
        'Skills/Agents',
        'Users/Status',
        'Users/Skill',
        'Users/Role',
        'Users/Email',
      ],
    );
    // A missing direction is DESC; equal values keep the time order (newest first).
    const byType = await audit('orderBy: [objectType]', 'objectType element');
    assert.deepEqual(
      byType.rows.map((r) => `${r.objectType}/${r.element}`),
      ['Users/Role', 'Users/Email', 'Users/Skill', 'Skills/Max wait time', 'Skills/Agents', 'Campaigns/N/A'],
    );
  });

  it('accepts an OAuth access token', async () => {
    const token = await t.accessToken('acme', ['events:read']);
    const { total } = await audit('', 'element', token);
    assert.equal(total, 6);
  });

  it('answers query errors with 400 and {"errors":[{"message"}]}', async () => {
    await fails({ query: '{ auditData { element ' }, 400, /Syntax Error/);
    await fails({ query: '{ auditData { nope } }' }, 400, /Cannot query field "nope"/);
    await fails({ query: '{ auditData(color: "red") { element } }' }, 400, /Unknown argument "color"/);
    await fails({ query: '{ auditData }' }, 400, /must have a selection of subfields/);
    await fails({ query: '{ other { element } }' }, 400, /Cannot query field "other"/);
    await fails({ query: 'mutation { auditData { element } }' }, 400, /mutation/i);
    await fails({ query: '{ auditData(first: "x") { element } }' }, 400, /Int cannot represent/);
    await fails({ query: '{ a: auditData { element } b: auditData { element } }' }, 400, /once/);
    await fails(
      { query: 'query($n: Int!) { auditData(first: $n) { element } }', variables: { n: 'many' } },
      400,
      /\$n/,
    );
    await fails({ query: 'query($n: Int!) { auditData(first: $n) { element } }' }, 400, /\$n/);
    await fails({}, 400, /query/);
    // The app's validator coerces scalars: a number is a (malformed) document.
    await fails({ query: 42 }, 400, /Syntax Error/);
  });

  it('answers bad arguments with 400', async () => {
    const q = (args: string) => ({ query: `{ auditData(${args}) { element } }` });
    await fails(q('fromDate: "2026-13-01"'), 400, /fromDate must be a date yyyy-MM-dd/);
    await fails(q('toDate: "03/01/2026"'), 400, /toDate must be a date/);
    await fails(q('fromDate: "2026-02-30"'), 400, /fromDate/);
    await fails(q('fromDate: "2026-03-02", toDate: "2026-03-01"'), 400, /toDate is before fromDate/);
    await fails(q('timezone: "Mars/Olympus"'), 400, /timezone is not an IANA time zone/);
    await fails(q('timezone: ""'), 400, /timezone/);
    await fails(q('language: "not a language!"'), 400, /language/);
    await fails(q('orderBy: ["color"]'), 400, /AuditColumn must be one of/);
    await fails(q('orderDirection: [UP]'), 400, /OrderDirection must be one of/);
    await fails(q('orderBy: [element], orderDirection: [ASC, DESC]'), 400, /orderDirection has more entries/);
    await fails(q('first: 1001'), 400, /first must be between 0 and 1000/);
    await fails(q('first: -1'), 400, /first/);
    await fails(q('offset: -1'), 400, /offset must not be negative/);
  });

  it('answers 400 for any account but the caller’s own, another tenant’s included', async () => {
    for (const account of ['other', 'nope', 'ACME']) {
      const res = await post(
        { query: '{ auditData { element } }' },
        key,
        `/api/account/${account}/configuration/metadata/audit`,
      );
      assert.equal(res.statusCode, 400, res.body);
      assert.deepEqual(res.json(), { errors: [{ message: 'accountId is not a valid account.' }] });
    }
  });

  it('answers 401 without a valid token and 403 without events:read', async () => {
    await fails({ query: '{ auditData { element } }' }, 401, /credential/, null);
    await fails({ query: '{ auditData { element } }' }, 401, /credential/, 'tk_not_a_key');
    const res = await post({ query: '{ auditData { element } }' }, null);
    assert.equal(res.headers['www-authenticate'], 'Bearer');
    const writer = await t.key('acme', ['events:write']);
    await fails({ query: '{ auditData { element } }' }, 403, /events:read/, writer);
    await fails({ query: '{ auditData { element } }' }, 403, /tenant key/, ADMIN_TOKEN);
  });

  it('answers unknown paths under /api/account with 404 in the same envelope', async () => {
    const res = await post({ query: '{ auditData { element } }' }, key, '/api/account/acme/nothing');
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { errors: [{ message: 'No route POST /api/account/acme/nothing.' }] });
  });

  it('shows each tenant only its own rows', async () => {
    const mine = await audit('lpa: true, automaticUpdates: true', 'accountId');
    assert.ok(mine.rows.every((r) => r.accountId === 'acme'));
    const theirs = await audit(
      '',
      'accountId objectType element',
      other,
      '/api/account/other/configuration/metadata/audit',
    );
    assert.equal(theirs.total, 1);
    assert.deepEqual(theirs.rows, [{ accountId: 'other', objectType: 'Skills', element: 'N/A' }]);
  });
});
