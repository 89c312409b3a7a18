/**
 * Values of the oracle's input table: pools of the values that trip engines (extreme integers,
 * long numerics, astral characters, combining marks, case-mapping edge cases, empty strings, times
 * around the epoch), each with its SQL literal (for PGlite and the printed reproduction) and its
 * input form (what the delta path receives, as the ingest mappers produce it).
 *
 * Every numeric value has one spelling: Postgres keeps a numeric's display scale, so `1.1` and
 * `1.10` are equal yet print differently, and which one a `min`, a `DISTINCT` or a group key shows
 * is up to the executor. No oracle can pin that down, so the pool never holds both.
 */
import fc from 'fast-check';

export type ColumnType = 'integer' | 'bigint' | 'numeric' | 'text' | 'boolean' | 'timestamptz';

export const COLUMN_TYPES: readonly ColumnType[] = [
  'integer',
  'bigint',
  'numeric',
  'text',
  'boolean',
  'timestamptz',
];

/** Postgres's name of the type, as `format_type` prints it. */
export const SQL_TYPE_NAME: Record<ColumnType, string> = {
  integer: 'integer',
  bigint: 'bigint',
  numeric: 'numeric',
  text: 'text',
  boolean: 'boolean',
  timestamptz: 'timestamp with time zone',
};

/** A value of the input table: SQL NULL, or its canonical text (booleans as true/false). */
export type CellValue = string | null;

const INT4 = ['0', '1', '-1', '2', '7', '-7', '10', '100', '46341', '65536', '2147483647', '-2147483648'];

const INT8 = [
  '0',
  '1',
  '-1',
  '3',
  '-3',
  '1000',
  '2147483648',
  '4294967296',
  '3037000500',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '-9007199254740991',
  '-9007199254740993',
  '9223372036854775807',
  '-9223372036854775807',
  '-9223372036854775808',
];

const NUMERIC = [
  '0',
  '1',
  '-1',
  '0.5',
  '-0.5',
  '2.25',
  '3.14159',
  '1.10',
  '100',
  '0.001',
  '-0.000000000000000001',
  '99999999999999999999.99',
  '123456789012345678901234567890.123456789012',
  '9223372036854775807.5',
  '-9223372036854775808',
];

const TEXT = [
  '',
  'a',
  'A',
  'abc',
  'Abc',
  'abd',
  'b',
  'ß',
  'SS',
  'ss',
  'ẞ',
  'é',
  'e\u0301',
  'É',
  '😀',
  'a😀b',
  '\u{1F600}\u{1F601}',
  'Ǆ',
  'ǅ',
  'İ',
  'ı',
  'Σ',
  'ς',
  'ﬀ',
  '\uFF21',
  '\uE000',
  '%',
  '_',
  'a_c',
  'a%c',
  '\\',
  ' 42 ',
  '-7',
  '+7',
  '2147483648',
  '12.5',
  'NULL',
  "it's",
  'x y',
  'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz',
];

const TIMESTAMPTZ = [
  '1970-01-01 00:00:00+00',
  '1969-12-31 23:59:59.999+00',
  '1970-01-01 00:00:00.001+00',
  '2026-05-05 12:34:56.789+00',
  '2026-05-05 12:34:56+00',
  '2026-05-05 12:59:59.999+00',
  '2026-05-05 13:00:00+00',
  '2000-02-29 23:59:59.5+00',
  '2038-01-19 03:14:08+00',
  '1901-12-13 20:45:52+00',
  '2026-12-31 23:59:59.999+00',
  '2024-01-01 00:00:00+00',
  '2026-01-04 00:00:00+00',
];

/** Text Postgres can store: no NUL, no lone surrogate (PGlite would turn it into U+FFFD). */
const storableText = fc
  .string({ unit: 'binary', maxLength: 4 })
  .filter(
    (s) => !s.includes('\u0000') && !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')),
  );

function timestampOf(ms: number): string {
  const iso = new Date(ms).toISOString();
  const fraction = iso.slice(19, 23).replace(/\.?0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction}+00`;
}

const POOLS: Record<ColumnType, fc.Arbitrary<string>> = {
  integer: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...INT4) },
    { weight: 1, arbitrary: fc.integer({ min: -50, max: 50 }).map(String) },
  ),
  bigint: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...INT8) },
    { weight: 1, arbitrary: fc.integer({ min: -50, max: 50 }).map(String) },
  ),
  numeric: fc.constantFrom(...NUMERIC),
  text: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...TEXT) }, { weight: 1, arbitrary: storableText }),
  boolean: fc.constantFrom('true', 'false'),
  timestamptz: fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...TIMESTAMPTZ) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: -2_208_988_800_000, max: 4_102_444_799_999 }).map(timestampOf),
    },
  ),
};

/** A value of `type`, NULL about one time in seven. */
export function cellValue(type: ColumnType): fc.Arbitrary<CellValue> {
  return fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: POOLS[type] });
}

/** A non-null constant of `type` for expressions (same pools as the data, so comparisons hit). */
export function constantValue(type: ColumnType): fc.Arbitrary<string> {
  return POOLS[type];
}

export function quoteText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The value as a literal in an INSERT or a WHERE of the input table (the column gives its type). */
export function cellLiteral(type: ColumnType, value: CellValue): string {
  if (value === null) return 'NULL';
  if (type === 'text' || type === 'timestamptz') return quoteText(value);
  return value;
}

/** The value as a typed literal inside an expression (a bare `-2147483648` would be a bigint). */
export function typedLiteral(type: ColumnType, value: string): string {
  switch (type) {
    case 'integer':
      return value.startsWith('-') ? `(${value})::integer` : value;
    case 'bigint':
      return `(${value})::bigint`;
    case 'numeric':
      return value.startsWith('-') ? `(${value})::numeric` : `${value}::numeric`;
    case 'text':
      return quoteText(value);
    case 'boolean':
      return value.toUpperCase();
    case 'timestamptz':
      return `${quoteText(value)}::timestamptz`;
  }
}

/**
 * The value as the delta path's input receives it, as the ingest mappers map events: numbers for
 * integers that JSON carries exactly, BigInt beyond 2^53, numerics as exact decimal strings,
 * timestamps as text, booleans as booleans.
 */
export function inputValue(type: ColumnType, value: CellValue): unknown {
  if (value === null) return null;
  switch (type) {
    case 'integer':
      return Number(value);
    case 'bigint': {
      const big = BigInt(value);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(big)
        : big;
    }
    case 'boolean':
      return value === 'true';
    default:
      return value;
  }
}
