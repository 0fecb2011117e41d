import { type Param, type ParsedQuery, parseQuery } from './query.js';

/**
 * What a search is: the query text, a time-range preset and the order. The page keeps it in
 * its URL's query string (`?q=…&range=24h&order=asc`), so a search is shared by its link, and
 * never the credential, which stays in the fragment or the session. Pure, like the parser.
 */

export const RANGES = [
  { value: '', label: 'Any time', ms: 0 },
  { value: '1h', label: 'Last hour', ms: 3_600_000 },
  { value: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { value: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const;

export type Range = (typeof RANGES)[number]['value'];
export type Order = 'desc' | 'asc';

export interface SearchState {
  query: string;
  range: Range;
  order: Order;
}

export const EMPTY_SEARCH: SearchState = { query: '', range: '', order: 'desc' };

const isRange = (v: string | null): v is Range => RANGES.some((r) => r.value === v);

/** The search a URL's query string holds; anything it does not know is ignored. */
export function searchFromUrl(search: string): SearchState {
  const p = new URLSearchParams(search);
  const range = p.get('range');
  return {
    query: p.get('q') ?? '',
    range: isRange(range) ? range : '',
    order: p.get('order') === 'asc' ? 'asc' : 'desc',
  };
}

/** The query string of a search (`?…`, or '' for the empty search); defaults are left out. */
export function searchToUrl(state: SearchState, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  if (state.query.trim() !== '') p.set('q', state.query.trim());
  if (state.range !== '') p.set('range', state.range);
  if (state.order !== 'desc') p.set('order', state.order);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  const text = p.toString();
  return text === '' ? '' : `?${text}`;
}

export interface Request {
  /** The filters to send, once each for a single-valued one, repeated names OR. */
  params: Param[];
  parsed: ParsedQuery;
  /** Why the search cannot run, as the search box shows it. */
  error: string | null;
}

/** The later and the earlier of two RFC 3339 times (UTC, as parseWhen and toISOString write them). */
const later = (a: string, b: string) => (a > b ? a : b);
const earlier = (a: string, b: string) => (a < b ? a : b);

/**
 * The filters of a search at time `now`: the query's, the preset's start (the later of it and
 * an `after:` term: both must hold), and `fixed` filters (an embedding page's), which the
 * search may narrow but never widen: a field they set cannot be set again by the query, since
 * the API would OR the two.
 */
export function requestOf(state: SearchState, fixed: Param[], now: number): Request {
  const parsed = parseQuery(state.query);
  if (parsed.error) return { params: [], parsed, error: parsed.error.message };
  const fixedNames = new Set(fixed.map(([n]) => n));
  const clash = parsed.params.find(([n]) => fixedNames.has(n) && n !== 'from' && n !== 'to');
  if (clash) {
    return {
      params: [],
      parsed,
      error: `This view is fixed to its own ${clash[0]}; the search cannot change it.`,
    };
  }
  const params: Param[] = [...fixed.filter(([n]) => n !== 'from' && n !== 'to')];
  const preset = RANGES.find((r) => r.value === state.range)?.ms ?? 0;
  let from: string | null = preset > 0 ? new Date(now - preset).toISOString() : null;
  let to: string | null = null;
  for (const [name, value] of [...fixed, ...parsed.params]) {
    if (name === 'from') from = from === null ? value : later(from, value);
    else if (name === 'to') to = to === null ? value : earlier(to, value);
  }
  params.push(...parsed.params.filter(([n]) => n !== 'from' && n !== 'to'));
  if (from !== null) params.push(['from', from]);
  if (to !== null) params.push(['to', to]);
  return { params, parsed, error: null };
}

/** Filters as an export's `filters` body: one value, or the list of a repeated name. */
export function filtersBody(params: Param[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of params) {
    const had = out[name];
    out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return out;
}

/** Fixed filters from an attribute: a JSON object of name → value or values. */
export function paramsFromJson(text: string | null): Param[] {
  if (!text) return [];
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('filters must be a JSON object of filter parameters');
  }
  return Object.entries(parsed as Record<string, unknown>).flatMap(([name, v]) =>
    (Array.isArray(v) ? v : [v]).map((x): Param => [name, String(x)]),
  );
}
