import { Type } from 'typebox';
import { v5 as uuidv5 } from 'uuid';
import { invalidParameter } from '../../../core/errors.js';
import { post } from './http-post.js';
import { awaitAck, type HecAnswer, hecOutcome, readHecAnswer } from './splunk-hec-answer.js';
import type { DestinationModule, OutBatch } from './types.js';

const GUID = '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$';

const settings = Type.Object({
  url: Type.String({
    maxLength: 2048,
    description:
      'The HTTP Event Collector’s base URL, without a path (`https://splunk.example.com:8088`); `/services/collector/event` is added.',
  }),
  token: Type.String({
    minLength: 1,
    maxLength: 256,
    writeOnly: true,
    description: 'The HEC token (sent as `Authorization: Splunk <token>`); never returned.',
  }),
  index: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 80,
      description: 'The index; the token’s default index when absent.',
    }),
  ),
  source: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'The source; the token’s default when absent.',
    }),
  ),
  sourcetype: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'The sourcetype of the audit events; `trailkeep:audit` when absent.',
    }),
  ),
  host: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'The host; the Trailkeep node’s host name when absent.',
    }),
  ),
  acknowledgement: Type.Optional(
    Type.Boolean({
      description:
        'Wait for indexer acknowledgement before counting a batch delivered (the token must have it on).',
    }),
  ),
  channel: Type.Optional(
    Type.String({
      pattern: GUID,
      description: 'The request channel (a GUID); one derived from the stream’s id when absent.',
    }),
  ),
});

export const HEC_DEFAULT_SOURCETYPE = 'trailkeep:audit';
/** The sourcetype of the one event per batch that carries the tenant's signed checkpoint. */
export const HEC_CHECKPOINT_SOURCETYPE = 'trailkeep:checkpoint';

/**
 * Splunk's request channels are GUIDs of the sender's choosing. One derived from the stream's id
 * is the same on every node and after every restart, so an acknowledgement is always polled on
 * the channel the batch was sent on, and a stream never opens a channel per attempt (Splunk
 * keeps each channel's state until it idles out).
 */
const CHANNEL_NAMESPACE = '5d3c1e0a-8f7b-4c52-9a1e-7b6f2d4c9e31';
export const channelOf = (stream: string): string => uuidv5(`trailkeep-stream:${stream}`, CHANNEL_NAMESPACE);

/** HEC's default `max_content_length` is 1,000,000 bytes; the envelopes and the checkpoint event need room beside the records. */
const MAX_BATCH_BYTES = 800_000;

type Envelope = { host: string; source?: string; sourcetype: string; index?: string };

/** HEC's batch format: JSON objects one after another, no separator needed (one per line reads better in a capture). */
export function hecBody(batch: OutBatch, envelope: Envelope): string {
  const meta = (sourcetype: string) => JSON.stringify({ ...envelope, sourcetype }).slice(1, -1); // the members, without braces
  const audit = meta(envelope.sourcetype);
  const lines = batch.records.map(
    (r) => `{"time":${Date.parse(r.occurredAt) / 1000},${audit},"event":${r.json}}`,
  );
  if (batch.checkpoint !== null) {
    const event = {
      tenant: batch.tenant,
      stream: batch.stream,
      from_seq: batch.fromSeq,
      to_seq: batch.toSeq,
      checkpoint: batch.checkpoint,
    };
    lines.push(
      `{"time":${batch.createdAt / 1000},${meta(HEC_CHECKPOINT_SOURCETYPE)},"event":${JSON.stringify(event)}}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Splunk HTTP Event Collector (docs/streams/splunk-hec.md). Each record is one HEC event whose
 * `event` is the record and whose `time` is the event's `occurred_at`; the batch's checkpoint is
 * one more event of sourcetype `trailkeep:checkpoint`, so searches over the audit sourcetype
 * see only audit events. With `acknowledgement`, a batch counts as delivered only once Splunk
 * says it is indexed; HEC never de-duplicates, so delivery is at least once either way.
 */
export const splunkHec: DestinationModule<typeof settings> = {
  type: 'splunk_hec',
  settings,
  secrets: ['token'],
  limits: { max_bytes: MAX_BATCH_BYTES },
  validate(s, net) {
    const url = net.checkUrl(s.url, 'url');
    if (
      url.pathname.replace(/\/+$/, '').endsWith('/services/collector') ||
      /\/services\/collector\//.test(url.pathname)
    )
      invalidParameter('url', 'is the HEC base URL, without /services/collector….', 'destination.url');
    if (url.search || url.hash) invalidParameter('url', 'takes no query or fragment.', 'destination.url');
  },
  open(s, { net, hostname, clock }) {
    const base = s.url.replace(/\/+$/, '');
    const envelope: Envelope = {
      host: s.host ?? hostname,
      ...(s.source === undefined ? {} : { source: s.source }),
      sourcetype: s.sourcetype ?? HEC_DEFAULT_SOURCETYPE,
      ...(s.index === undefined ? {} : { index: s.index }),
    };
    return {
      async send(batch, signal) {
        // Sent with or without acknowledgement: a token that has it on refuses a request without one.
        const headers = {
          authorization: `Splunk ${s.token}`,
          'content-type': 'application/json',
          'user-agent': 'Trailkeep',
          'x-splunk-request-channel': s.channel ?? channelOf(batch.stream),
        };
        const sent = await post(
          net,
          `${base}/services/collector/event`,
          headers,
          hecBody(batch, envelope),
          signal,
          clock,
        );
        const answer: HecAnswer = readHecAnswer(sent.body);
        const outcome = hecOutcome(sent.outcome, sent.status, answer);
        if (outcome.kind !== 'accepted' || !s.acknowledgement) return outcome;
        // A token without acknowledgement answers with no ackId: the batch is as delivered as without it.
        if (answer.ackId === undefined) return outcome;
        return awaitAck(net, `${base}/services/collector/ack`, headers, answer.ackId, signal, clock);
      },
      async close() {},
    };
  },
};
