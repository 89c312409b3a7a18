/**
 * Internal values by type, and the functions every user of the delta path needs on them: Postgres's
 * input and output text, ordering, equality keys, and conversion of input rows (JSON-ish values,
 * which arrive as Postgres's json_populate_record reads them: a JSON scalar's text goes through the
 * column type's input function).
 *
 * | type | internal value |
 * |---|---|
 * | boolean | boolean |
 * | smallint, integer | number |
 * | bigint | number when a safe integer, else BigInt |
 * | numeric | Postgres's text ('1.50', 'NaN') |
 * | real, double precision | number (real rounded to 32 bits) |
 * | text, character varying | string |
 * | timestamp [with time zone] | microseconds since 1970 UTC: number when safe, else BigInt; ±Infinity |
 * | date | days since 1970-01-01 (number); ±Infinity |
 * | interval | [months, days, microseconds] |
 * | jsonb | Postgres's text of the value |
 */
import { SqlEvalError, type SqlType, type Value } from './interface.js';
import { compareInt, isIntType, parseIntText, toIntType, type Int8 } from './integers.js';
import { compareNumeric, numericKey, parseNumericText } from './numeric.js';
import { compareFloat, floatKey, formatFloat, parseFloatText } from './floats.js';
import { compareText, checkText } from './text.js';
import { jsonbText, parseJsonbText } from './json.js';
import {
  compareMicros,
  formatDate,
  formatTimestamp,
  parseDateText,
  parseTimestampText,
  type Micros,
} from './datetime.js';
import {
  compareInterval,
  formatInterval,
  intervalSpan,
  parseIntervalText,
  type Interval,
} from './interval.js';

const TRUE_WORDS = ['true', 'yes', 'on', '1'];
const FALSE_WORDS = ['false', 'no', 'off', '0'];

/** Postgres's boolin: any unambiguous prefix of true/false/yes/no, on/off, 1/0, any case. */
export function parseBoolText(text: string): boolean {
  const t = text.trim().toLowerCase();
  if (t.length > 0 && !(t === 'o')) {
    if (TRUE_WORDS.some((w) => w.startsWith(t) && (w.length <= 2 ? w === t : true))) return true;
    if (FALSE_WORDS.some((w) => w.startsWith(t) && (w.length <= 2 ? w === t : true))) return false;
    if (t === 'of') return false;
  }
  throw new SqlEvalError('22P02', `invalid input syntax for type boolean: "${text}"`);
}

/** The type's input function: text to internal value (22P02 / 22007 / 22003 / 22008 as Postgres). */
export function parseInput(type: SqlType, text: string): Value {
  switch (type) {
    case 'boolean':
      return parseBoolText(text);
    case 'smallint':
    case 'integer':
    case 'bigint':
      return parseIntText(type, text);
    case 'numeric':
      return parseNumericText(text);
    case 'real':
      return parseFloatText(text, true);
    case 'double precision':
      return parseFloatText(text, false);
    case 'text':
    case 'character varying':
    case 'unknown':
      return checkText(text);
    case 'timestamp with time zone':
      return parseTimestampText(text, true);
    case 'timestamp without time zone':
      return parseTimestampText(text, false);
    case 'date':
      return parseDateText(text);
    case 'interval':
      return parseIntervalText(text);
    case 'jsonb':
      return parseJsonbText(text);
  }
}

/** The type's output function: internal value to Postgres's text. */
export function formatOutput(type: SqlType, v: Value): string {
  switch (type) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'real':
      return formatFloat(v as number, true);
    case 'double precision':
      return formatFloat(v as number, false);
    case 'timestamp with time zone':
      return formatTimestamp(v as Micros, true);
    case 'timestamp without time zone':
      return formatTimestamp(v as Micros, false);
    case 'date':
      return formatDate(v as number);
    case 'interval':
      return formatInterval(v as Interval);
    default:
      return String(v);
  }
}

/** Orders two values of `type` as Postgres's btree does; NULL sorts after every value (NULLS LAST). */
export function compareValues(type: SqlType, a: Value, b: Value): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  switch (type) {
    case 'boolean':
      return a === b ? 0 : a ? 1 : -1;
    case 'smallint':
    case 'integer':
    case 'bigint':
      return compareInt(a as Int8, b as Int8);
    case 'numeric':
      return compareNumeric(a as string, b as string);
    case 'real':
    case 'double precision':
      return compareFloat(a as number, b as number);
    case 'timestamp with time zone':
    case 'timestamp without time zone':
    case 'date':
      return compareMicros(a as Micros, b as Micros);
    case 'interval':
      return compareInterval(a as Interval, b as Interval);
    default:
      return compareText(a as string, b as string);
  }
}

/** The key of a NULL: no other key contains U+0000 (Postgres text cannot hold it). */
export const NULL_KEY = '\u0000';

/** A string key: values equal under Postgres's `=` (1.0 and 1.00, -0 and 0) have the same key. */
export function valueKey(type: SqlType, v: Value): string {
  if (v === null) return NULL_KEY;
  switch (type) {
    case 'boolean':
      return v ? 't' : 'f';
    case 'numeric':
      return numericKey(v as string);
    case 'real':
    case 'double precision':
      return floatKey(v as number);
    case 'interval':
      return intervalSpan(v as Interval).toString();
    default:
      return String(v);
  }
}

/**
 * One key for several values (a GROUP BY key, a DISTINCT row): unambiguous for any values. `length`:
 * the key of the first values only (a group's key columns lead its input rows), without a copy.
 */
export function valuesKey(
  types: readonly SqlType[],
  values: readonly Value[],
  length = values.length,
): string {
  let key = '';
  for (let i = 0; i < length; i++) {
    const v = values[i] ?? null;
    key += v === null ? '\u0000\u0000' : valueKey(types[i] ?? 'text', v) + '\u0000';
  }
  return key;
}

/**
 * An input row's value (as a JSON event gives it: number, string, boolean, null, BigInt, digit
 * string beyond 2^53, object or array for jsonb) to the internal value of a `type` column.
 * Throws SqlEvalError where Postgres's json_populate_record would refuse the value.
 */
export function fromInput(type: SqlType, v: unknown): Value {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'number':
      if ((type === 'integer' || type === 'smallint' || type === 'bigint') && Number.isSafeInteger(v))
        return toIntType(type, v + 0);
      if (type === 'double precision' || type === 'real') return type === 'real' ? Math.fround(v) : v;
      break;
    case 'bigint':
      if (isIntType(type)) return toIntType(type, v);
      break;
    case 'string':
      if (type === 'text' || type === 'character varying') return checkText(v);
      if (type === 'jsonb') return jsonbText(v);
      return parseInput(type, v);
    case 'boolean':
      if (type === 'boolean') return v;
      break;
    default:
      if (type === 'jsonb') return jsonbText(v);
      if (type === 'text' || type === 'character varying') return JSON.stringify(v);
      throw new SqlEvalError('22P02', `a JSON object or array cannot be a value of type ${type}`);
  }
  if (type === 'jsonb') return jsonbText(v);
  return parseInput(type, String(v));
}
