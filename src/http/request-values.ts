import type { Ajv, AnySchema, ErrorObject, ValidateFunction } from 'ajv';

/**
 * Why no store can hold `text`, or null: PostgreSQL's text has no NUL and its jsonb no lone
 * surrogate (`\ud800`), and ingest refuses both, so no stored event has one. Worded as ingest
 * words it (core/event/prepare.ts).
 */
export function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (!text.isWellFormed()) return 'must be well-formed Unicode';
  return null;
}

/** The first value in `data` no request may carry, with its JSON pointer (iterative: bodies nest deep). */
function unfit(data: unknown): { pointer: string; message: string } | null {
  const stack: [unknown, string][] = [[data, '']];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [value, pointer] = next;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { pointer, message: 'must be a finite number' };
    } else if (typeof value === 'string') {
      const message = unstorable(value);
      if (message !== null) return { pointer, message };
    } else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        // The key itself is not echoed in the pointer: it is what cannot be stored (or shown).
        if (unstorable(k) !== null) return { pointer, message: 'has a malformed key' };
        stack.push([v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`]);
      }
    }
  }
  return null;
}

function checked(validate: ValidateFunction): ValidateFunction {
  const run = ((
    data: unknown,
    ctx?: { parentData?: Record<string, unknown>; parentDataProperty?: string },
  ) => {
    const ok = validate(data, ctx as never);
    run.errors = validate.errors;
    if (ok !== true) return ok;
    // A coerced root value is written to its parent, not into `data`.
    const root = ctx?.parentData && ctx.parentDataProperty ? ctx.parentData[ctx.parentDataProperty] : data;
    const bad = unfit(root);
    if (bad === null) return true;
    const error: ErrorObject = {
      instancePath: bad.pointer,
      schemaPath: '#',
      keyword: 'type',
      params: {},
      message: bad.message,
    };
    run.errors = [error];
    return false;
  }) as ValidateFunction;
  return Object.assign(run, validate, { errors: null });
}

/**
 * An Ajv plugin: every validator it compiles also refuses two kinds of value the schemas cannot
 * express, wherever they are in the (coerced) data:
 *
 * - non-finite numbers: coercion turns the strings "Infinity" and "1e400" into numbers that pass
 *   `type: integer` and skip `minimum`/`maximum` (Ajv checks the range of finite numbers only),
 *   so `?limit=Infinity` would reach the store;
 * - strings with NUL (U+0000) or a lone surrogate (`unstorable`), values and object keys alike: a
 *   value with one can match nothing and be stored nowhere, and is refused as on ingest, on
 *   either engine alike.
 */
export function requestValues(ajv: Ajv): Ajv {
  const compile = ajv.compile.bind(ajv);
  const getSchema = ajv.getSchema.bind(ajv);
  ajv.compile = ((schema: AnySchema, meta?: boolean) => checked(compile(schema, meta))) as Ajv['compile'];
  ajv.getSchema = ((key: string) => {
    const validate = getSchema(key);
    return validate && checked(validate);
  }) as Ajv['getSchema'];
  return ajv;
}
