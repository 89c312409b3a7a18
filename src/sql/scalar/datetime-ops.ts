/**
 * Date and time arithmetic: timestamp ± interval (months first, clamped to the month's end, then
 * days, then microseconds, as Postgres does), timestamp - timestamp, date ± integer, date - date,
 * date + interval, interval ± interval, unary minus of an interval.
 */
import { SqlEvalError, Unsupported, type SqlType, type Value } from './interface.js';
import { coerce, strict2, type Expr } from './expr.js';
import {
  addMicros,
  addMonthsToDays,
  joinMicros,
  splitMicros,
  TIMESTAMP_END_DAYS,
  US_PER_DAY,
  type Micros,
} from './datetime.js';
import {
  INFINITE_INTERVAL,
  NEG_INFINITE_INTERVAL,
  intervalAdd,
  intervalFromMicros,
  intervalNeg,
  isInfiniteInterval,
  type Interval,
} from './interval.js';
import { isTimestamp } from './types.js';
import { isIntType } from './integers.js';

export function addInterval(t: Micros, iv: Interval): Micros {
  if (isInfiniteInterval(iv)) {
    if (typeof t === 'number' && !Number.isFinite(t) && Math.sign(t) !== Math.sign(iv[0]))
      throw new SqlEvalError('22008', 'timestamp out of range');
    return iv[0];
  }
  if (typeof t === 'number' && !Number.isFinite(t)) return t;
  let r = t;
  if (iv[0] !== 0) {
    const [days, us] = splitMicros(r);
    r = joinMicros(addMonthsToDays(days, iv[0]), us);
  }
  if (iv[1] !== 0) r = addMicros(r, iv[1] * US_PER_DAY);
  if (iv[2] !== 0) r = addMicros(r, iv[2]);
  return r;
}

function subTimestamps(a: Micros, b: Micros): Interval {
  // Postgres 17+: an infinite timestamp minus a finite one (or the opposite infinity) is an infinite interval.
  const ia = typeof a === 'number' && !Number.isFinite(a) ? Math.sign(a) : 0;
  const ib = typeof b === 'number' && !Number.isFinite(b) ? Math.sign(b) : 0;
  if (ia !== 0 || ib !== 0) {
    if (ia !== 0 && ia === ib) throw new SqlEvalError('22008', 'interval out of range');
    return (ia !== 0 ? ia : -ib) > 0 ? INFINITE_INTERVAL : NEG_INFINITE_INTERVAL;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    const diff = a - b;
    if (Number.isSafeInteger(diff)) return intervalFromMicros(diff);
  }
  const diff = BigInt(a) - BigInt(b);
  // The difference is an int64 of microseconds in Postgres (its extremes mean infinity).
  if (diff >= 9223372036854775807n || diff <= -9223372036854775808n)
    throw new SqlEvalError('22008', 'interval out of range');
  return intervalFromMicros(diff);
}

function isDateTime(t: SqlType): boolean {
  return t === 'date' || t === 'interval' || isTimestamp(t);
}

/** The date/time operator for `op`, or undefined when neither side is a date, timestamp or interval. */
export function dateTimeArith(op: string, left: Expr, right: Expr): Expr | undefined {
  if (!isDateTime(left.type) && !isDateTime(right.type)) return undefined;
  let l = left;
  let r = right;
  // An untyped literal beside a timestamp is an interval for +, and the same type for - (Postgres's choice).
  if (r.type === 'unknown') r = coerce(r, op === '-' && l.type !== 'interval' ? l.type : 'interval');
  if (l.type === 'unknown') l = coerce(l, r.type === 'interval' && op === '+' ? 'interval' : r.type);
  // date - timestamp (and the reverse) compares instants: the date becomes a timestamp first.
  if (op === '-' && l.type === 'date' && isTimestamp(r.type)) l = coerce(l, r.type);
  if (op === '-' && r.type === 'date' && isTimestamp(l.type)) r = coerce(r, l.type);
  const lt = l.type;
  const rt = r.type;
  if (op === '+' && lt === 'interval' && rt !== 'interval') return dateTimeArith(op, r, l);
  if (isTimestamp(lt) && rt === 'interval' && (op === '+' || op === '-'))
    return strict2(lt, l, r, (t, iv) =>
      addInterval(t as Micros, op === '+' ? (iv as Interval) : intervalNeg(iv as Interval)),
    );
  if (isTimestamp(lt) && isTimestamp(rt) && op === '-') {
    const type = lt === rt ? lt : 'timestamp with time zone';
    return strict2('interval', coerce(l, type), coerce(r, type), (a, b) =>
      subTimestamps(a as Micros, b as Micros),
    );
  }
  if (lt === 'date') {
    if (isIntType(rt) && rt !== 'bigint' && (op === '+' || op === '-'))
      return strict2('date', l, r, (d, n) =>
        checkDate((d as number) + (op === '+' ? (n as number) : -(n as number))),
      );
    if (rt === 'date' && op === '-')
      return strict2('integer', l, r, (a, b) => {
        if (!Number.isFinite(a as number) || !Number.isFinite(b as number))
          throw new SqlEvalError('22008', 'cannot subtract infinite dates');
        return (a as number) - (b as number);
      });
    if (rt === 'interval' && (op === '+' || op === '-'))
      // date_pl_interval: strict in both, so the date becomes a timestamp only when the interval is there.
      return strict2('timestamp without time zone', l, r, (d, iv) => {
        const days = d as number;
        const t = Number.isFinite(days) ? dateToTimestamp(days) : days;
        return addInterval(t, op === '+' ? (iv as Interval) : intervalNeg(iv as Interval));
      });
  }
  if (lt === 'interval' && rt === 'interval' && (op === '+' || op === '-'))
    return strict2('interval', l, r, (a, b) =>
      intervalAdd(a as Interval, op === '+' ? (b as Interval) : intervalNeg(b as Interval)),
    );
  if (isIntType(lt) && rt === 'date' && op === '+') return dateTimeArith(op, r, l);
  // Postgres has more date/time operators (interval * float8, time types, ...): let PGlite run them.
  throw new Unsupported(`operator ${lt} ${op} ${rt} is not supported on the delta path`);
}

/** Dates reach further than timestamps: Julian day 0 to 5874897 AD. */
function dateToTimestamp(days: number): Micros {
  if (days >= TIMESTAMP_END_DAYS) throw new SqlEvalError('22008', 'date out of range for timestamp');
  return joinMicros(days, 0);
}

function checkDate(d: number): Value {
  if (d < -2440588 || d >= 2145042906) throw new SqlEvalError('22008', 'date out of range');
  return d;
}
