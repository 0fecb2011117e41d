import { type Static, Type } from 'typebox';
import { parseDateTime } from '../interval.js';
import { compileSchema } from '../schema.js';
import { type Subtree, subtreesOf } from './compact.js';

/**
 * What a proof-carrying NDJSON export adds after its events: one more line, an object whose
 * only member is this, so a reader of events tells it apart by that member (events never have
 * it) and a verifier finds it as the file's last line.
 */
export const PROOF_MEMBER = 'trailkeep_proof';

const Seq = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const Base64Hash = Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' });

/**
 * The bounds of an export that had no other filter. Its events are then proven to be every
 * event of the range: all of `min_seq … max_seq`, or, with a time range, a gapless run of seqs
 * whose neighbours (witnesses) are shown to fall outside it.
 */
export const ExportRangeSchema = Type.Object(
  {
    min_seq: Seq,
    max_seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    from: Type.Optional(Type.String({ description: 'Occurred at or after (RFC 3339).' })),
    to: Type.Optional(Type.String({ description: 'Occurred before (RFC 3339).' })),
  },
  { additionalProperties: false },
);

export const ExportProofSchema = Type.Object(
  {
    version: Type.Literal(1),
    /** The signed checkpoint (a C2SP signed note) every event is proven against. */
    checkpoint: Type.String(),
    tree_size: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    range: Type.Union([ExportRangeSchema, Type.Null()]),
    /**
     * Events that are not in the export but sit next to its events in the log, each as stored
     * (with its hash): they show that a time range's neighbours are outside it.
     */
    witnesses: Type.Array(Type.Record(Type.String(), Type.Unknown())),
    /**
     * Every run of leaves neither exported nor witnessed, with the hashes of the complete
     * subtrees that cover it (core/log/compact.ts subtreesOf), left to right.
     */
    gaps: Type.Array(
      Type.Object(
        { from_seq: Seq, to_seq: Seq, hashes: Type.Array(Base64Hash) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ExportRange = Static<typeof ExportRangeSchema>;
export type ExportProof = Static<typeof ExportProofSchema>;
export type ExportGap = ExportProof['gaps'][number];

/** The subtrees whose hashes a gap of `from_seq … to_seq` carries. */
export const gapSubtrees = (fromSeq: number, toSeq: number): Subtree[] => subtreesOf(fromSeq - 1, toSeq);

let validate: ReturnType<typeof compileSchema<ExportProof>> | undefined;

/** The proof line's content, or a sentence saying what is wrong with it. */
export function readProofLine(line: string): ExportProof | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'the last line is not JSON';
  }
  const proof = (value as Record<string, unknown> | null)?.[PROOF_MEMBER];
  if (proof === undefined) return `the last line has no "${PROOF_MEMBER}": the file carries no proofs`;
  validate ??= compileSchema<ExportProof>(ExportProofSchema, { allErrors: false });
  if (!validate(proof)) {
    const e = validate.errors?.[0];
    return `the proof is malformed: ${e?.instancePath || '/'} ${e?.message ?? ''}`.trim();
  }
  return proof;
}

/** An event's or witness's place against a range: whether the range's filter would select it. */
export function inRange(range: ExportRange, seq: number, occurredAt: unknown): boolean {
  if (seq < range.min_seq || seq > range.max_seq) return false;
  if (range.from === undefined && range.to === undefined) return true;
  const at = typeof occurredAt === 'string' ? parseDateTime(occurredAt) : null;
  if (at === null) return false;
  const from = range.from === undefined ? null : parseDateTime(range.from);
  const to = range.to === undefined ? null : parseDateTime(range.to);
  return (from === null || at >= from) && (to === null || at < to);
}
