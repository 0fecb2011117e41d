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

/** Turns Ajv errors into located, readable problems; composite (anyOf) noise is dropped. */
export function formatSchemaErrors(errors: ErrorObject[] | null | undefined, root = '$'): Problem[] {
  const out: Problem[] = [];
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
    out.push({ path, message });
  }
  return out;
}
