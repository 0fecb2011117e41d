import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort } from '../helpers/pg-server.js';
import { runCli } from './run.js';

const COMMANDS: [string[], RegExp][] = [
  [[], /Usage: trailkeep \[options\] \[command\][\s\S]*TRAILKEEP_URL/],
  [['serve'], /Usage: trailkeep serve/],
  [['migrate'], /Usage: trailkeep migrate[\s\S]*--db <path>/],
  [['tenants'], /Usage: trailkeep tenants[\s\S]*create[\s\S]*list/],
  [['tenants', 'create'], /Usage: trailkeep tenants create \[options\] <id>[\s\S]*--name/],
  [['tenants', 'list'], /Usage: trailkeep tenants list[\s\S]*--json/],
  [['keys'], /Usage: trailkeep keys[\s\S]*create[\s\S]*list[\s\S]*revoke/],
  [['keys', 'create'], /Usage: trailkeep keys create \[options\] <tenant>[\s\S]*--scope <scope>/],
  [['keys', 'list'], /Usage: trailkeep keys list \[options\] <tenant>/],
  [['keys', 'revoke'], /Usage: trailkeep keys revoke \[options\] <tenant> <id>/],
  [['operator-keys'], /Usage: trailkeep operator-keys[\s\S]*create[\s\S]*list[\s\S]*revoke/],
  [['operator-keys', 'create'], /Usage: trailkeep operator-keys create \[options\][\s\S]*tenants:manage/],
  [['operator-keys', 'list'], /Usage: trailkeep operator-keys list \[options\]/],
  [['operator-keys', 'revoke'], /Usage: trailkeep operator-keys revoke \[options\] <id>/],
  [['ingest'], /Usage: trailkeep ingest \[options\] <file>[\s\S]*--batch-size[\s\S]*--tenant/],
  [
    ['query'],
    /Usage: trailkeep query[\s\S]*--limit <n>[\s\S]*--actor-id <value>[\s\S]*--transaction-id <value>/,
  ],
  [['export'], /Usage: trailkeep export[\s\S]*-o, --output <file>[\s\S]*--target-type <value>/],
];

describe('trailkeep --help', () => {
  for (const [words, expected] of COMMANDS) {
    it(`documents \`${['trailkeep', ...words].join(' ')}\``, async () => {
      const r = await runCli([...words, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, expected);
    });
  }

  it('offers every filter of the API as a query flag', async () => {
    const r = await runCli(['query', '--help']);
    for (const flag of [
      '--actor-type',
      '--category',
      '--service',
      '--target-id',
      '--client-id',
      '--ip',
      '--session-id',
      '--trace-id',
      '--from',
      '--to',
      '--q',
    ]) {
      assert.match(r.stdout, new RegExp(`${flag} <`), flag);
    }
  });
});

describe('bad usage and configuration', () => {
  it('lists every invalid setting and exits 2', async () => {
    const r = await runCli(['migrate'], { env: { TRAILKEEP_PORT: 'abc', TRAILKEEP_JOB_TTL: '5' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Invalid configuration:/);
    assert.match(r.stderr, /- TRAILKEEP_PORT: must be integer/);
    assert.match(r.stderr, /- TRAILKEEP_JOB_TTL: must be >= 60/);
    assert.equal(r.stdout, '');
  });

  it('rejects a TRAILKEEP_URL that is not http(s) with exit 2', async () => {
    const r = await runCli(['tenants', 'list'], {
      env: { TRAILKEEP_URL: 'ftp://example', TRAILKEEP_TOKEN: 'x' },
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /TRAILKEEP_URL/);
  });

  it('exits 2 on an unknown option, a missing argument or a bad value', async () => {
    for (const args of [
      ['query', '--bogus'],
      ['keys', 'create', 'acme', '--scope', 'events:read'],
      ['query', '--limit', 'ten'],
      ['query', '--format', 'xml'],
      ['nonsense'],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /error:/, args.join(' '));
    }
  });

  it('exits 2 when a remote command has no credential or mixes --url and --db', async () => {
    const noToken = await runCli(['tenants', 'list', '--url', 'http://127.0.0.1:9']);
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /--token or set TRAILKEEP_TOKEN/);
    const both = await runCli(['tenants', 'list', '--url', 'http://127.0.0.1:9', '--db', 'x.db']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--url or --db, not both/);
  });

  it('exits 1 with one line when the server cannot be reached', async () => {
    // A port that was just free: nothing listens there.
    const port = await freePort();
    const r = await runCli(['tenants', 'list', '--url', `http://127.0.0.1:${port}`, '--token', 'whatever']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `trailkeep: Cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n`);
  });
});
