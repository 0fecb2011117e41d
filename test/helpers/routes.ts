import type { FastifyInstance } from 'fastify';
import { type Dialect, dialectOf } from './envelopes.js';

/** A JSON Schema as the OpenAPI document renders a route's schema. */
export type JsonSchema = Record<string, unknown>;

/** One route of the built app: method and Fastify path (`/v1/events/:id`). */
export interface Route {
  method: string;
  path: string;
}

export const routeKey = (r: Route) => `${r.method} ${r.path}`;

/**
 * Every route the app serves, read from the router itself (`printRoutes`), so a route added
 * anywhere is in this list without anyone registering it for the tests. HEAD routes that
 * Fastify adds for each GET are left out: they run the GET handler.
 */
export function routesOf(app: FastifyInstance): Route[] {
  // The default, prefix-sharing tree: with commonPrefix off, find-my-way prints a wildcard route
  // (`/v1/log/tile/*`) as a bare `*` at the top, losing its path.
  const tree = app.printRoutes();
  const stack: string[] = [];
  const out: Route[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    // With routes under both `/` and `*` (CORS preflights) the tree's root has no path of its own.
    const label = m[2] === '(empty root node)' ? '' : (m[2] ?? '');
    const path = (stack[depth - 1] ?? '') + label;
    stack.push(path);
    const methods = (m[3] ?? '').split(',').map((s) => s.trim());
    const gets = methods.includes('GET');
    for (const method of methods) {
      if (method && !(method === 'HEAD' && gets)) out.push({ method, path });
    }
  }
  return out;
}

/** One parameter of an operation, with its schema. */
export interface Param {
  name: string;
  in: 'query' | 'path' | 'header';
  required: boolean;
  schema: JsonSchema;
}

/** A route with what its own schemas declare: the input a fuzzer should vary. */
export interface Operation extends Route {
  dialect: Dialect;
  params: Param[];
  /** The JSON body schema, when the route declares one. */
  body?: JsonSchema;
  /** The content types the body may come in. */
  consumes: string[];
}

type OpenApi = {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: Param[]; requestBody?: { content?: Record<string, { schema: JsonSchema }> } }
    >
  >;
  components?: { schemas?: Record<string, JsonSchema> };
};

/** Replaces `$ref`s to components with the schemas they name (the documents here have no cycles). */
function inline(schema: unknown, components: Record<string, JsonSchema>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inline(s, components));
  if (typeof schema !== 'object' || schema === null) return schema;
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    return inline(components[name], components);
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inline(v, components)]));
}

/**
 * The operations of the app's OpenAPI document (generated from the routes' own schemas), keyed
 * by route: parameters and body shapes come from the same definitions that validate requests,
 * so a new parameter is fuzzed without a change here. Routes hidden from the document are absent.
 */
export function operationsOf(app: FastifyInstance): Map<string, Operation> {
  const doc = app.swagger() as unknown as OpenApi;
  const components = doc.components?.schemas ?? {};
  const out = new Map<string, Operation>();
  for (const [openApiPath, methods] of Object.entries(doc.paths)) {
    const path = openApiPath.replace(/\{([^}]+)\}/g, ':$1');
    for (const [m, op] of Object.entries(methods)) {
      const method = m.toUpperCase();
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      const operation: Operation = {
        method,
        path,
        dialect: dialectOf(method, path),
        params: (op.parameters ?? []).map((p) => ({
          ...p,
          schema: inline(p.schema, components) as JsonSchema,
        })),
        consumes: Object.keys(content),
        ...(json ? { body: inline(json, components) as JsonSchema } : {}),
      };
      out.set(routeKey(operation), operation);
    }
  }
  return out;
}

/** Fills a route's `:params` with the given (already encoded) values. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/:([A-Za-z_]\w*)/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for :${name} in ${path}`);
    return v;
  });
}

/** The names of a route's `:params`. */
export const pathParams = (path: string): string[] =>
  [...path.matchAll(/:([A-Za-z_]\w*)/g)].map((m) => m[1] as string);
