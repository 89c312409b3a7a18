/**
 * The values behind date_trunc, date_bin, to_timestamp(double) and extract / date_part, field for
 * field as Postgres computes them (BC years, ISO weeks, infinities): units, truncation, fields,
 * bins. TimeZone is UTC, so timestamp and timestamptz share every computation. Compiling the calls
 * is datetime-functions.ts.
 */
import { SqlEvalError, type SqlType } from './interface.js';
import {
  civilFromDays,
  daysFromCivil,
  joinMicros,
  normMicros,
  splitMicros,
  US_PER_DAY,
  type Micros,
} from './datetime.js';
import { fromDec, numericDiv, numericRound } from './numeric.js';
import type { Interval } from './interval.js';

const UNIT_ALIASES: Record<string, string> = {
  microsecond: 'microseconds',
  microseconds: 'microseconds',
  us: 'microseconds',
  usec: 'microseconds',
  usecs: 'microseconds',
  millisecond: 'milliseconds',
  milliseconds: 'milliseconds',
  ms: 'milliseconds',
  msec: 'milliseconds',
  msecs: 'milliseconds',
  second: 'second',
  seconds: 'second',
  s: 'second',
  sec: 'second',
  secs: 'second',
  minute: 'minute',
  minutes: 'minute',
  m: 'minute',
  min: 'minute',
  mins: 'minute',
  hour: 'hour',
  hours: 'hour',
  h: 'hour',
  hr: 'hour',
  hrs: 'hour',
  day: 'day',
  days: 'day',
  d: 'day',
  week: 'week',
  weeks: 'week',
  w: 'week',
  month: 'month',
  months: 'month',
  mon: 'month',
  mons: 'month',
  quarter: 'quarter',
  qtr: 'quarter',
  year: 'year',
  years: 'year',
  y: 'year',
  yr: 'year',
  yrs: 'year',
  decade: 'decade',
  decades: 'decade',
  dec: 'decade',
  decs: 'decade',
  century: 'century',
  centuries: 'century',
  c: 'century',
  cent: 'century',
  millennium: 'millennium',
  millennia: 'millennium',
  mil: 'millennium',
  mils: 'millennium',
  epoch: 'epoch',
  dow: 'dow',
  isodow: 'isodow',
  doy: 'doy',
  isoyear: 'isoyear',
  julian: 'julian',
  j: 'julian',
  timezone: 'timezone',
  timezone_hour: 'timezone_hour',
  timezone_minute: 'timezone_minute',
};

export function unitOf(text: string, type: SqlType): string {
  const u = UNIT_ALIASES[text.trim().toLowerCase()];
  if (!u) throw new SqlEvalError('22023', `unit "${text.toLowerCase()}" not recognized for type ${type}`);
  return u;
}

const tdiv = (a: number, b: number): number => Math.trunc(a / b);

/** Days of the Monday that starts the ISO week holding `days`. */
function isoWeekStart(days: number): number {
  const dow = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday (4)
  return days - ((dow + 6) % 7);
}

function isoWeek(days: number): [isoYear: number, week: number] {
  const thursday = isoWeekStart(days) + 3;
  const [y] = civilFromDays(thursday);
  return [y, Math.floor((thursday - daysFromCivil(y, 1, 1)) / 7) + 1];
}

export function truncTimestamp(unit: string, type: SqlType, t: Micros): Micros {
  if (typeof t === 'number' && !Number.isFinite(t)) return t;
  const [days, us] = splitMicros(t);
  const small: Record<string, number> = {
    microseconds: 1,
    milliseconds: 1000,
    second: 1e6,
    minute: 60e6,
    hour: 3600e6,
    day: US_PER_DAY,
  };
  const step = small[unit];
  if (step !== undefined) return joinMicros(days, us - (us % step));
  if (unit === 'week') return joinMicros(isoWeekStart(days), 0);
  let [y, m] = civilFromDays(days);
  if (unit === 'month') return joinMicros(daysFromCivil(y, m, 1), 0);
  if (unit === 'quarter') return joinMicros(daysFromCivil(y, 3 * tdiv(m - 1, 3) + 1, 1), 0);
  m = 1;
  if (unit === 'decade') y = y > 0 ? tdiv(y, 10) * 10 : -tdiv(8 - (y - 1), 10) * 10;
  else if (unit === 'century') y = y > 0 ? tdiv(y + 99, 100) * 100 - 99 : -tdiv(99 - (y - 1), 100) * 100 + 1;
  else if (unit === 'millennium')
    y = y > 0 ? tdiv(y + 999, 1000) * 1000 - 999 : -tdiv(999 - (y - 1), 1000) * 1000 + 1;
  else if (unit !== 'year') throw new SqlEvalError('0A000', `unit "${unit}" not supported for type ${type}`);
  return joinMicros(daysFromCivil(y, m, 1), 0);
}

const MONOTONIC = new Set(['year', 'epoch', 'julian', 'decade', 'century', 'millennium', 'isoyear']);

/** extract(unit FROM timestamp) as numeric text (Postgres 14+); `date` restricts the units. */
export function extractField(unit: string, type: SqlType, t: Micros, isDate: boolean): string | null {
  if (typeof t === 'number' && !Number.isFinite(t)) {
    if (!MONOTONIC.has(unit)) return null;
    return t > 0 ? 'Infinity' : '-Infinity';
  }
  const [days, us] = splitMicros(t);
  const [y, m, d] = civilFromDays(days);
  const secs = Math.floor(us / 1e6);
  const frac = us % 1e6;
  const timeUnit = ['microseconds', 'milliseconds', 'second', 'minute', 'hour'].includes(unit);
  if (isDate && (timeUnit || unit.startsWith('timezone')))
    throw new SqlEvalError('0A000', `unit "${unit}" not supported for type date`);
  switch (unit) {
    case 'microseconds':
      return String((secs % 60) * 1e6 + frac);
    case 'milliseconds':
      return fromDec(BigInt((secs % 60) * 1e6 + frac), 3);
    case 'second':
      return fromDec(BigInt((secs % 60) * 1e6 + frac), 6);
    case 'minute':
      return String(Math.floor(secs / 60) % 60);
    case 'hour':
      return String(Math.floor(secs / 3600));
    case 'day':
      return String(d);
    case 'month':
      return String(m);
    case 'quarter':
      return String(tdiv(m - 1, 3) + 1);
    case 'year':
      return String(y > 0 ? y : y - 1);
    case 'decade':
      return String(y >= 0 ? tdiv(y, 10) : -tdiv(8 - (y - 1), 10));
    case 'century':
      return String(y > 0 ? tdiv(y + 99, 100) : -tdiv(99 - (y - 1), 100));
    case 'millennium':
      return String(y > 0 ? tdiv(y + 999, 1000) : -tdiv(999 - (y - 1), 1000));
    case 'dow':
      return String((((days + 4) % 7) + 7) % 7);
    case 'isodow':
      return String((((days + 4) % 7) + 7) % 7 || 7);
    case 'doy':
      return String(days - daysFromCivil(y, 1, 1) + 1);
    case 'week':
      return String(isoWeek(days)[1]);
    case 'isoyear': {
      const iy = isoWeek(days)[0];
      return String(iy > 0 ? iy : iy - 1);
    }
    case 'epoch':
      return isDate ? String(BigInt(days) * 86400n) : epochSeconds(typeof t === 'bigint' ? t : BigInt(t));
    case 'julian':
      return isDate ? String(days + 2440588) : Unsupported();
    default:
      if (type === 'timestamp with time zone' && unit.startsWith('timezone')) return '0';
      throw new SqlEvalError('0A000', `unit "${unit}" not supported for type ${type}`);
  }
}

function Unsupported(): never {
  throw new SqlEvalError('0A000', 'extract(julian from timestamp) is not supported on the delta path');
}

/**
 * Seconds since 1970 at scale 6. Past int64 microseconds from 1970 (the last days before 294277)
 * Postgres divides as numeric instead, at select_div_scale's scale 4, then rounds to 6: so do we.
 */
function epochSeconds(us: bigint): string {
  if (us < 9223372036854775807n) return fromDec(us, 6);
  return numericRound(numericDiv(us.toString(), '1000000'), 6);
}

export function dateBin(stride: Interval, t: Micros, origin: Micros): Micros {
  if (!Number.isFinite(stride[0]))
    throw new SqlEvalError('22008', 'timestamps cannot be binned into infinite intervals');
  if (stride[0] !== 0)
    throw new SqlEvalError('0A000', 'timestamps cannot be binned into intervals containing months or years');
  const strideUs = BigInt(stride[1]) * BigInt(US_PER_DAY) + BigInt(stride[2]);
  if (strideUs <= 0n) throw new SqlEvalError('22008', 'stride must be greater than zero');
  if (typeof t === 'number' && !Number.isFinite(t)) return t;
  if (typeof origin === 'number' && !Number.isFinite(origin))
    throw new SqlEvalError('22008', 'origin out of range');
  const diff = BigInt(t) - BigInt(origin);
  if (diff > 9223372036854775807n || diff < -9223372036854775808n)
    throw new SqlEvalError('22008', 'interval out of range');
  const mod = diff % strideUs;
  let r = BigInt(origin) + diff - mod;
  if (mod < 0n) r -= strideUs;
  return normMicros(r);
}

/** to_timestamp(double): seconds since 1970, rounded to microseconds as Postgres rounds (rint). */
export function toTimestamp(sec: number): Micros {
  if (Number.isNaN(sec)) throw new SqlEvalError('22008', 'timestamp cannot be NaN');
  if (!Number.isFinite(sec)) return sec;
  // Postgres subtracts its own epoch (2000-01-01) before scaling: the same double rounding, step for step.
  const pgSecs = sec - 946684800;
  const scaled = pgSecs * 1e6;
  const r = Math.round(scaled);
  const us = Math.abs(scaled % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  if (!(pgSecs >= -211813488000 - 946684800 && pgSecs < 9224318016000 - 946684800))
    throw new SqlEvalError('22008', `timestamp out of range: "${formatG(sec)}"`);
  return normMicros(BigInt(us) + 946684800000000n);
}

/** C's %g, for the one message that prints a double that way. */
function formatG(v: number): string {
  const e = Math.floor(Math.log10(Math.abs(v)));
  if (e < -4 || e >= 6) {
    const [mant, exp] = v.toExponential(5).split('e') as [string, string];
    const m = mant.replace(/\.?0+$/, '');
    const n = Number(exp);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(Number(v.toPrecision(6)));
}
