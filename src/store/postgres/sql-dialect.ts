import type { Path } from '../../core/filter-catalogue.js';
import { sqlCompiler } from '../sql/compile.js';
import type { SqlDialect } from '../sql/dialect.js';
import { pgTime } from './time.js';

const bind = (params: unknown[], value: unknown) => `$${params.push(value)}`;
const textPath = (path: Path) => `'{${path.join(',')}}'`;

// Terms are letters, digits and `_` only (core tokenize), so none is tsquery syntax.
const text: SqlDialect['text'] = (params, terms) =>
  terms.length ? `search @@ to_tsquery('simple', ${bind(params, terms.join(' & '))})` : 'false';

export const postgresDialect: SqlDialect = {
  bind,
  bindAgain: (_params, placeholder) => placeholder,
  oneOf: (params, expr, values) => `${expr} = ANY(${bind(params, values)}::text[])`,
  jsonText: (path) => `(body::jsonb #>> ${textPath(path)})`,
  jsonTextOr(path, fallback) {
    // Parsing a body as jsonb costs about 10 µs: only events whose text holds the last member's
    // key (`"result":`; inside a JSON string a quote is escaped) can have it, the rest take the
    // fallback unparsed.
    const key = `"${path.at(-1)}":`;
    return `(CASE WHEN strpos(body, '${key}') = 0 THEN ${fallback} ELSE coalesce(body::jsonb #>> ${textPath(path)}, ${fallback}) END)`;
  },
  anyElement(path, member, test) {
    const at = `body::jsonb #> ${textPath(path)}`;
    return `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(${at}) = 'array' THEN ${at} ELSE '[]'::jsonb END) a WHERE ${test(`a ->> '${member}'`)})`;
  },
  bool: (value) => value,
  // Years before 1 AD and after 9999 included (time.ts).
  time: (params, ms) => `${bind(params, pgTime(ms))}::timestamptz`,
  text,
  // The tsvector is a column of the row: testing it is the same per row as over a range.
  rowText: text,
  rowColumns: `(extract(epoch FROM occurred_at) * 1000)::bigint AS "occurredAt", seq, body AS json`,
  // Nulls last is written by the compiler; "C" compares bytes, as SQLite does.
  bytewise: (column) => `${column} COLLATE "C"`,
  // Its plans follow statistics; the one per-execution choice (full text) is events.ts's.
  hint: () => '',
};

export const postgresSql = sqlCompiler(postgresDialect);
