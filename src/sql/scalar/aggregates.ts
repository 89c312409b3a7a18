/**
 * Aggregates as the delta path maintains them. count, sum and avg are accumulable: a retraction
 * steps with a negative diff, and the state is plain data (numbers, strings, arrays) so it persists
 * as is. min and max are hierarchical: their operator keeps an ordered multiset of the values.
 *
 * sum and avg of numeric keep what Postgres's result depends on beyond the total: how many inputs
 * have each display scale (sum(1.50, 2) is 3.50, and 2 once 1.50 is retracted) and how many are
 * NaN or infinite (NaN absorbs, +Infinity and -Infinity together give NaN).
 */
import {
  COLUMN_TYPES,
  SqlCompileError,
  Unsupported,
  type AggregateDef,
  type SqlType,
  type Value,
} from './interface.js';
import { intAdd, isIntType, type Int8 } from './integers.js';
import { fromDec, isSpecial, numericDiv, pow10, rescale, toDec } from './numeric.js';

/** A numeric sum: [total at `scale`, scale, [[displayScale, count]...], NaNs, +Infinities, -Infinities]. */
type NumericAcc = [
  total: string,
  scale: number,
  scales: Array<[number, number]>,
  nan: number,
  pinf: number,
  ninf: number,
];

function numericZero(): NumericAcc {
  return ['0', 0, [], 0, 0, 0];
}

function stepNumeric(acc: NumericAcc, v: string, diff: number): NumericAcc {
  const [total, scale, scales, nan, pinf, ninf] = acc;
  if (isSpecial(v)) {
    if (v === 'NaN') return [total, scale, scales, nan + diff, pinf, ninf];
    return v === 'Infinity'
      ? [total, scale, scales, nan, pinf + diff, ninf]
      : [total, scale, scales, nan, pinf, ninf + diff];
  }
  const d = toDec(v);
  const s = Math.max(scale, d.s);
  const sum = toDec(total).m * pow10(s - scale) + d.m * pow10(s - d.s) * BigInt(diff);
  const counts = scales.slice();
  const at = counts.findIndex(([x]) => x === d.s);
  const next = (at < 0 ? 0 : (counts[at] as [number, number])[1]) + diff;
  if (at >= 0) counts.splice(at, 1);
  if (next !== 0) counts.push([d.s, next]);
  return [fromDec(sum, s), s, counts, nan, pinf, ninf];
}

/** The exact sum with Postgres's display scale (the largest scale among the present inputs). */
function finishNumericSum(acc: NumericAcc): string {
  const [total, scale, scales, nan, pinf, ninf] = acc;
  if (nan > 0 || (pinf > 0 && ninf > 0)) return 'NaN';
  if (pinf > 0) return 'Infinity';
  if (ninf > 0) return '-Infinity';
  const display = scales.reduce((m, [s]) => Math.max(m, s), 0);
  return fromDec(rescale({ m: toDec(total).m, s: scale }, display), display);
}

/** An integer sum, exact: a number while safe, else the decimal digits. */
type IntAcc = number | string;

function stepInt(acc: IntAcc, v: Value, diff: number): IntAcc {
  if (typeof acc === 'number' && typeof v === 'number') {
    const r = acc + v * diff;
    if (Number.isSafeInteger(r)) return r;
  }
  const r = BigInt(acc) + BigInt(v as Int8) * BigInt(diff);
  return r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r.toString();
}

function intAccValue(acc: IntAcc): Int8 {
  return typeof acc === 'number' ? acc : BigInt(acc);
}

function notExist(name: string, argType: SqlType): SqlCompileError {
  return new SqlCompileError('42883', `function ${name}(${argType}) does not exist`);
}

/** What min and max accept: every column type with an order (Postgres has none for boolean and jsonb). */
const ORDERABLE: ReadonlySet<SqlType> = new Set<SqlType>(
  COLUMN_TYPES.filter((type) => type !== 'boolean' && type !== 'jsonb'),
);

function hierarchical(resultType: SqlType): AggregateDef {
  const fail = (): never => {
    throw new Error('min and max are hierarchical: their operator keeps the ordered values');
  };
  return { resultType, kind: 'hierarchical', zero: fail, step: fail, finish: fail };
}

/**
 * The aggregate `name` over `argType` (ignored for count(*)). `distinct` does not change the
 * definition: the operator steps the accumulator when a value's count goes from 0 to 1 or 1 to 0.
 */
export function aggregate(
  name: string,
  argType: SqlType,
  options: { distinct?: boolean; star?: boolean } = {},
): AggregateDef {
  const fn = name.toLowerCase();
  if (fn === 'count')
    return {
      resultType: 'bigint',
      kind: 'accumulable',
      zero: () => 0,
      step: (acc, _v, diff) => (acc as number) + diff,
      finish: (acc) => acc as number,
    };
  if (options.star)
    throw new SqlCompileError('42809', `${fn}(*) must be used to call a parameterless aggregate function`);
  const type = argType === 'unknown' ? 'text' : argType;
  if (fn === 'min' || fn === 'max') {
    if (!ORDERABLE.has(type)) throw notExist(fn, type);
    return hierarchical(type === 'character varying' ? 'text' : type);
  }
  if (fn !== 'sum' && fn !== 'avg')
    throw new Unsupported(`aggregate ${fn} is not supported on the delta path`);
  if (type === 'real' || type === 'double precision')
    throw new Unsupported(
      `${fn}(${type}) is not supported on the delta path: a floating-point sum drifts as rows are retracted`,
    );
  if (type === 'interval') throw new Unsupported(`${fn}(interval) is not supported on the delta path`);
  if (isIntType(type)) {
    const avg = fn === 'avg';
    return {
      resultType: avg || type === 'bigint' ? 'numeric' : 'bigint',
      kind: 'accumulable',
      zero: () => 0,
      step: (acc, v, diff) => stepInt(acc as IntAcc, v, diff),
      finish: (acc, nonNull) => {
        if (nonNull === 0) return null;
        const sum = intAccValue(acc as IntAcc);
        if (avg) return numericDiv(String(sum), String(nonNull));
        // sum(smallint | integer) is bigint: past its range Postgres raises "bigint out of range".
        return type === 'bigint' ? String(sum) : intAdd('bigint', sum, 0);
      },
    };
  }
  if (type === 'numeric')
    return {
      resultType: 'numeric',
      kind: 'accumulable',
      zero: numericZero,
      step: (acc, v, diff) => stepNumeric(acc as NumericAcc, v as string, diff),
      finish: (acc, nonNull) => {
        if (nonNull === 0) return null;
        const sum = finishNumericSum(acc as NumericAcc);
        return fn === 'avg' ? numericDiv(sum, String(nonNull)) : sum;
      },
    };
  throw notExist(fn, type);
}
