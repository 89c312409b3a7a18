/**
 * Postgres text values as the engine's input takes them (the JSON-ish values that events carry):
 * booleans, numbers for integers and floats, int8 beyond 2^53 as its digit string, numeric as a
 * string (exact), json and jsonb parsed, everything else (timestamps, dates, uuids, arrays...) as
 * Postgres's own text. The snapshot and the stream both read text, so a row reads the same whichever
 * way it arrived.
 */

export type InputValue = null | boolean | number | string | Record<string, unknown> | unknown[];

const BOOL = 16;
const INT8 = 20;
const INT2 = 21;
const INT4 = 23;
const OID = 26;
const JSON_OID = 114;
const FLOAT4 = 700;
const FLOAT8 = 701;
const JSONB = 3802;

export type ValueParser = (text: string) => InputValue;

const asText: ValueParser = (text) => text;

const PARSERS = new Map<number, ValueParser>([
  [BOOL, (text) => text === 't'],
  [INT2, Number],
  [INT4, Number],
  [OID, Number],
  [
    INT8,
    (text) => {
      const value = Number(text);
      return Number.isSafeInteger(value) ? value : text;
    },
  ],
  [FLOAT4, Number],
  [FLOAT8, Number],
  [JSON_OID, (text) => JSON.parse(text) as InputValue],
  [JSONB, (text) => JSON.parse(text) as InputValue],
]);

export function valueParser(typeOid: number): ValueParser {
  return PARSERS.get(typeOid) ?? asText;
}
