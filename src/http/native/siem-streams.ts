import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DELIVERY_STATES } from '../../core/streams/stream.js';
import type { Services } from '../../services/index.js';
import {
  type CreateStream,
  CreateStreamSchema,
  DeliverySchema,
  ReplaySchema,
  StreamViewSchema,
  type UpdateStream,
  UpdateStreamSchema,
} from '../../services/streams/schema.js';
import { tenantAdminFor } from '../auth.js';
import { ErrorResponses } from './schemas.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const tags = ['streams'];
const WHO = ' (a tenant:admin credential, or an operator key with tenants:manage naming the tenant)';

/** The tenant and the credential acting, as streams record it. */
const actingOn = (req: FastifyRequest) => {
  const { tenant, credentialId } = tenantAdminFor(req);
  return { tenant, actor: { credentialId } };
};

/**
 * Streams to SIEMs (docs/streams.md): each a cursor over the tenant's events, delivered to a
 * destination in a format, at least once and in seq order.
 */
export const siemStreamRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'streams'>> = async (
  app,
  { streams },
) => {
  const service = streams.service;

  app.post(
    '/streams',
    {
      schema: {
        tags,
        summary: `Create a stream${WHO}.`,
        body: CreateStreamSchema,
        response: { 201: StreamViewSchema, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const { tenant, actor } = actingOn(req);
      return reply.code(201).send(await service.create(tenant, req.body as CreateStream, actor));
    },
  );

  app.get(
    '/streams',
    {
      schema: {
        tags,
        summary: `List the tenant's streams with their status, cursor and lag${WHO}.`,
        response: { 200: Type.Object({ data: Type.Array(StreamViewSchema) }), ...ErrorResponses },
      },
    },
    async (req) => ({ data: await service.list(actingOn(req).tenant) }),
  );

  app.get(
    '/streams/:id',
    {
      schema: {
        tags,
        summary: `A stream: settings (never its secrets), state, cursor, lag and last error${WHO}.`,
        params: IdParams,
        response: { 200: StreamViewSchema, ...ErrorResponses },
      },
    },
    async (req) => service.get(actingOn(req).tenant, req.params.id),
  );

  app.patch(
    '/streams/:id',
    {
      schema: {
        tags,
        summary: `Change a stream's name, destination, format, filters, batch limits or PII rules${WHO}. A destination given anew needs its secrets again.`,
        params: IdParams,
        body: UpdateStreamSchema,
        response: { 200: StreamViewSchema, ...ErrorResponses },
      },
    },
    async (req) => {
      const { tenant, actor } = actingOn(req);
      return service.update(tenant, req.params.id, req.body as UpdateStream, actor);
    },
  );

  app.delete(
    '/streams/:id',
    {
      schema: {
        tags,
        summary: `Remove a stream and its delivery records${WHO}; recorded as an event first.`,
        params: IdParams,
        response: { 204: Type.Null(), ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const { tenant, actor } = actingOn(req);
      await service.delete(tenant, req.params.id, actor);
      return reply.code(204).send(null);
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/streams/:id/${action}`,
      {
        schema: {
          tags,
          summary:
            action === 'pause'
              ? `Pause a stream: nothing is sent until it is resumed; its cursor stays${WHO}.`
              : `Resume a paused or disabled stream, or one waiting out a backoff, at once${WHO}.`,
          params: IdParams,
          response: { 200: StreamViewSchema, ...ErrorResponses },
        },
      },
      async (req) => {
        const { tenant, actor } = actingOn(req);
        return service[action](tenant, req.params.id, actor);
      },
    );
  }

  app.post(
    '/streams/:id/test',
    {
      schema: {
        tags,
        summary: `Send the tenant's latest event (this test's own recorded event) to the destination now, as a batch of its own, and answer what it said${WHO}.`,
        params: IdParams,
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            outcome: Type.String({ description: 'accepted, retry, refused, gone or rejected.' }),
            error: Type.Union([Type.String(), Type.Null()]),
            seq: Type.Integer({ description: 'The seq of the event sent.' }),
          }),
          ...ErrorResponses,
        },
      },
    },
    async (req) => {
      const { tenant, actor } = actingOn(req);
      return service.test(tenant, req.params.id, actor);
    },
  );

  app.post(
    '/streams/:id/replay',
    {
      schema: {
        tags,
        summary: `Deliver the events of an exact seq range again (those the filters select), beside the live cursor${WHO}.`,
        params: IdParams,
        body: ReplaySchema,
        response: { 202: StreamViewSchema, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const { tenant, actor } = actingOn(req);
      return reply.code(202).send(await service.replay(tenant, req.params.id, req.body, actor));
    },
  );

  app.get(
    '/streams/:id/deliveries',
    {
      schema: {
        tags,
        summary: `A stream's recent deliveries, newest first; state=failed lists the dead letters and the deliveries failing now${WHO}.`,
        params: IdParams,
        querystring: Type.Object(
          {
            state: Type.Optional(Type.Enum([...DELIVERY_STATES, 'failed'])),
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(DeliverySchema) }), ...ErrorResponses },
      },
    },
    async (req) => ({
      data: await service.deliveries(
        actingOn(req).tenant,
        req.params.id,
        req.query.state ?? null,
        req.query.limit,
      ),
    }),
  );
};
