// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { agilicus } from '../../src/http/agilicus/index.js';
import { registerDialect } from '../../src/http/dialect.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

type Parameter = { name: string; in: string; required?: boolean };
type Operation = {
  tags?: string[];
  parameters?: Parameter[];
  responses?: Record<string, unknown>;
  security?: Record<string, string[]>[];
};
type Document = {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, { type?: string; scheme?: string }> };
  security?: Record<string, string[]>[];
};

/** Each dialect's operations, written out: its document holds these and nothing else. */
const EXPECTED: Record<string, string[]> = {
  genesys: [
    'POST /api/v2/audits/query',
    'GET /api/v2/audits/query/{transactionId}',
    'GET /api/v2/audits/query/{transactionId}/results',
    'GET /api/v2/audits/query/{transactionId}/download',
    'POST /api/v2/audits/query/realtime',
    'POST /api/v2/audits/query/realtime/related',
    'GET /api/v2/audits/query/servicemapping',
    'GET /api/v2/audits/query/realtime/servicemapping',
  ],
  zendesk: [
    'GET /api/v2/audit_logs',
    'GET /api/v2/audit_logs.json',
    'GET /api/v2/audit_logs/{id}',
    'GET /api/v2/audit_logs/{id}.json',
    'POST /api/v2/audit_logs/export',
    'POST /api/v2/audit_logs/export.json',
  ],
  agilicus: ['GET /v1/audits', 'GET /v1/auth_audits'],
  liveperson: ['POST /api/account/{accountId}/configuration/metadata/audit'],
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const operations = (doc: Document): [string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(
      ([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation],
    ),
  );

/**
 * What an OpenAPI 3.1 document must be, as far as these documents use it: the version, an info
 * object, paths that start with `/` and hold operations only, each with responses, its path's
 * parameters declared and required, and every security requirement naming a declared scheme;
 * every `$ref` resolving inside the document.
 */
function assertOpenApi31(doc: Document, what: string) {
  assert.equal(doc.openapi, '3.1.0', what);
  assert.equal(typeof doc.info.title, 'string', `${what}: info.title`);
  assert.equal(typeof doc.info.version, 'string', `${what}: info.version`);
  const schemes = doc.components?.securitySchemes ?? {};
  for (const [name, scheme] of Object.entries(schemes)) {
    assert.equal(scheme.type, 'http', `${what}: scheme ${name}`);
    assert.ok(scheme.scheme === 'bearer' || scheme.scheme === 'basic', `${what}: scheme ${name}`);
  }
  const requirements = (list: Record<string, string[]>[] | undefined, where: string) => {
    for (const requirement of list ?? []) {
      for (const name of Object.keys(requirement)) assert.ok(name in schemes, `${where}: no scheme ${name}`);
    }
  };
  requirements(doc.security, what);
  for (const [path, item] of Object.entries(doc.paths)) {
    assert.match(path, /^\//, `${what}: ${path}`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      const where = `${what}: ${method} ${path}`;
      assert.ok(METHODS.includes(method), `${where}: not an operation`);
      assert.ok(op.responses && Object.keys(op.responses).length > 0, `${where}: no responses`);
      for (const key of Object.keys(op.responses ?? {}))
        assert.match(key, /^(?:[1-5](?:\d\d|XX)|default)$/, where);
      const inPath = (op.parameters ?? []).filter((p) => p.in === 'path');
      assert.deepEqual(inPath.map((p) => p.name).sort(), [...templated].sort(), `${where}: path parameters`);
      for (const p of inPath) assert.equal(p.required, true, `${where}: ${p.name} is required`);
      requirements(op.security, where);
    }
  }
  const refs = JSON.stringify(doc).matchAll(/"\$ref":"([^"]*)"/g);
  for (const [, ref = ''] of refs) {
    assert.match(ref, /^#\//, `${what}: ${ref} is not local`);
    let at: unknown = doc;
    for (const part of ref.slice(2).split('/')) at = (at as Record<string, unknown> | undefined)?.[part];
    assert.ok(at !== undefined, `${what}: ${ref} resolves to nothing`);
  }
}

describe('OpenAPI documents', () => {
  let t: TestApp;
  let whole: Document;
  const docs = new Map<string, Document>();
  before(async () => {
    t = await startTestApp();
    whole = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<Document>();
    for (const dialect of Object.keys(EXPECTED)) {
      const res = await t.app.inject({ method: 'GET', url: `/openapi/${dialect}.json` });
      assert.equal(res.statusCode, 200, `${dialect}: ${res.body.slice(0, 200)}`);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      docs.set(dialect, res.json<Document>());
    }
  });
  after(async () => t?.close());

  it('the whole document at /openapi.json is OpenAPI 3.1 and holds every dialect', () => {
    assertOpenApi31(whole, '/openapi.json');
    const all = operations(whole).map(([key]) => key);
    for (const key of Object.values(EXPECTED).flat()) assert.ok(all.includes(key), key);
  });

  for (const [dialect, expected] of Object.entries(EXPECTED)) {
    it(`/openapi/${dialect}.json is OpenAPI 3.1 and holds exactly the ${dialect} operations`, () => {
      const doc = docs.get(dialect) as Document;
      assertOpenApi31(doc, dialect);
      assert.deepEqual(
        operations(doc)
          .map(([key]) => key)
          .sort(),
        [...expected].sort(),
      );
      // Each operation as the whole document describes it, and every one the whole tags so.
      for (const [key, op] of operations(doc)) {
        const [method = '', path = ''] = key.split(' ');
        assert.deepEqual(op, whole.paths[path]?.[method.toLowerCase()], key);
        assert.deepEqual(op.tags, [dialect], key);
      }
      const tagged = operations(whole).filter(([, op]) => op.tags?.includes(dialect));
      assert.deepEqual(tagged.map(([key]) => key).sort(), [...expected].sort());
      assert.match(doc.info.title, /^Trailkeep: /);
      assert.notEqual(doc.info.title, whole.info.title);
    });
  }

  it('Zendesk’s document declares its Basic API-token credential beside the bearer one', () => {
    const doc = docs.get('zendesk') as Document;
    assert.equal(doc.components?.securitySchemes?.basic?.scheme, 'basic');
    assert.equal(doc.components?.securitySchemes?.bearer?.scheme, 'bearer');
    assert.deepEqual(doc.security, [{ basic: [] }, { bearer: [] }]);
    assert.deepEqual(docs.get('genesys')?.security, [{ bearer: [] }]);
    assert.equal(whole.components?.securitySchemes?.basic, undefined, 'the whole document is unchanged');
  });

  it('describes the live tail as an event stream, its errors as JSON, and Last-Event-ID', () => {
    const op = whole.paths['/v1/events/stream']?.get as Operation & {
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    assert.deepEqual(op.tags, ['events']);
    const types = Object.fromEntries(
      Object.entries(op.responses).map(([status, r]) => [status, Object.keys(r.content ?? {})]),
    );
    assert.deepEqual(types, {
      200: ['text/event-stream'],
      204: [],
      '4XX': ['application/json'],
      '5XX': ['application/json'],
    });
    const params = (op.parameters ?? []).map((p) => `${p.in} ${p.name}`);
    assert.ok(params.includes('header last-event-id'), params.join(', '));
    for (const name of ['actor_id', 'action_prefix', 'q', 'min_seq', 'max_seq', 'from']) {
      assert.ok(params.includes(`query ${name}`), name);
    }
    for (const name of ['order', 'limit', 'cursor']) assert.ok(!params.includes(`query ${name}`), name);
  });

  it('needs no credential; a dialect without a document of its own is a 404 in the native envelope', async () => {
    for (const name of ['native', 'nothing', '__proto__']) {
      const res = await t.app.inject({ method: 'GET', url: `/openapi/${name}.json` });
      assert.equal(res.statusCode, 404, name);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'not_found', name);
    }
  });

  it('a dialect route without the dialect’s tag is refused when the app is built', async () => {
    const app = Fastify();
    await assert.rejects(
      registerDialect(
        app,
        {
          ...agilicus,
          routes: async (scope) => {
            scope.get('/untagged', { schema: { summary: 'no tag' } }, async () => ({}));
          },
        },
        t.services,
      ),
      /GET \/v1\/untagged is of the agilicus dialect: tag it agilicus/,
    );
    await app.close();
  });
});
