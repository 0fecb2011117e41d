import type { Path } from '../../core/filter-catalogue.js';
import type { EventFilter } from '../../core/query.js';

/**
 * What an SQL engine writes its own way, for the one compiler of filters and reads
 * (compile.ts). Values are always bound, never written into the SQL; what these write into it
 * are constants of the filter catalogue (column names, paths, literals).
 */
export interface SqlDialect {
  /** Binds `value` (pushed onto `params`); its placeholder. */
  bind(params: unknown[], value: unknown): string;
  /**
   * A value bound before as `placeholder`, needed again: numbered placeholders refer to it,
   * positional ones bind it once more.
   */
  bindAgain(params: unknown[], placeholder: string, value: unknown): string;
  /** `expr` is one of `values` (two or more), bound. */
  oneOf(params: unknown[], expr: string, values: readonly string[]): string;
  /** The text at `path` of the stored event (`body`), NULL where it is absent. */
  jsonText(path: Path): string;
  /** The text at `path`, else `fallback`: an engine may skip parsing bodies that cannot hold it. */
  jsonTextOr(path: Path, fallback: string): string;
  /** Whether any element of the array at `path` has a `member` for which `test` holds. */
  anyElement(path: Path, member: string, test: (value: string) => string): string;
  /** A boolean as the engine binds it. */
  bool(value: boolean): unknown;
  /** Epoch milliseconds bound as an `occurred_at` value. */
  time(params: unknown[], ms: number): string;
  /** Every one of `terms` (core searchTerms) in the event's text; no term matches nothing. */
  text(params: unknown[], terms: readonly string[]): string;
  /**
   * `text` tested on each row of a statement that reads a few rows by another index (a seq
   * window): an engine whose `text` gathers every match first looks each row up instead.
   */
  rowText(params: unknown[], terms: readonly string[]): string;
  /** The select list of a page's rows (`EventRow`): occurredAt in epoch ms, seq, json. */
  readonly rowColumns: string;
  /** A text column sorted by bytes (the order both engines must agree on). */
  bytewise(column: string): string;
  /** What follows `FROM events` in a statement: an engine's plan hint, or nothing. */
  hint(statement: 'list' | 'changeRows' | 'window', f: EventFilter): string;
}
