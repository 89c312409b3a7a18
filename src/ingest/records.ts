/**
 * Maps a recentchange event (nested JSON) to a row of the input table, by column name:
 * a column is filled from the event field of the same name, else from `head.rest` of a nested
 * object (`length_new` <- length.new, `meta_uri` <- meta.uri), with two aliases kept from the
 * original demo: `r_ts` <- timestamp and `r_schema` <- $schema. Values that do not fit the column's
 * type become NULL (an integer out of its column's range is also counted as skipped), and text
 * Postgres cannot store is repaired, instead of failing the whole transaction. Integers are exact at
 * any size: beyond 2^53 they are BigInts, which the engine writes as exact JSON numbers.
 */
import { stringifyJson } from '../core/exact-json.js';
import { fieldDecoder, selectionOf, type SelectedKeys } from '../core/json-fields.js';
import type { ArrivedEvent, Column, InputRecord } from '../engine/types.js';
import type { RawEvent } from '../sources/types.js';

const ALIASES: Record<string, string[]> = { r_ts: ['timestamp'], r_schema: ['$schema'] };

/** Called for a value that was set to NULL because it cannot fit its column (counted as skipped). */
export type SkipValue = (reason: 'out-of-range', detail: string) => void;

type Coerce = (value: unknown, column: string, skip: SkipValue | undefined) => unknown;

/** The range of each Postgres integer type, as BigInts (exact at both ends). */
const INTEGER_BITS: Record<string, number> = { smallint: 16, int2: 16, integer: 32, int: 32, int4: 32 };

/**
 * Integers travel exactly: a safe integer stays a number, a bigger one that fits the column becomes a
 * BigInt (sources read such literals as BigInts, see core/exact-json.ts). A value out of the column's
 * range becomes NULL and is counted as skipped (`out-of-range`): Postgres would abort the transaction.
 */
function integerCoercer(type: string): Coerce {
  const bits = INTEGER_BITS[type] ?? 64;
  const max = 2n ** BigInt(bits - 1) - 1n;
  const min = -(2n ** BigInt(bits - 1));
  // The same range for safe integers, compared as numbers: no BigInt is made per value (every
  // event's integer columns pass here). A bigint column's bounds lie beyond 2^53: any safe
  // integer fits.
  const maxSafe = Math.min(Number(max), Number.MAX_SAFE_INTEGER);
  const minSafe = Math.max(Number(min), Number.MIN_SAFE_INTEGER);
  return (v, column, skip) => {
    if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && v >= minSafe && v <= maxSafe) return v === 0 ? 0 : v; // not -0
      if (!Number.isInteger(v)) return null;
    } else if (typeof v !== 'bigint') return null;
    const exact = BigInt(v);
    if (exact > max || exact < min) {
      skip?.('out-of-range', `${column} = ${String(v)} does not fit ${type}`);
      return null;
    }
    return Number.isSafeInteger(Number(exact)) ? Number(exact) : exact;
  };
}

function coercerFor(type: string): Coerce {
  if (/^(bigint|integer|smallint|int\d?)$/.test(type)) return integerCoercer(type);
  if (/^(double precision|real|numeric)/.test(type))
    return (v) =>
      typeof v === 'number' && Number.isFinite(v)
        ? v
        : typeof v === 'bigint'
          ? type === 'numeric'
            ? v
            : Number(v)
          : null;
  if (type === 'boolean') return (v) => (typeof v === 'boolean' ? v : null);
  if (type === 'jsonb' || type === 'json') return (v) => (v === undefined ? null : cleanDeep(v));
  return (v) =>
    v === undefined || v === null ? null : typeof v === 'string' ? cleanText(v) : cleanText(stringifyJson(v));
}

/** A copy of a JSON value with every string made storable (BigInts kept: the engine writes them exactly). */
function cleanDeep(value: unknown): unknown {
  if (typeof value === 'string') return cleanText(value);
  if (Array.isArray(value)) return value.map(cleanDeep);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, x] of Object.entries(value)) out[cleanText(key)] = cleanDeep(x);
    return out;
  }
  return value;
}

const NUL = String.fromCharCode(0);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** String.prototype.isWellFormed (Node 20), which the ES2023 library does not declare yet. */
function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Postgres text cannot hold NUL, and its JSON parser refuses a lone UTF-16 surrogate: either would
 * fail the whole transaction, and a replay would fail on the same event after every restart. Both
 * become U+FFFD, the replacement character.
 */
function cleanText<T>(value: T): T | string {
  // isWellFormed (no lone surrogate) answers a one-byte string, most text, without reading it.
  if (typeof value !== 'string' || (!value.includes(NUL) && isWellFormed(value))) return value;
  return value.replaceAll(NUL, '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * Where a column's value is in an event: the first of `keys` (its name, or its alias) the event
 * has, else `a_b` as field b of object a (`nested`). The mapper and the decoder's selection both
 * read it, so a source decodes exactly the fields the mapper looks at.
 */
interface ColumnSource {
  keys: string[];
  nested: [head: string, tail: string] | null;
}

function sourceOf(column: string): ColumnSource {
  const split = column.indexOf('_');
  return {
    keys: ALIASES[column] ?? [column],
    nested: split > 0 ? [column.slice(0, split), column.slice(split + 1)] : null,
  };
}

/**
 * An expression (over the event `e`, with `o` free for a nested object) that reads `column` as
 * `sourceOf` says. Names enter it only as JSON string literals.
 */
function readExpression(column: string): string {
  const { keys, nested } = sourceOf(column);
  const tries = keys.map((key) => `${JSON.stringify(key)} in e ? e[${JSON.stringify(key)}] : `).join('');
  if (nested === null) return `(${tries}undefined)`;
  const [head, tail] = nested.map((name) => JSON.stringify(name)) as [string, string];
  return `(${tries}(o = e[${head}], typeof o === 'object' && o !== null && !Array.isArray(o) ? o[${tail}] : undefined))`;
}

/**
 * Reads events as the retained log kept them, for mapping to these columns: JSON text (a source
 * validated it) is decoded on demand, only the fields the columns read; an object is used as it is.
 */
export function arrivedEventReader(columns: Column[]): (event: ArrivedEvent) => RawEvent {
  const decode = fieldDecoder(fieldsRead(columns));
  return (event) => (typeof event === 'string' ? (decode(event) as RawEvent) : event);
}

/** The event fields the mapper may read for these columns: what a source needs to decode. */
export function fieldsRead(columns: Column[]): SelectedKeys {
  const paths: string[][] = [];
  for (const { name } of columns) {
    const { keys, nested } = sourceOf(name);
    for (const key of keys) paths.push([key]);
    if (nested) paths.push(nested);
  }
  return selectionOf(paths);
}

/** Maps an event to a record; `skip` hears of every value set to NULL because it cannot fit. */
export type RecordMapper = (event: RawEvent, skip?: SkipValue) => InputRecord;

/**
 * The mapper is compiled from its own text, once per table: every column is read by property names
 * written in the code and the record is one object literal, so each event costs a few lookups in
 * known shapes and one allocation, where a loop over the columns' names searched the event and
 * grew the record property by property. A column named `__proto__` is a computed key: an own
 * property, never the record's prototype.
 */
export function recordMapper(columns: Column[]): RecordMapper {
  const coercers = columns.map((c) => coercerFor(c.type));
  const fields = columns.map((c, i) => {
    const name = JSON.stringify(c.name);
    const key = c.name === '__proto__' ? `[${name}]` : name;
    return `${key}: c[${i}](${readExpression(c.name)}, ${name}, skip)`;
  });
  const body = `return (e, skip) => { let o; return { ${fields.join(',\n')} }; };`;
  const factory = new Function('c', body) as (coercers: Coerce[]) => RecordMapper;
  return factory(coercers);
}
