import type { StreamRecord } from '../../core/streams/stream.js';
import { DESTINATIONS } from './destinations/index.js';
import type { Destination, DestinationContext } from './destinations/types.js';
import type { StreamSecrets } from './secrets.js';

/** Opens a stream's destination with its secrets unsealed: what the worker and the test route send through. */
export class OpenDestinations {
  constructor(
    private readonly secrets: StreamSecrets,
    private readonly context: DestinationContext,
  ) {}

  /** The stream's sealed secrets, opened (destination secrets, and `pii_hmac_key`). */
  secretsOf(stream: Pick<StreamRecord, 'tenant' | 'id' | 'secrets'>): Record<string, string> {
    return stream.secrets === null ? {} : this.secrets.open(stream.secrets, stream.tenant, stream.id);
  }

  /** The key of the stream's `hmac` PII rules; null when it has none. */
  piiKeyOf(stream: Pick<StreamRecord, 'tenant' | 'id' | 'secrets' | 'pii'>): Buffer | null {
    if (!stream.pii.some((r) => r.action === 'hmac')) return null;
    const key = this.secretsOf(stream).pii_hmac_key;
    return key === undefined ? null : Buffer.from(key, 'utf8');
  }

  open(stream: StreamRecord): Destination {
    const module = DESTINATIONS[stream.destination.type];
    if (!module) throw new Error(`destination type ${stream.destination.type} is not available`);
    const { pii_hmac_key: _, ...secrets } = this.secretsOf(stream);
    return module.open({ ...stream.destination, ...secrets }, this.context);
  }
}
