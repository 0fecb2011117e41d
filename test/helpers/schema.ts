import assert from 'node:assert/strict';
import type { TSchema } from 'typebox';
import { compileSchema } from '../../src/core/schema.js';

/** A copy of a JSON schema with every object closed: members it does not declare are errors. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] =
      k === 'properties' || k === 'patternProperties'
        ? Object.fromEntries(Object.entries(v as object).map(([name, s]) => [name, closed(s)]))
        : closed(v);
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * Asserts that a response body is exactly what a route's response schema declares: for routes
 * that send JSON text themselves (skipping Fastify's serializer), the schema is the documentation
 * and this is the check that the two agree.
 */
export function matchesSchema(schema: TSchema | object) {
  const check = compileSchema(closed(schema) as TSchema);
  return (body: unknown, what = 'response') =>
    assert.ok(check(body), `${what} does not match its schema: ${JSON.stringify(check.errors)}`);
}
