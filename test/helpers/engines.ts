import { readFileSync } from 'node:fs';

/**
 * The storage engines tests run on, and how a test file says which of them its test apps run
 * on. Imports nothing of the test runner or of src/, so test/run.ts reads it cheaply.
 */

export const ENGINE_NAMES = ['sqlite', 'postgres'] as const;
export type TestEngine = (typeof ENGINE_NAMES)[number];
export const TITLE: Record<TestEngine, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** `value` as an engine name; `what` names the setting in the error. */
export function engineNamed(value: string, what: string): TestEngine {
  if (!(ENGINE_NAMES as readonly string[]).includes(value)) {
    throw new Error(`${what}: ${value} is not an engine (${ENGINE_NAMES.join(' or ')})`);
  }
  return value as TestEngine;
}

/**
 * The marker: a line of its own, near the top of a test file, naming the engines its test apps
 * run on, e.g. `// @engines sqlite postgres`. test/run.ts runs the file once per engine named,
 * telling the file which through TRAILKEEP_TEST_ENGINE (read by test/helpers/app.ts).
 */
const MARKER = /^\/\/ @engines ([a-z ]+)$/m;

/**
 * The engines a test file's marker names, or null for a file without one: a file that has no
 * test apps, or that picks its engines itself (the store conformance suite, test/postgres/,
 * test/reliability/ with its ENGINES), and so runs once.
 */
export function declaredEngines(file: string): TestEngine[] | null {
  const text = readFileSync(file, 'utf8');
  const found = MARKER.exec(text);
  if (!found) {
    // A test app follows TRAILKEEP_TEST_ENGINE: a file that makes one must say on which engines.
    if (/\b(?:startTestApp|testData)\(/.test(text)) {
      throw new Error(`${file} makes test apps but has no "// @engines …" line saying on which engines`);
    }
    return null;
  }
  const names = (found[1] ?? '').split(' ').filter((n) => n !== '');
  if (names.length === 0) throw new Error(`${file}: "// @engines" names no engine`);
  return [...new Set(names.map((n) => engineNamed(n, `${file} @engines`)))];
}
