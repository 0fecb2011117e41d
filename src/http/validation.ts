import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { boundedValidator } from '../core/schema.js';
import { requestValues } from './request-values.js';

// ajv-formats ships CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const OPTIONS: Options = {
  coerceTypes: 'array',
  removeAdditional: false,
  useDefaults: true,
  strict: false,
  // As Fastify's own compiler: schemas are compiled one by one, never registered by their $id.
  addUsedSchema: false,
};

/** One Ajv as every route validates with: formats, and the values no request may carry. */
const ajvWith = (allErrors: boolean) => requestValues(addFormats(new Ajv({ ...OPTIONS, allErrors })));

/**
 * The validator compiler of every route (bodies, query strings, parameters, headers): each
 * schema compiled twice, stopping at the first error and naming every error, and combined by
 * `boundedValidator`, so a valid request is checked once and an invalid one is named in full
 * unless it is vast (a million invalid filter items), which is named by its first error instead
 * of holding the event loop for seconds. Problems past MAX_PROBLEMS are counted, not named
 * (`formatSchemaErrors`).
 */
export function boundedValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const first = ajvWith(false);
  const all = ajvWith(true);
  return ({ schema }) => boundedValidator(first.compile(schema as object), all.compile(schema as object));
}
