import type { FastifyReply } from 'fastify';

/**
 * Sends JSON text that is already serialised (stored events are kept as their JSON), skipping
 * the response serializer: Fastify passes string payloads with a JSON content type through as is.
 * The route's response schema still documents the shape.
 */
export const sendJsonText = (reply: FastifyReply, json: string, status = 200) =>
  reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(json as never);
