import { canonicalJson, verifyEvent } from '../event/seal.js';
import { openCheckpoint } from '../log/checkpoint.js';
import type { Verifier } from '../log/note.js';
import { FORMATS } from './formats/index.js';
import { OCSF_MAPPING_VERSION } from './formats/ocsf.js';
import type { ProofFields, StoredEvent, StreamFormat } from './formats/types.js';
import { SeqHashes } from './seq-hashes.js';

/**
 * The offline check of what a stream delivered (docs/streams/formats.md#verifying-received-batches):
 * fed every line a receiver kept, in any order, it finds per tenant the seqs nobody received
 * (gaps) and the events that were changed (altered). It keeps only each seq's hash and the
 * ranges batches claimed, never whole events, so a directory of millions of events fits.
 */

/** The `type` of a webhook body (services/streams/destinations/webhook.ts writes it). */
export const WEBHOOK_BODY_TYPE = 'trailkeep.events';
/** The `kind` of the manifest object the S3 destination writes beside each batch object. */
export const MANIFEST_KIND = 'trailkeep.manifest';

/**
 * A manifest: the batch object `key` (its bytes hash to `sha256`, hex) holds `events` records of
 * `tenant` and covers seqs `from_seq`..`to_seq` (events the stream's filter left out included).
 */
export interface Manifest {
  kind: typeof MANIFEST_KIND;
  tenant: string;
  stream: string;
  from_seq: number;
  to_seq: number;
  events: number;
  checkpoint: string | null;
  sha256: string;
  key: string;
}

export interface Gap {
  from: number;
  to: number;
  /** After every seq received or claimed: only a checkpoint says the log is longer. */
  tail: boolean;
}

export interface TenantReport {
  tenant: string;
  /** Distinct seqs held by a record. */
  events: number;
  /** Records whose hash was recomputed from the event they carry. */
  checked: number;
  /** Records PII rules changed: their hash cannot be recomputed, only compared with duplicates. */
  redacted: number;
  duplicates: number;
  /** The largest size of a valid checkpoint, null without one. */
  checkpointSize: number | null;
  gaps: Gap[];
  altered: { seq: number; reason: string }[];
  badCheckpoints: { where: string; reason: string }[];
}

export interface BatchReport {
  tenants: TenantReport[];
  /** Lines that are none of the three kinds, records out of their batch, manifests without their object. */
  problems: { where: string; message: string }[];
  ok: boolean;
}

interface Claim {
  from: number;
  to: number;
}

interface PendingManifest extends Claim {
  key: string;
  sha256: string;
  where: string;
}

class TenantState {
  readonly hashes = new SeqHashes();
  readonly claims: Claim[] = [];
  readonly manifests: PendingManifest[] = [];
  readonly altered = new Map<number, string>();
  readonly checkpoints = new Set<string>();
  readonly badCheckpoints: { where: string; reason: string }[] = [];
  checkpointSize: number | null = null;
  checked = 0;
  redacted = 0;
  duplicates = 0;
  highest = 0;

  alter(seq: number, reason: string): void {
    if (!this.altered.has(seq)) this.altered.set(seq, reason);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

/** Tried in this order: native last, as it reads top-level members any JSON object may have. */
const RECOGNISED: StreamFormat[] = [FORMATS.cloudevents, FORMATS.ocsf, FORMATS.native];

/**
 * Whether `record` is exactly what its format makes of the event it carries, so that a field a
 * SIEM shows (OCSF `actor.user.email_addr`, a CloudEvent's `subject`) cannot be changed while
 * the carried event still verifies. An OCSF record of another mapping version cannot be
 * rendered again here; its carried event alone is checked.
 */
function rendersAs(format: StreamFormat, event: StoredEvent, record: Obj): boolean {
  if (format.name === 'ocsf') {
    const trailkeep = (record.unmapped as Obj).trailkeep as Obj;
    if (trailkeep.mapping_version !== OCSF_MAPPING_VERSION) return true;
  }
  return canonicalJson(format.render(event, [])) === canonicalJson(record);
}

export class BatchVerifier {
  private readonly tenants = new Map<string, TenantState>();
  private readonly problems: { where: string; message: string }[] = [];
  /** Objects read, by name (S3 key or relative path), with the SHA-256 of their bytes. */
  private readonly objects = new Map<string, string>();

  /** `fromSeq`: where the receiver's history starts (a stream created when the log was already long). */
  constructor(
    private readonly verifier: Verifier,
    private readonly fromSeq = 1,
  ) {}

  private tenant(id: string): TenantState {
    let t = this.tenants.get(id);
    if (!t) {
      t = new TenantState();
      this.tenants.set(id, t);
    }
    return t;
  }

  /** A line that could not be read as JSON, or anything else wrong with the input itself. */
  problem(where: string, message: string): void {
    this.problems.push({ where, message });
  }

  /** An object read whole: its name and the hex SHA-256 of its bytes, for the manifests naming it. */
  object(name: string, sha256: string): void {
    this.objects.set(name, sha256);
  }

  /** One parsed line: a record, a webhook body, a manifest, or an array of those. */
  value(v: unknown, where: string): void {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        this.value(x, `${where}[${i}]`);
      });
      return;
    }
    if (!isObj(v)) {
      this.problem(where, 'is not a Trailkeep record, batch or manifest.');
      return;
    }
    if (v.type === WEBHOOK_BODY_TYPE && isObj(v.data)) {
      this.body(v.data, where);
      return;
    }
    if (v.kind === MANIFEST_KIND) {
      this.manifest(v, where);
      return;
    }
    this.record(v, where, null);
  }

  private claim(data: Obj, where: string): { tenant: string; from: number; to: number } | null {
    const { tenant, from_seq: from, to_seq: to } = data;
    if (typeof tenant !== 'string' || !isSeq(from) || !isSeq(to) || to < from) {
      this.problem(where, 'names no tenant and seq range (from_seq ≤ to_seq).');
      return null;
    }
    return { tenant, from, to };
  }

  private body(data: Obj, where: string): void {
    const range = this.claim(data, where);
    if (!range) return;
    const t = this.tenant(range.tenant);
    t.claims.push(range);
    t.highest = Math.max(t.highest, range.to);
    this.checkpoint(t, range.tenant, data.checkpoint, where);
    const events = Array.isArray(data.events) ? data.events : [];
    events.forEach((e, i) => {
      this.record(e, `${where} event ${i + 1}`, range);
    });
  }

  private manifest(m: Obj, where: string): void {
    const range = this.claim(m, where);
    if (!range) return;
    if (typeof m.key !== 'string' || typeof m.sha256 !== 'string') {
      this.problem(where, 'is a manifest without the key and sha256 of its object.');
      return;
    }
    const t = this.tenant(range.tenant);
    // Its range counts only once its object is found with those bytes (finish): a manifest
    // whose object was deleted must not hide the gap.
    t.manifests.push({ ...range, key: m.key, sha256: m.sha256.toLowerCase(), where });
    t.highest = Math.max(t.highest, range.to);
    this.checkpoint(t, range.tenant, m.checkpoint, where);
  }

  private checkpoint(t: TenantState, tenant: string, note: unknown, where: string): void {
    if (note === null || note === undefined) return;
    if (typeof note !== 'string') {
      t.badCheckpoints.push({ where, reason: 'is not a signed note' });
      return;
    }
    if (t.checkpoints.has(note)) return;
    t.checkpoints.add(note);
    const checkpoint = openCheckpoint(note, this.verifier, tenant);
    if (!checkpoint) {
      t.badCheckpoints.push({
        where,
        reason: `is not signed by ${this.verifier.name} for this tenant's log`,
      });
      return;
    }
    t.checkpointSize = Math.max(t.checkpointSize ?? 0, checkpoint.size);
  }

  private record(
    value: unknown,
    where: string,
    batch: { tenant: string; from: number; to: number } | null,
  ): void {
    const record = isObj(value) ? value : null;
    let format: StreamFormat | undefined;
    let proof: ProofFields | null = null;
    for (const f of RECOGNISED) {
      proof = record && f.proof(record);
      if (proof) {
        format = f;
        break;
      }
    }
    if (!record || !proof || !format || !isSeq(proof.seq)) {
      this.problem(where, 'is not a Trailkeep record (no tenant, seq and hash).');
      return;
    }
    if (batch && (proof.tenant !== batch.tenant || proof.seq < batch.from || proof.seq > batch.to)) {
      this.problem(where, `holds seq ${proof.seq} of ${proof.tenant}, outside its batch.`);
      return;
    }
    const t = this.tenant(proof.tenant);
    t.highest = Math.max(t.highest, proof.seq);
    const original = format.original(record);
    if (original) {
      const same =
        original.tenant === proof.tenant && original.seq === proof.seq && original.hash === proof.hash;
      if (!same) t.alter(proof.seq, 'the event it carries is not the one its tenant, seq and hash name');
      else if (!verifyEvent(original)) t.alter(proof.seq, 'its hash does not recompute');
      else if (!rendersAs(format, original as StoredEvent, record))
        t.alter(proof.seq, 'it is not what its event renders to (a field beside the event was changed)');
      else t.checked += 1;
    } else if (format.redacted(record)) t.redacted += 1;
    // A record that carries no event and does not say PII rules changed it was altered.
    else t.alter(proof.seq, 'it carries no event whose hash can be recomputed');

    const held = t.hashes.set(proof.seq, proof.hash);
    if (held === 'same') t.duplicates += 1;
    else if (held === 'different') t.alter(proof.seq, 'two records of it have different hashes');
    else if (held === 'invalid') t.alter(proof.seq, 'its hash is not a SHA-256');
  }

  /** The object a manifest's key names: the same name, or one is the other's path below a prefix. */
  private objectOf(key: string, byBase: Map<string, string[]>): string | undefined {
    const exact = this.objects.get(key);
    if (exact !== undefined) return exact;
    const base = key.slice(key.lastIndexOf('/') + 1);
    const name = byBase.get(base)?.find((n) => key.endsWith(`/${n}`) || n.endsWith(`/${key}`));
    return name === undefined ? undefined : this.objects.get(name);
  }

  finish(): BatchReport {
    const byBase = new Map<string, string[]>();
    for (const name of this.objects.keys()) {
      const base = name.slice(name.lastIndexOf('/') + 1);
      const names = byBase.get(base);
      if (names) names.push(name);
      else byBase.set(base, [name]);
    }
    const tenants: TenantReport[] = [];
    for (const [tenant, t] of [...this.tenants].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const m of t.manifests) {
        const sha = this.objectOf(m.key, byBase);
        if (sha === m.sha256) t.claims.push(m);
        else
          this.problem(
            m.where,
            sha === undefined
              ? `names the object ${m.key} (seqs ${m.from}–${m.to}), which is not there.`
              : `names the object ${m.key} (seqs ${m.from}–${m.to}), whose bytes are not the ones it hashed.`,
          );
      }
      tenants.push({
        tenant,
        events: t.hashes.size,
        checked: t.checked,
        redacted: t.redacted,
        duplicates: t.duplicates,
        checkpointSize: t.checkpointSize,
        gaps: this.gaps(t),
        altered: [...t.altered].sort(([a], [b]) => a - b).map(([seq, reason]) => ({ seq, reason })),
        badCheckpoints: t.badCheckpoints,
      });
    }
    const ok =
      this.problems.length === 0 &&
      tenants.every((t) => t.gaps.length === 0 && t.altered.length === 0 && t.badCheckpoints.length === 0);
    return { tenants, problems: this.problems, ok };
  }

  /** The seqs from `fromSeq` to the log's known end that no record holds and no batch claimed. */
  private gaps(t: TenantState): Gap[] {
    const seen = t.highest;
    const end = Math.max(seen, t.checkpointSize ?? 0);
    const covered = [...t.claims.map((c): [number, number] => [c.from, c.to]), ...t.hashes.runs()].sort(
      (a, b) => a[0] - b[0],
    );
    const gaps: Gap[] = [];
    let next = this.fromSeq;
    const gapUntil = (to: number) => {
      if (to < next) return;
      // A gap past every seq received or claimed is known only from a checkpoint.
      if (next <= seen) gaps.push({ from: next, to: Math.min(to, seen), tail: false });
      if (to > seen) gaps.push({ from: Math.max(next, seen + 1), to, tail: true });
    };
    for (const [from, to] of covered) {
      if (from > end) break;
      if (from > next) gapUntil(from - 1);
      next = Math.max(next, to + 1);
    }
    gapUntil(end);
    return gaps;
  }
}
