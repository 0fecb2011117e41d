import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigSchema } from '../src/config/config.js';

describe('docs', () => {
  it('operations.md documents every setting', () => {
    const doc = readFileSync(new URL('../docs/operations.md', import.meta.url), 'utf8');
    for (const key of Object.keys(ConfigSchema.properties)) assert.ok(doc.includes(`\`${key}\``), key);
  });
  it('the README opens with the two commands', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const firstCode = /```(?:sh|bash)?\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    assert.match(firstCode, /npm install && npm start/);
    assert.match(firstCode, /npm test/);
  });
});
