import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { TrailkeepError } from '../core/errors.js';
import type { Dialect } from './dialect.js';
import { DIALECTS } from './dialects.js';

/** The parts of an OpenAPI 3.1 document narrowed here; the rest is kept as it is. */
interface Document {
  info: Record<string, unknown>;
  paths?: Record<string, Record<string, unknown>>;
  components?: { securitySchemes?: Record<string, unknown> };
  security?: Record<string, string[]>[];
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

const tagged = (operation: unknown, tag: string): boolean => {
  const tags = (operation as { tags?: unknown } | null)?.tags;
  return Array.isArray(tags) && tags.includes(tag);
};

/**
 * The app's whole document narrowed to one dialect: the operations with its tag (registerDialect
 * makes every route of a dialect carry it), its title and description, and the credentials it
 * takes besides the bearer one every dialect takes.
 */
function dialectDocument(
  whole: Document,
  name: string,
  { title, description, security }: NonNullable<Dialect['openapi']>,
): Document {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries(whole.paths ?? {})) {
    const kept = Object.entries(item).filter(([k, op]) => !METHODS.has(k) || tagged(op, name));
    if (kept.some(([k]) => METHODS.has(k))) paths[path] = Object.fromEntries(kept);
  }
  return {
    ...whole,
    info: { ...whole.info, title: `Trailkeep: ${title}`, description },
    paths,
    components: {
      ...whole.components,
      securitySchemes: { ...whole.components?.securitySchemes, ...security?.schemes },
    },
    security: [...(security?.requirement ?? []), ...(whole.security ?? [])],
  };
}

const Params = Type.Object({ dialect: Type.String() });
const hidden = { tags: ['ops'], security: [], hide: true };

/**
 * The OpenAPI documents, generated from the route schemas: `/openapi.json`, every route (the
 * native API's document), and `/openapi/<dialect>.json`, one dialect's routes alone, so a client
 * author of one vendor's API reads only that API.
 */
export const openapiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/openapi.json', { schema: hidden }, async () => app.swagger());

  // Built on first request: the routes are all registered by then.
  const documents = new Map<string, Document>();
  const documented = new Map(DIALECTS.flatMap((d) => (d.openapi ? [[d.name, d.openapi] as const] : [])));
  app.get('/openapi/:dialect.json', { schema: { ...hidden, params: Params } }, async (req) => {
    const { dialect } = req.params;
    const openapi = documented.get(dialect);
    if (!openapi) throw new TrailkeepError('not_found', `No OpenAPI document for ${dialect}.`);
    let doc = documents.get(dialect);
    if (!doc) {
      doc = dialectDocument(app.swagger() as unknown as Document, dialect, openapi);
      documents.set(dialect, doc);
    }
    return doc;
  });
};
