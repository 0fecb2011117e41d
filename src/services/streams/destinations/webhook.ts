import { Webhook } from 'standardwebhooks';
import { Type } from 'typebox';
import { invalidParameter } from '../../../core/errors.js';
import { post } from './http-post.js';
import type { DestinationModule } from './types.js';

const settings = Type.Object({
  url: Type.String({ maxLength: 2048, description: 'The receiver’s HTTPS URL.' }),
  secret: Type.String({
    pattern: '^whsec_[A-Za-z0-9+/=]{24,}$',
    writeOnly: true,
    description: 'A Standard Webhooks secret (`whsec_` and base64 of 24 to 64 random bytes); never returned.',
  }),
});

/** The `type` of a webhook body: a batch of a tenant's audit events. */
export const WEBHOOK_EVENT_TYPE = 'trailkeep.events';

/**
 * A generic HTTPS receiver, signed per the Standard Webhooks spec (docs/streams/webhook.md):
 * `webhook-id` is the delivery id, the same on every retry so a receiver de-duplicates;
 * `webhook-timestamp` is the attempt's time, as the spec's replay window expects. The body is
 * the same bytes on every attempt.
 */
export const webhook: DestinationModule<typeof settings> = {
  type: 'webhook',
  settings,
  secrets: ['secret'],
  validate(s, net) {
    net.checkUrl(s.url, 'url');
    try {
      new Webhook(s.secret);
    } catch {
      invalidParameter(
        'secret',
        'is not a Standard Webhooks secret (whsec_ and base64).',
        'destination.secret',
      );
    }
  },
  open(s, { net, clock }) {
    const signer = new Webhook(s.secret);
    return {
      async send(batch, signal) {
        const body = `{"type":"${WEBHOOK_EVENT_TYPE}","timestamp":${JSON.stringify(new Date(batch.createdAt).toISOString())},"data":{"tenant":${JSON.stringify(batch.tenant)},"stream":${JSON.stringify(batch.stream)},"from_seq":${batch.fromSeq},"to_seq":${batch.toSeq},"checkpoint":${JSON.stringify(batch.checkpoint)},"events":[${batch.records.map((r) => r.json).join(',')}]}}`;
        const at = new Date(clock());
        const headers = {
          'content-type': 'application/json',
          'user-agent': 'Trailkeep',
          'webhook-id': batch.id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(batch.id, at, body),
        };
        return (await post(net, s.url, headers, body, signal, clock)).outcome;
      },
      async close() {},
    };
  },
};
