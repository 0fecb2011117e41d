import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { invalidParameter } from '../../core/errors.js';
import { dateTimeParam } from '../../core/interval.js';
import { parseEntriesPath, parseTilePath, TILE_WIDTH } from '../../core/log/tiles.js';
import type { Services } from '../../services/index.js';
import type { StoredCheckpoint } from '../../store/types.js';
import { readFor, tenantFor } from '../auth.js';
import { ErrorResponses } from './schemas.js';

const tags = ['log'];
const Size = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

const KeySchema = Type.Object({
  verifier_key: Type.String({
    description: 'The signed-note verifier key: <name>+<key id>+<base64(0x01 ‖ public key)>.',
  }),
  origin: Type.String({ description: 'The origin line of this tenant’s checkpoints: <log name>/<tenant>.' }),
  key_name: Type.String(),
  key_id: Type.String({
    description: 'Eight hex digits: the first four bytes of SHA-256(name ‖ "\\n" ‖ 0x01 ‖ key).',
  }),
  algorithm: Type.Literal('Ed25519'),
  public_key: Type.String({ description: 'The raw 32-byte Ed25519 public key, base64.' }),
});

const CheckpointSchema = Type.Object({
  size: Type.Integer(),
  root: Type.String({ description: 'The tree’s root hash, base64.' }),
  created_at: Type.String({ format: 'date-time' }),
  checkpoint: Type.String({ description: 'The signed checkpoint, as GET /v1/log/checkpoint serves it.' }),
});

const CheckpointsQuery = Type.Object(
  {
    size: Type.Optional({ ...Size, description: 'Only the checkpoint of this tree size.' }),
    min_size: Type.Optional(Size),
    max_size: Type.Optional(Size),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Signed at or after (RFC 3339).' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Signed at or before (RFC 3339).' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);

const InclusionQuery = Type.Object(
  {
    seq: Type.Optional({ ...Size, description: 'The event’s seq (its leaf index is seq − 1).' }),
    id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'The event’s id, instead of seq.' }),
    ),
    tree_size: Type.Optional({
      ...Size,
      description: 'The tree to prove inclusion in; the latest checkpoint’s by default.',
    }),
  },
  { additionalProperties: false },
);
const InclusionSchema = Type.Object({
  leaf_index: Type.Integer(),
  tree_size: Type.Integer(),
  hashes: Type.Array(Type.String(), {
    description: 'The RFC 6962 audit path, base64, nearest sibling first.',
  }),
});

const ConsistencyQuery = Type.Object(
  {
    from: Size,
    to: Type.Optional({ ...Size, description: 'The latest checkpoint’s size by default.' }),
  },
  { additionalProperties: false },
);
const ConsistencySchema = Type.Object({
  hashes: Type.Array(Type.String(), { description: 'The RFC 6962 consistency proof, base64.' }),
});

const Binary = (description: string) => ({
  200: {
    description,
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  },
  ...ErrorResponses,
});
const TilePath = Type.Object({ '*': Type.String({ maxLength: 64 }) });

/** A full tile never changes; a partial one is superseded by a wider path. Either is one tenant's: private. */
const IMMUTABLE = 'private, max-age=31536000, immutable';

/** What a tile or bundle path names; a 400 naming the path's form when it names nothing. */
const pathOr400 = <T>(found: T | null, form: string): T =>
  found ?? invalidParameter('path', `must be ${form}, N in C2SP path form (x001/234).`, 'params.*');

/** Tiles and bundles: bytes, cacheable for good once full. */
const sendBinary = (reply: FastifyReply, bytes: Buffer, full: boolean) =>
  reply
    .type('application/octet-stream')
    .header('cache-control', full ? IMMUTABLE : 'no-cache')
    .send(bytes);

const checkpointView = (c: StoredCheckpoint) => ({
  size: c.size,
  root: c.root.toString('base64'),
  created_at: new Date(c.created_at).toISOString(),
  checkpoint: c.note,
});

/**
 * The tamper-evident log of the caller's tenant (docs/log.md): its key, signed checkpoints,
 * C2SP tiles and entry bundles, and RFC 6962 proofs. Every route needs `events:read`; another
 * tenant's log does not exist for the caller.
 */
export const logRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'log'>> = async (app, { log }) => {
  app.get(
    '/log/key',
    {
      config: { viewer: true },
      schema: {
        tags,
        summary: 'The log’s verifier key and this tenant’s origin.',
        response: { 200: KeySchema, ...ErrorResponses },
      },
    },
    async (req) => {
      const { tenant } = readFor(req);
      const v = log.verifier;
      return {
        verifier_key: v.text,
        origin: log.origin(tenant),
        key_name: v.name,
        key_id: v.id.toString(16).padStart(8, '0'),
        algorithm: 'Ed25519' as const,
        public_key: v.publicKey.toString('base64'),
      };
    },
  );

  app.get(
    '/log/checkpoint',
    {
      config: { viewer: true },
      schema: {
        tags,
        summary: 'The latest signed checkpoint (C2SP tlog-checkpoint, signed note), as text/plain.',
        produces: ['text/plain'],
        response: ErrorResponses,
      },
    },
    async (req, reply) => {
      const latest = await log.latest(readFor(req).tenant);
      return reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(latest.note as never);
    },
  );

  app.get(
    '/log/checkpoints',
    {
      schema: {
        tags,
        summary: 'Earlier signed checkpoints, by tree size or signing time, ascending by size.',
        querystring: CheckpointsQuery,
        response: { 200: Type.Object({ checkpoints: Type.Array(CheckpointSchema) }), ...ErrorResponses },
      },
    },
    async (req) => {
      const tenant = tenantFor(req, 'events:read');
      const q = req.query;
      const list = await log.checkpoints(tenant, {
        // `size` is both bounds at once; given with them, the tightest of each wins.
        minSize: Math.max(q.size ?? 0, q.min_size ?? 0),
        maxSize: Math.min(q.size ?? Number.MAX_SAFE_INTEGER, q.max_size ?? Number.MAX_SAFE_INTEGER),
        ...(q.from !== undefined ? { since: dateTimeParam(q.from, 'from', 'query.from') } : {}),
        ...(q.to !== undefined ? { until: dateTimeParam(q.to, 'to', 'query.to') } : {}),
        limit: q.limit,
      });
      return { checkpoints: list.map(checkpointView) };
    },
  );

  app.get(
    '/log/tile/entries/*',
    {
      schema: {
        tags,
        summary:
          'A C2SP entry bundle: each entry (an event’s 32 hash bytes) after its length, a big-endian uint16.',
        params: TilePath,
        response: Binary('The entries of leaves N·256 … N·256 + W − 1.'),
      },
    },
    async (req, reply) => {
      const tenant = tenantFor(req, 'events:read');
      const at = pathOr400(parseEntriesPath(req.params['*']), 'tile/entries/<N>[.p/<W>]');
      const bundle = await log.entries(tenant, at.index, at.width);
      return sendBinary(reply, bundle, at.width === TILE_WIDTH);
    },
  );

  app.get(
    '/log/tile/*',
    {
      schema: {
        tags,
        summary:
          'A C2SP tlog-tiles hash tile (height 8): tile/<L>/<N>[.p/<W>], the 32-byte hashes of tree level 8·L.',
        params: TilePath,
        response: Binary('W (256 in a full tile) hashes of 32 bytes.'),
      },
    },
    async (req, reply) => {
      const tenant = tenantFor(req, 'events:read');
      const at = pathOr400(parseTilePath(req.params['*']), 'tile/<L>/<N>[.p/<W>]');
      const tile = await log.tile(tenant, at.level, at.index, at.width);
      return sendBinary(reply, tile, at.width === TILE_WIDTH);
    },
  );

  app.get(
    '/log/inclusion',
    {
      config: { viewer: true },
      schema: {
        tags,
        summary: 'The RFC 6962 inclusion proof of an event (by seq or id) in a tree the log signed.',
        querystring: InclusionQuery,
        response: { 200: InclusionSchema, ...ErrorResponses },
      },
    },
    async (req) => {
      const { tenant, within } = readFor(req);
      const { seq, id, tree_size } = req.query;
      if ((seq === undefined) === (id === undefined))
        invalidParameter('seq', 'or id: give exactly one.', 'query.seq');
      // A viewer token proves only an event it can read: by seq too, the event is looked up.
      const at =
        seq !== undefined && within === undefined ? seq : await log.seqOf(tenant, id ?? String(seq), within);
      return log.inclusion(tenant, at, tree_size);
    },
  );

  app.get(
    '/log/consistency',
    {
      schema: {
        tags,
        summary: 'The RFC 6962 consistency proof between two tree sizes the log signed.',
        querystring: ConsistencyQuery,
        response: { 200: ConsistencySchema, ...ErrorResponses },
      },
    },
    async (req) => log.consistency(tenantFor(req, 'events:read'), req.query.from, req.query.to),
  );
};
