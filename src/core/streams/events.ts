import type { EventInput } from '../event/schema.js';
import type { StreamRecord } from './stream.js';

/**
 * What streams record in their tenant's own log (docs/streams.md): every change an admin makes
 * and every turn a delivery takes that a receiver would not see (a retry begins, a pause, a
 * disable, a dead letter). Nothing about a stream changes silently.
 */
export const STREAM_ACTIONS = {
  create: 'audit.stream.create',
  update: 'audit.stream.update',
  delete: 'audit.stream.delete',
  pause: 'audit.stream.pause',
  resume: 'audit.stream.resume',
  replay: 'audit.stream.replay',
  test: 'audit.stream.test',
  retry: 'audit.stream.retry',
  refused: 'audit.stream.refused',
  disable: 'audit.stream.disable',
  dead_letter: 'audit.stream.dead_letter',
} as const;
export type StreamAction = keyof typeof STREAM_ACTIONS;

/** Who acted: the credential that called the API, or Trailkeep's own delivery worker. */
export type StreamActor = { credentialId: string } | 'trailkeep';

/** The longest `context` text a stream event carries (the event schema takes 4,000). */
const TEXT = 3_000;
const clip = (text: string) => (text.length <= TEXT ? text : `${text.slice(0, TEXT - 1)}…`);

export function streamEvent(
  action: StreamAction,
  stream: Pick<StreamRecord, 'id' | 'name'> & { destination: { type: string } },
  actor: StreamActor,
  at: number,
  details: Record<string, string | number | null> = {},
): EventInput {
  const system = actor === 'trailkeep';
  const failed =
    action === 'retry' || action === 'refused' || action === 'disable' || action === 'dead_letter';
  const context: Record<string, string> = { destination: stream.destination.type };
  for (const [k, v] of Object.entries(details)) if (v !== null) context[k] = clip(String(v));
  return {
    occurred_at: new Date(at).toISOString(),
    action: STREAM_ACTIONS[action],
    category: 'admin',
    service: 'trailkeep',
    ...(failed ? { outcome: 'failure' } : {}),
    actor: system ? { id: 'trailkeep', type: 'system' } : { id: actor.credentialId, type: 'api_token' },
    ...(system ? {} : { client: { id: actor.credentialId } }),
    target: { type: 'stream', id: stream.id, name: stream.name.slice(0, 512) },
    description: `Stream ${stream.name}: ${action.replace('_', ' ')}`,
    context,
  };
}
