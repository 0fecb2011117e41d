import { setTimeout as sleep } from 'node:timers/promises';
import { TrailkeepError } from '../../core/errors.js';
import { type ExportRange, gapSubtrees, PROOF_MEMBER } from '../../core/log/export-proof.js';
import { tileNodes, tilesNeeded } from '../../core/log/tiles.js';
import { type EventFilter, type EventRow, upToSeq } from '../../core/query.js';
import type { LogStore, StoredCheckpoint } from '../../store/types.js';

/**
 * The seqs an export wrote, recorded as it writes them: runs `[first, last]` in the order
 * written, which is time order, so a back-dated event starts a run of its own.
 */
export class SeqRuns {
  private readonly written: [number, number][] = [];

  add(seq: number): void {
    const last = this.written.at(-1);
    if (last && last[1] + 1 === seq) last[1] = seq;
    else this.written.push([seq, seq]);
  }

  /** The runs in seq order, neighbours joined. */
  sorted(): [number, number][] {
    const out: [number, number][] = [];
    for (const [first, last] of [...this.written].sort((a, b) => a[0] - b[0])) {
      const prev = out.at(-1);
      if (prev && prev[1] + 1 === first) prev[1] = last;
      else out.push([first, last]);
    }
    return out;
  }
}

/**
 * The range an export's filter selects when it selects by nothing but seq and time, with its
 * seq bounds at most `treeSize`; null for any other filter, whose export can prove that its
 * events are in the log but not that it holds all of some range.
 */
export function exportRange(filter: EventFilter, treeSize: number): ExportRange | null {
  const { fields = {}, from, to, minSeq, maxSeq, ...others } = filter;
  if (Object.values(fields).some((v) => v.length > 0)) return null;
  if (Object.values(others).some((v) => v !== undefined)) return null;
  return {
    min_seq: minSeq ?? 1,
    max_seq: Math.min(maxSeq ?? treeSize, treeSize),
    ...(from === undefined ? {} : { from: new Date(from).toISOString() }),
    ...(to === undefined ? {} : { to: new Date(to).toISOString() }),
  };
}

/**
 * The leaves a timed range's proof shows whole (beyond its events): the seqs between its events
 * and one on each side, within the range's seq bounds and the tree. Their stored events are
 * witnesses that they fall outside the time range.
 */
function witnessRuns(
  events: [number, number][],
  range: ExportRange | null,
  treeSize: number,
): [number, number][] {
  const timed = range && (range.from !== undefined || range.to !== undefined);
  const first = events[0]?.[0];
  const last = events.at(-1)?.[1];
  if (!timed || first === undefined || last === undefined) return [];
  const out: [number, number][] = [];
  if (first - 1 >= Math.max(1, range.min_seq)) out.push([first - 1, first - 1]);
  for (let i = 1; i < events.length; i++) {
    out.push([(events[i - 1] as [number, number])[1] + 1, (events[i] as [number, number])[0] - 1]);
  }
  if (last + 1 <= Math.min(treeSize, range.max_seq)) out.push([last + 1, last + 1]);
  return out;
}

/** The runs of `1 … treeSize` that neither list covers (each list rising, the two disjoint). */
function uncovered(a: [number, number][], b: [number, number][], treeSize: number): [number, number][] {
  const covered = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  let next = 1;
  for (const [first, last] of covered) {
    if (first > next) out.push([next, first - 1]);
    next = last + 1;
  }
  if (next <= treeSize) out.push([next, treeSize]);
  return out;
}

/**
 * The checkpoint a proof-carrying export is made against: the first to cover `lastSeq` (the
 * newest committed event when the export starts), waited for up to `waitMs` since checkpoints
 * trail commits by about a checkpoint interval; else the latest there is. The export then holds
 * the events up to its size.
 */
export async function checkpointFor(
  log: Pick<LogStore, 'latest'>,
  tenant: string,
  lastSeq: number,
  waitMs: number,
): Promise<StoredCheckpoint> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const latest = await log.latest(tenant);
    if (latest && latest.size >= lastSeq) return latest;
    if (Date.now() >= deadline) {
      if (latest) return latest;
      throw new TrailkeepError(
        'unavailable',
        'The log has no signed checkpoint yet to prove the export against.',
      );
    }
    await sleep(Math.min(100, waitMs));
  }
}

/**
 * What makes an export of `filter` proof-carrying against `checkpoint`: the filter stopped at
 * the checkpoint's size, and the writeExport options that record the seqs written and append
 * the proof line.
 */
export function provenExport(
  log: Pick<LogStore, 'tiles' | 'sealed'>,
  tenant: string,
  checkpoint: StoredCheckpoint,
  filter: EventFilter,
): { filter: EventFilter; onRows: (rows: EventRow[]) => void; trailer: () => AsyncIterable<string> } {
  const frozen = upToSeq(filter, checkpoint.size);
  const seqs = new SeqRuns();
  return {
    filter: frozen,
    onRows: (rows) => {
      for (const row of rows) seqs.add(row.seq);
    },
    trailer: () => proofLine(log, tenant, checkpoint, exportRange(frozen, checkpoint.size), seqs),
  };
}

/** Leaves or gaps handled per store read: bounds the memory of one step, whatever the export. */
const STEP = 1000;

/**
 * The proof line of an export (core/log/export-proof.ts), in parts to write one after another:
 * the signed checkpoint, the witnesses, and the hashes that stand for every other leaf of the
 * tree. Read from the tiles in steps, so a sparse export of a large log never holds its proof
 * whole.
 */
export async function* proofLine(
  log: Pick<LogStore, 'tiles' | 'sealed'>,
  tenant: string,
  checkpoint: StoredCheckpoint,
  range: ExportRange | null,
  events: SeqRuns,
): AsyncGenerator<string> {
  const runs = events.sorted();
  const witnesses = witnessRuns(runs, range, checkpoint.size);
  const gaps = uncovered(runs, witnesses, checkpoint.size);
  yield `{"${PROOF_MEMBER}":{"version":1,"checkpoint":${JSON.stringify(checkpoint.note)},"tree_size":${checkpoint.size},"range":${JSON.stringify(range)},"witnesses":[`;
  let comma = '';
  for (const [first, last] of witnesses) {
    for (let from = first; from <= last; from += STEP) {
      const rows = await log.sealed(tenant, from, Math.min(last, from + STEP - 1));
      yield rows.map((r, i) => `${i === 0 ? comma : ','}${r.body}`).join('');
      if (rows.length > 0) comma = ',';
    }
  }
  yield '],"gaps":[';
  for (let i = 0; i < gaps.length; i += STEP) {
    const step = gaps.slice(i, i + STEP);
    const hashesOf = (node: Parameters<Parameters<typeof tilesNeeded>[0]>[0]) =>
      step.map(([first, last]) => gapSubtrees(first, last).map((s) => node(s.level, s.index)));
    const node = tileNodes(await log.tiles(tenant, tilesNeeded(hashesOf)));
    yield hashesOf(node)
      .map((hashes, j) => {
        const [first, last] = step[j] as [number, number];
        const list = hashes.map((h) => `"${h.toString('base64')}"`).join(',');
        return `${i + j === 0 ? '' : ','}{"from_seq":${first},"to_seq":${last},"hashes":[${list}]}`;
      })
      .join('');
  }
  yield ']}}\n';
}
