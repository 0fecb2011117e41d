import type { FastifyRequest } from 'fastify';

/** Paging parameters, dropped from the request's own query when building the link to another page. */
const PAGING = new Set(['page', 'page[after]', 'page[before]']);

/** `{scheme}://{host}`: node-zendesk follows a link only if it starts with its endpointUri. */
export const baseOf = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

/**
 * An absolute link to another page of the same list: the request's path (with or without `.json`)
 * and every other parameter as the client sent it, so its filters and their encoding carry over.
 */
export function pageLink(req: FastifyRequest, set: Record<string, string>): string {
  const [path = '', search = ''] = req.url.split('?', 2);
  const params = new URLSearchParams(search);
  for (const key of [...params.keys()]) if (PAGING.has(key)) params.delete(key);
  for (const [k, v] of Object.entries(set)) params.set(k, v);
  return `${baseOf(req)}${path}?${params.toString()}`;
}
