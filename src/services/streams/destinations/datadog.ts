import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Type } from 'typebox';
import { invalidParameter } from '../../../core/errors.js';
import { post } from './http-post.js';
import type { DestinationModule, OutBatch } from './types.js';

const gzipped = promisify(gzip);

/**
 * Datadog's sites (`datadoghq.com`, `us3.datadoghq.com`, `datadoghq.eu`, `ddog-gov.com` …): any
 * subdomain of its three domains, so a new region needs no release, while an API key is never
 * sent to a host outside Datadog unless the operator names it in `url`.
 */
const SITE = '^([a-z0-9-]+\\.)*(datadoghq\\.com|datadoghq\\.eu|ddog-gov\\.com)$';

const settings = Type.Object({
  site: Type.Optional(
    Type.String({
      pattern: SITE,
      maxLength: 253,
      description:
        'The Datadog site (`datadoghq.com`, `datadoghq.eu`, `us3.datadoghq.com` …); `datadoghq.com` when absent.',
    }),
  ),
  url: Type.Optional(
    Type.String({
      maxLength: 2048,
      description:
        'Instead of `site`, the base URL of a logs intake or a proxy to one (`/api/v2/logs` is added).',
    }),
  ),
  api_key: Type.String({
    minLength: 1,
    maxLength: 256,
    writeOnly: true,
    description: 'A Datadog API key (sent as `DD-API-KEY`); never returned.',
  }),
  service: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: '`service`; `trailkeep` when absent.' }),
  ),
  source: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: '`ddsource`; `trailkeep` when absent.' }),
  ),
  tags: Type.Optional(
    Type.String({ maxLength: 2048, description: '`ddtags`: comma-separated `key:value` tags on every log.' }),
  ),
});

/** The intake's limits per request (its documentation): items, uncompressed bytes, bytes of one log. */
export const DD_MAX_ITEMS = 1000;
export const DD_MAX_PAYLOAD_BYTES = 5_000_000;
export const DD_MAX_ITEM_BYTES = 1_000_000;
/** The tag on the one log per batch that carries the tenant's signed checkpoint. */
export const DD_CHECKPOINT_TAG = 'trailkeep_type:checkpoint';

export const intakeUrl = (s: { site?: string; url?: string }) =>
  `${s.url ? s.url.replace(/\/+$/, '') : `https://http-intake.logs.${s.site ?? 'datadoghq.com'}`}/api/v2/logs`;

type Item = { ddsource: string; ddtags?: string; hostname: string; service: string; message: string };

/**
 * The batch as log items: one per record, whose `message` is the record's JSON text, and one
 * more for the checkpoint when there is one. Or why the intake could never take it whole: a
 * log over 1 MB would be truncated (so its hash no longer checks), and more items or bytes than
 * a request takes are refused; the worker splits such a batch until the one record that cannot
 * go becomes a dead letter.
 */
export function datadogItems(
  batch: OutBatch,
  base: Omit<Item, 'message' | 'ddtags'>,
  tags: string | undefined,
): { items: string } | { tooBig: string } {
  const tagged = tags ? { ddtags: tags } : {};
  const items = batch.records.map((r) => JSON.stringify({ ...base, ...tagged, message: r.json }));
  const over = batch.records.findIndex((r) => Buffer.byteLength(r.json) > DD_MAX_ITEM_BYTES);
  if (over >= 0)
    return { tooBig: `record seq ${batch.records[over]?.seq} is over the Datadog intake's 1 MB per log` };
  if (batch.checkpoint !== null) {
    const message = JSON.stringify({
      type: 'trailkeep.checkpoint',
      tenant: batch.tenant,
      stream: batch.stream,
      from_seq: batch.fromSeq,
      to_seq: batch.toSeq,
      checkpoint: batch.checkpoint,
    });
    items.push(
      JSON.stringify({ ...base, ddtags: tags ? `${tags},${DD_CHECKPOINT_TAG}` : DD_CHECKPOINT_TAG, message }),
    );
  }
  if (items.length > DD_MAX_ITEMS)
    return { tooBig: `${items.length} logs are over the Datadog intake's ${DD_MAX_ITEMS} per request` };
  const text = `[${items.join(',')}]`;
  if (Buffer.byteLength(text) > DD_MAX_PAYLOAD_BYTES)
    return { tooBig: `${Buffer.byteLength(text)} bytes are over the Datadog intake's 5 MB per request` };
  return { items: text };
}

/**
 * Datadog logs intake v2 (docs/streams/datadog.md): a gzipped JSON array of log items, as the
 * official client sends them. Each record's JSON text is the log's `message`, which Datadog
 * parses into attributes; the log's date is when Datadog received it (the intake drops logs
 * dated more than 18 h back, which a replay or an imported event would be), and `occurred_at`
 * stays an attribute. Answers: 2xx accepted; 400, 413 rejected; 401, 403 refused; 408, 429,
 * 5xx retry (types.ts outcomeOfStatus).
 */
export const datadog: DestinationModule<typeof settings> = {
  type: 'datadog',
  settings,
  secrets: ['api_key'],
  // One item of each request is the checkpoint's; the bytes leave room for each message's escaped quotes and the item around it.
  limits: { max_events: DD_MAX_ITEMS - 1, max_bytes: 4_000_000 },
  validate(s, net) {
    if (s.url !== undefined && s.site !== undefined)
      invalidParameter('url', 'and site are exclusive: name one.', 'destination.url');
    if (s.url !== undefined) {
      const url = net.checkUrl(s.url, 'url');
      if (url.search || url.hash) invalidParameter('url', 'takes no query or fragment.', 'destination.url');
    }
  },
  open(s, { net, hostname, clock }) {
    const url = intakeUrl(s);
    const base = { ddsource: s.source ?? 'trailkeep', hostname, service: s.service ?? 'trailkeep' };
    return {
      async send(batch, signal) {
        const built = datadogItems(batch, base, s.tags);
        if ('tooBig' in built) return { kind: 'rejected', error: built.tooBig };
        const headers = {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'dd-api-key': s.api_key,
          'user-agent': 'Trailkeep',
        };
        return (await post(net, url, headers, await gzipped(built.items), signal, clock)).outcome;
      },
      async close() {},
    };
  },
};
