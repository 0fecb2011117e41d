import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The append-cost diagnostic at a tiny size, so it never rots; no timing assertions. */
describe('bench/append-cost.ts (smoke)', () => {
  it('appends every event with the parts left out that it is told, and reports each step', async () => {
    const { stdout } = await run(process.execPath, [
      '--import',
      'tsx',
      'bench/append-cost.ts',
      '--events',
      '2000',
      '--step',
      '1000',
      '--per-tx',
      '1000',
      '--without',
      'events_actor,fts,ips',
    ]);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ {2}1,000 events: [\d.]+ µs\/event$/);
    assert.match(lines[1] ?? '', /^ {2}2,000 events: [\d.]+ µs\/event$/);
    assert.match(
      lines[2] ?? '',
      /^append-cost events=2000 per_tx=1000 synchronous=FULL without=events_actor,fts,ips: [\d.]+ µs\/event, \d+ events\/s$/,
    );
  });

  it('refuses to leave out an index that does not exist', async () => {
    await assert.rejects(
      run(process.execPath, [
        '--import',
        'tsx',
        'bench/append-cost.ts',
        '--events',
        '500',
        '--without',
        'no_such_index',
      ]),
      (err: { stderr: string; code: number }) =>
        err.code === 1 && /no such index: no_such_index/.test(err.stderr),
    );
  });
});
