/**
 * The viewer's query language, parsed into the query parameters of `GET /v1/events`:
 *
 *   actor:ada action:user.* outcome:failure target:ticket/123 after:2026-01-01 "free text"
 *
 * - `actor:` → actor_id; `action:x` → action, `action:x*` → action_prefix;
 *   `outcome:` (success, failure or warning); `target:type/id` → target_type and target_id,
 *   `target:type` → target_type alone;
 * - `after:` / `before:` → from / to: a date (`2026-01-31`, midnight in the browser's time zone)
 *   or a date-time (`2026-01-31T09:30`, local; with `Z` or an offset, exact); `before:` is
 *   exclusive, as the API's `to` is;
 * - any other filter parameter of the API by its own name (`service:billing`, `ip:10.0.0.1`);
 * - a quoted phrase or a bare word (or `q:`) → free text (`q`: every word must appear);
 * - a value with spaces is quoted (`actor:"Ada Lovelace"`); a key repeated ORs its values.
 *
 * Pure: no DOM, no network; the chips, the URL and the tests all read its terms.
 */

/** Filter parameters of the API that are written `name:value` as they are. */
export const FIELD_PARAMS = [
  'actor_id',
  'actor_type',
  'actor_home_org_id',
  'action',
  'action_prefix',
  'category',
  'outcome',
  'service',
  'target_type',
  'target_id',
  'client_id',
  'ip',
  'session_id',
  'trace_id',
  'transaction_id',
  'token_id',
  'request_id',
  'auth_event',
  'auth_stage',
  'auth_result',
  'auth_upstream_idp',
  'auth_upstream_user_id',
  'auth_login_org_id',
  'attribute_type',
  'attribute_id',
  'attribute_org_id',
  'min_seq',
  'max_seq',
] as const;

/** The short keys of the language, each with what it means (the page's help lists them). */
export const KEYS: Record<string, string> = {
  actor: 'the actor’s id',
  action: 'the action; end it with * for every action that starts so (action:user.*)',
  outcome: 'success, failure or warning',
  target: 'type/id of the object acted on, or its type alone (target:ticket/123, target:ticket)',
  after: 'occurred at or after a date or date-time (after:2026-01-01, after:2026-01-01T09:30)',
  before: 'occurred before a date or date-time',
};

const OUTCOMES = ['success', 'failure', 'warning'];

/** One query parameter a term stands for. */
export type Param = readonly [name: string, value: string];

export interface Term {
  /** Where the term is in the query text, to remove it (a chip) or point at it (an error). */
  start: number;
  end: number;
  /** The term as written. */
  text: string;
  /** The key before the colon, lower case; null for free text. */
  key: string | null;
  value: string;
  params: Param[];
}

export interface QueryError {
  message: string;
  start: number;
  end: number;
}

export interface ParsedQuery {
  terms: Term[];
  /** Every term's parameters, in order; free text joined into one `q`. */
  params: Param[];
  error: QueryError | null;
}

/** Raised inside the parser; the caller gets it as `error`. */
class Refused extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const ZONED_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * A date or date-time as RFC 3339 in UTC, or null. Dates and date-times without an offset are
 * the browser's local time, which is how the table shows times.
 */
export function parseWhen(text: string): string | null {
  let date: Date;
  const day = DATE.exec(text);
  const local = LOCAL_TIME.exec(text);
  if (day) {
    date = new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    if (date.getDate() !== Number(day[3]) || date.getMonth() !== Number(day[2]) - 1) return null;
  } else if (local) {
    const [y, mo, d, h, mi, sec, frac] = local.slice(1).map((part) => part ?? '');
    const ms = frac ? Number(frac.padEnd(3, '0')) : 0;
    date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec || 0), ms);
    if (date.getDate() !== Number(d) || date.getMonth() !== Number(mo) - 1 || date.getHours() !== Number(h)) {
      return null;
    }
  } else if (ZONED_TIME.test(text)) {
    date = new Date(text.replace(' ', 'T'));
  } else {
    return null;
  }
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) return null;
  return date.toISOString();
}

/** A value written so the parser reads it back as one value: quoted when it must be. */
export function quote(value: string): string {
  return /^[^\s"]+$/.test(value) ? value : `"${value.replace(/"/g, '')}"`;
}

/** The text of a term for `key` and `value`, as a chip or a link adds it to the query. */
export const termText = (key: string, value: string): string => `${key}:${quote(value)}`;

const knownKeys = (): string => [...Object.keys(KEYS), 'or a filter parameter such as service'].join(', ');

/** Parameters the API takes once: a second term that sets one is refused. */
const SINGLE: Record<string, string> = {
  from: 'after:',
  to: 'before:',
  action_prefix: 'action: with *',
  min_seq: 'min_seq:',
  max_seq: 'max_seq:',
};

/** The parameters of one `key:value` term. */
function paramsOf(key: string, value: string, start: number, end: number): Param[] {
  const refuse = (message: string): never => {
    throw new Refused(message, start, end);
  };
  if (value === '') refuse(`${key}: needs a value`);
  switch (key) {
    case 'actor':
      return [['actor_id', value]];
    case 'action': {
      const star = value.indexOf('*');
      if (star < 0) return [['action', value]];
      if (star !== value.length - 1) refuse('action: takes * only at the end (action:user.*)');
      return value === '*' ? [] : [['action_prefix', value.slice(0, -1)]];
    }
    case 'outcome':
      if (!OUTCOMES.includes(value)) refuse(`outcome: is one of ${OUTCOMES.join(', ')}`);
      return [['outcome', value]];
    case 'target': {
      const slash = value.indexOf('/');
      if (slash < 0) return [['target_type', value]];
      const type = value.slice(0, slash);
      const id = value.slice(slash + 1);
      if (type === '' || id === '') refuse('target: is type/id or a type alone (target:ticket/123)');
      return [
        ['target_type', type],
        ['target_id', id],
      ];
    }
    case 'after':
    case 'before':
    case 'from':
    case 'to': {
      const when = parseWhen(value);
      if (when === null) {
        refuse(`${key}: needs a date (2026-01-31) or a date-time (2026-01-31T09:30, or RFC 3339)`);
      }
      return [[key === 'after' || key === 'from' ? 'from' : 'to', when as string]];
    }
    case 'q':
      // Free text, joined with the bare words into the one `q`.
      return [];
    case 'min_seq':
    case 'max_seq':
    case 'seq':
      if (!/^[1-9]\d{0,15}$/.test(value)) refuse(`${key}: needs a positive whole number`);
      return key === 'seq'
        ? [
            ['min_seq', value],
            ['max_seq', value],
          ]
        : [[key, value]];
    default:
      if ((FIELD_PARAMS as readonly string[]).includes(key)) return [[key, value]];
      return refuse(
        `Unknown filter “${key}:”. Use ${knownKeys()}; put text with a colon in quotes to search for it.`,
      );
  }
}

const SPACE = /\s/;

/** Reads a quoted string from `at` (the opening quote); returns its content and where it ends. */
function quoted(text: string, at: number): { value: string; end: number } {
  const close = text.indexOf('"', at + 1);
  if (close < 0) throw new Refused('A quote is not closed', at, text.length);
  return { value: text.slice(at + 1, close), end: close + 1 };
}

/** Reads up to the next space from `at`. */
function word(text: string, at: number): number {
  let end = at;
  while (end < text.length && !SPACE.test(text[end] as string)) end += 1;
  return end;
}

/** Parses a query; an error names the first term it cannot read, with its place. */
export function parseQuery(text: string): ParsedQuery {
  const terms: Term[] = [];
  try {
    for (let i = 0; i < text.length; ) {
      if (SPACE.test(text[i] as string)) {
        i += 1;
        continue;
      }
      const start = i;
      if (text[i] === '"') {
        const { value, end } = quoted(text, i);
        i = end;
        if (value.trim() !== '') {
          terms.push({ start, end, text: text.slice(start, end), key: null, value, params: [] });
        }
        continue;
      }
      const key = /^([A-Za-z_]+):/.exec(text.slice(i));
      if (key) {
        const name = (key[1] as string).toLowerCase();
        const at = i + key[0].length;
        const read = text[at] === '"' ? quoted(text, at) : { value: '', end: word(text, at) };
        const value = text[at] === '"' ? read.value : text.slice(at, read.end);
        i = read.end;
        const params = paramsOf(name, value, start, i);
        for (const [p] of params) {
          if (p in SINGLE && terms.some((t) => t.params.some(([q]) => q === p))) {
            throw new Refused(`${SINGLE[p]} may be given once`, start, i);
          }
        }
        terms.push({ start, end: i, text: text.slice(start, i), key: name, value, params });
        continue;
      }
      const end = word(text, i);
      terms.push({
        start,
        end,
        text: text.slice(start, end),
        key: null,
        value: text.slice(start, end),
        params: [],
      });
      i = end;
    }
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    return { terms, params: [], error: { message: err.message, start: err.start, end: err.end } };
  }
  const free = terms.filter((t) => t.key === null || t.key === 'q').map((t) => t.value.trim());
  const params: Param[] = terms.flatMap((t) => t.params);
  if (free.length > 0) params.push(['q', free.join(' ')]);
  return { terms, params, error: null };
}

/** The query without `term`, the spaces around it tidied: what removing a chip leaves. */
export function withoutTerm(text: string, term: Pick<Term, 'start' | 'end'>): string {
  return `${text.slice(0, term.start).trimEnd()} ${text.slice(term.end).trimStart()}`.trim();
}

/** The query with `term` (`key:value` text) added at its end, unless it holds it already. */
export function withTerm(text: string, term: string): string {
  const parsed = parseQuery(text);
  if (parsed.terms.some((t) => t.text === term)) return text;
  return `${text.trim()} ${term}`.trim();
}
