import { toEventFilter } from '../../core/filters.js';
import { FORMATS } from '../../core/streams/formats/index.js';
import type { StoredEvent } from '../../core/streams/formats/types.js';
import { applyPii } from '../../core/streams/pii.js';
import type { StreamRecord } from '../../core/streams/stream.js';
import type { EventStore } from '../../store/types.js';
import type { OutRecord } from './destinations/types.js';

/** The most seqs one read looks at: a filter matching few events must not make a backfill read millions of rows at once. */
export const SCAN_SEQS = 5_000;

/** Records formed from a stream's next seqs, and the last seq they cover. */
export interface Batch {
  records: OutRecord[];
  /** The last seq this batch covers: the last record's when a limit cut it, else the end of what was read. */
  toSeq: number;
  /** A limit cut it, or more seqs wait beyond what was read: no reason to wait for more. */
  full: boolean;
}

/**
 * Reads a stream's events from the event table (its outbox) and renders them in its format.
 * A range read again (a retry, a takeover) gives the same records: events never change.
 */
export class BatchReader {
  constructor(
    private readonly events: Pick<EventStore, 'window'>,
    /** The key of a stream's `hmac` PII rules (sealed with its secrets). */
    private readonly piiKeyOf: (stream: StreamRecord) => Uint8Array | null,
  ) {}

  /** The records among seqs `after`+1…`end` (at most SCAN_SEQS of them read), up to `maxEvents` and the stream's byte limit. */
  async read(stream: StreamRecord, after: number, end: number, maxEvents: number): Promise<Batch> {
    const upTo = Math.min(end, after + SCAN_SEQS);
    const rows = await this.events.window(stream.tenant, toEventFilter(stream.filters), after, upTo);
    const format = FORMATS[stream.format];
    if (!format) throw new Error(`stream format ${stream.format} is not available`);
    const key = stream.pii.length ? this.piiKeyOf(stream) : null;
    const records: OutRecord[] = [];
    let bytes = 0;
    for (const row of rows) {
      if (records.length >= maxEvents) break;
      const stored = JSON.parse(row.json) as StoredEvent;
      const { event, redacted } = stream.pii.length
        ? applyPii(stored, stream.pii, key)
        : { event: stored, redacted: [] };
      const record = format.render(event, redacted);
      // A record that is the stored event unchanged is sent as the stored text, not written again.
      const json = record === stored ? row.json : JSON.stringify(record);
      // One record over the byte limit still goes alone: the destination decides whether it can take it.
      if (records.length > 0 && bytes + json.length > stream.batch.max_bytes) break;
      bytes += json.length;
      records.push({ seq: row.seq, occurredAt: String(event.occurred_at), record, json });
    }
    const cut = records.length < rows.length;
    const last = records[records.length - 1];
    return {
      records,
      toSeq: cut && last ? last.seq : upTo,
      full: cut || upTo < end || records.length >= maxEvents,
    };
  }
}
