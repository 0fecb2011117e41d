import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema } from 'typebox';

// ajv-formats ships CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** One problem in a request, located by a JSONPath such as `$.events[3].occurred_at`. */
export interface Problem {
  path: string;
  message: string;
}

/** Compiles a schema with every error reported, so a client learns all its mistakes at once. */
export function compileSchema<T>(schema: TSchema, options: Options = {}): ValidateFunction<T> {
  const ajv = new Ajv({ allErrors: true, strict: false, ...options });
  addFormats(ajv);
  return ajv.compile<T>(schema);
}

/**
 * The largest value whose every schema error is named. Naming them all costs time in proportion
 * to the value (a million invalid array items take seconds of a blocked event loop), and no valid
 * event or request body is larger; a larger invalid one is named by its first error.
 */
export const FULLY_CHECKED_BYTES = 64 * 1024;

type Context = { parentData?: Record<string, unknown>; parentDataProperty?: string | number };

/**
 * One validator from two compilations of the same schema: `first` stops at the first error (the
 * cheaper pass, and the only one a valid value takes), `all` names every error and runs only for
 * an invalid value of at most `limit` bytes of JSON. A larger invalid value gets its first error
 * and one saying the rest are not listed. Used by ingest and by every route's validation.
 */
export function boundedValidator<T>(
  first: ValidateFunction<T>,
  all: ValidateFunction<T>,
  limit = FULLY_CHECKED_BYTES,
): ValidateFunction<T> {
  const run = ((data: unknown, ctx?: Context) => {
    if (first(data, ctx as never)) {
      run.errors = null;
      return true;
    }
    // A coerced root value is written to its parent, not into `data`.
    const root =
      ctx?.parentData && ctx.parentDataProperty !== undefined ? ctx.parentData[ctx.parentDataProperty] : data;
    if (jsonExceeds(root, limit)) {
      const note: ErrorObject = {
        instancePath: '',
        schemaPath: '#',
        keyword: 'maxBytes',
        params: { limit },
        message: `is more than ${limit} bytes of JSON: its other problems are not listed`,
      };
      run.errors = [...(first.errors ?? []), note];
      return false;
    }
    const ok = all(data, ctx as never);
    run.errors = all.errors;
    return ok;
  }) as ValidateFunction<T>;
  return Object.assign(run, all, { errors: null });
}

/** `compileSchema` bounded: every error of a value up to `limit` bytes, else the first. */
export function compileBounded<T>(schema: TSchema, limit = FULLY_CHECKED_BYTES): ValidateFunction<T> {
  return boundedValidator(compileSchema<T>(schema, { allErrors: false }), compileSchema<T>(schema), limit);
}

/** `/events/3/source` → `$.events[3].source` */
export function pointerToPath(pointer: string, root = '$'): string {
  let path = root;
  if (pointer === '') return path;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(seg)
      ? `[${seg}]`
      : /^[A-Za-z_][\w]*$/.test(seg)
        ? `.${seg}`
        : `[${JSON.stringify(seg)}]`;
  }
  return path;
}

/**
 * The most problems one answer names. A request can hold millions of mistakes (a million
 * invalid array items, 400,000 unknown keys); naming them all costs seconds and megabytes and
 * helps nobody, so the rest are counted in one final problem.
 */
export const MAX_PROBLEMS = 100;

/** Problems gathered up to MAX_PROBLEMS; past that only counted. */
export class Problems {
  private readonly named: Problem[] = [];
  private unnamed = 0;

  add(path: string, message: string): void {
    if (this.named.length < MAX_PROBLEMS) this.named.push({ path, message });
    else this.unnamed++;
  }

  addAll(problems: Iterable<Problem>): void {
    for (const p of problems) this.add(p.path, p.message);
  }

  get count(): number {
    return this.named.length + this.unnamed;
  }

  /** The named problems, then `root` "and N more problems" when some were only counted. */
  list(root = '$'): Problem[] {
    if (this.unnamed === 0) return this.named;
    const more = `and ${this.unnamed.toLocaleString('en-US')} more problem${this.unnamed === 1 ? '' : 's'}`;
    return [...this.named, { path: root, message: more }];
  }
}

/** Turns Ajv errors into located, readable problems in `out`; composite (anyOf) noise is dropped. */
export function addSchemaErrors(out: Problems, errors: ErrorObject[] | null | undefined, root = '$'): void {
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let pointer = e.instancePath;
    let message = e.message ?? 'is invalid';
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') {
      pointer += `/${String(params.additionalProperty)}`;
      message = 'is not a known field';
    } else if (e.keyword === 'required') {
      pointer += `/${String(params.missingProperty)}`;
      message = 'is required';
    } else if (e.keyword === 'format') {
      message = `must be a valid ${String(params.format)}`;
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      continue;
    }
    const path = pointerToPath(pointer, root);
    const key = `${path} ${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.add(path, message);
  }
}

/** Ajv errors as located, readable problems: at most MAX_PROBLEMS named, the rest counted. */
export function formatSchemaErrors(errors: ErrorObject[] | null | undefined, root = '$'): Problem[] {
  const out = new Problems();
  addSchemaErrors(out, errors, root);
  return out.list(root);
}

/**
 * Whether `value` serialised as JSON would exceed `limit` bytes, found by a walk that stops as
 * soon as it does (and needs no stack: nesting is unbounded before validation). Each part is
 * counted at its least (a string's UTF-16 length, a number's one digit), so false means the
 * JSON is at most `limit` bytes only roughly, and true means it is surely more.
 */
export function jsonExceeds(value: unknown, limit: number): boolean {
  let bytes = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (Array.isArray(v)) {
      // Commas and brackets first: a million-item array is refused before one item is looked at.
      bytes += 1 + v.length;
      if (bytes > limit) return true;
      for (const item of v) pending.push(item);
    } else if (v !== null && typeof v === 'object') {
      bytes += 1;
      for (const k in v) {
        bytes += k.length + 4;
        if (bytes > limit) return true;
        pending.push((v as Record<string, unknown>)[k]);
      }
    } else {
      bytes += typeof v === 'string' ? v.length + 2 : v === null || typeof v === 'boolean' ? 4 : 1;
      if (bytes > limit) return true;
    }
  }
  return false;
}
