import assert from 'node:assert/strict';
import { spawnTrailkeep } from '../helpers/serve.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI in a child process (test/helpers/serve.ts spawnTrailkeep: the test's
 * environment minus every TRAILKEEP_ setting, plus `env`); `input` is written to its stdin
 * (which is otherwise empty).
 */
export function runCli(
  args: string[],
  { env = {}, input }: { env?: Record<string, string>; input?: string } = {},
): Promise<CliResult> {
  const child = spawnTrailkeep(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdin.end(input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `count` valid events with ids, one NDJSON line each. */
export function ndjson(count: number, start = 0): string {
  let out = '';
  for (let i = start; i < start + count; i++) {
    out += `${JSON.stringify({
      id: `evt-${i}`,
      occurred_at: new Date(Date.UTC(2026, 2, 1, 12, 0, 0) + i * 1000).toISOString(),
      action: i % 3 === 0 ? 'document.delete' : 'document.update',
      actor: { id: `user-${i % 5}`, type: 'user', name: `User ${i % 5}` },
      target: { type: i % 2 === 0 ? 'document' : 'folder', id: `doc-${i}` },
      outcome: i % 10 === 0 ? 'failure' : 'success',
      description: `Changed document ${i}, with a description long enough that the table has to truncate it somewhere`,
    })}\n`;
  }
  return out;
}

export const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

/** Asserts that stored events are the sent NDJSON lines, in order, with gapless seqs from 1. */
export function assertStoredAsSent(stored: Record<string, unknown>[], input: string, tenant: string): void {
  assert.deepEqual(
    stored.map((e) => e.seq),
    Array.from({ length: stored.length }, (_, i) => i + 1),
  );
  const sent = lines(input).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(stored.length, sent.length);
  stored.forEach((e, i) => {
    const s = sent[i] as Record<string, unknown>;
    assert.deepEqual(
      [e.id, e.action, e.actor, e.target, e.description, e.occurred_at, e.tenant],
      [s.id, s.action, s.actor, s.target, s.description, s.occurred_at, tenant],
    );
  });
}

/** The operator key `operator-keys create --json` printed: a secret of its own kind, no tenant. */
export function createdOperatorKey(r: CliResult): { id: string; secret: string } {
  assert.equal(r.code, 0, r.stderr);
  const key = JSON.parse(r.stdout) as { id: string; secret: string; tenant: string | null };
  assert.match(key.secret, /^tk_opk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/);
  assert.equal(key.tenant, null);
  return key;
}
