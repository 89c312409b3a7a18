/**
 * Postgres `interval`: months, days and microseconds kept apart (a month is not 30 days when added to
 * a date, a day is not 24 hours across DST, though in UTC it is). Internal form: [months, days, us].
 * Comparison and equality use Postgres's linear span (30-day months, 24-hour days).
 */
import { SqlEvalError } from './interface.js';
import { US_PER_DAY, US_PER_SEC } from './datetime.js';

export type Interval = [months: number, days: number, us: number];

/** Postgres 17+ has infinite intervals (the difference of infinite timestamps): all three fields ±Infinity. */
export const INFINITE_INTERVAL: Interval = [Infinity, Infinity, Infinity];
export const NEG_INFINITE_INTERVAL: Interval = [-Infinity, -Infinity, -Infinity];

export function isInfiniteInterval(v: Interval): boolean {
  return !Number.isFinite(v[0]);
}

function outOfRange(): SqlEvalError {
  return new SqlEvalError('22008', 'interval out of range');
}

const UNITS: Record<string, [field: 'months' | 'days' | 'us', factor: number]> = {};
function unit(names: string[], field: 'months' | 'days' | 'us', factor: number): void {
  for (const n of names) UNITS[n] = [field, factor];
}
unit(['microsecond', 'microseconds', 'us', 'usec', 'usecs', 'microsecon'], 'us', 1);
unit(['millisecond', 'milliseconds', 'ms', 'msec', 'msecs', 'millisecon'], 'us', 1000);
unit(['second', 'seconds', 's', 'sec', 'secs'], 'us', US_PER_SEC);
unit(['minute', 'minutes', 'm', 'min', 'mins'], 'us', 60 * US_PER_SEC);
unit(['hour', 'hours', 'h', 'hr', 'hrs'], 'us', 3600 * US_PER_SEC);
unit(['day', 'days', 'd'], 'days', 1);
unit(['week', 'weeks', 'w'], 'days', 7);
unit(['month', 'months', 'mon', 'mons'], 'months', 1);
unit(['year', 'years', 'y', 'yr', 'yrs'], 'months', 12);
unit(['decade', 'decades', 'dec', 'decs'], 'months', 120);
unit(['century', 'centuries', 'c', 'cent'], 'months', 1200);
unit(['millennium', 'millennia', 'mil', 'mils', 'millenniums'], 'months', 12000);

const TOKEN =
  /\s*(?:([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)\s*([a-z]+)|([+-]?)(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d*)?))?|(ago))/iy;

/** Parses Postgres's verbose interval input: '5 minutes', '1 day 02:00:00', '-1.5 hours', '3 days ago'. */
export function parseIntervalText(text: string): Interval {
  const bad = (): SqlEvalError =>
    new SqlEvalError('22007', `invalid input syntax for type interval: "${text}"`);
  let months = 0;
  let days = 0;
  let us = 0;
  let seen = false;
  let ago = false;
  const special = text.trim().toLowerCase();
  if (special === 'infinity' || special === '+infinity') return INFINITE_INTERVAL;
  if (special === '-infinity') return NEG_INFINITE_INTERVAL;
  TOKEN.lastIndex = 0;
  const src = text.trimEnd();
  if (src.trim().startsWith('@')) return parseIntervalText(src.trim().slice(1));
  while (TOKEN.lastIndex < src.length) {
    const m = TOKEN.exec(src);
    if (!m) throw bad();
    seen = true;
    if (m[7]) {
      ago = true;
      continue;
    }
    if (m[4] !== undefined) {
      const sign = m[3] === '-' ? -1 : 1;
      const secs = Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6] ?? 0);
      us += sign * Math.round(secs * US_PER_SEC);
      continue;
    }
    const spec = UNITS[(m[2] ?? '').toLowerCase()];
    if (!spec) throw bad();
    const amount = Number(m[1]);
    const [field, factor] = spec;
    const whole = Math.trunc(amount);
    const frac = amount - whole;
    // Fractions spill into smaller fields as in Postgres: months -> 30-day days -> microseconds.
    if (field === 'months') {
      months += whole * factor;
      const fracMonths = frac * factor;
      const wholeMonths = Math.trunc(fracMonths);
      months += wholeMonths;
      const fracDays = (fracMonths - wholeMonths) * 30;
      days += Math.trunc(fracDays);
      us += Math.round((fracDays - Math.trunc(fracDays)) * US_PER_DAY);
    } else if (field === 'days') {
      days += whole * factor;
      const fracDays = frac * factor;
      days += Math.trunc(fracDays);
      us += Math.round((fracDays - Math.trunc(fracDays)) * US_PER_DAY);
    } else {
      us += Math.round(amount * factor);
    }
  }
  if (!seen) throw bad();
  return ago ? [-months, -days, -us] : [months + 0, days + 0, us + 0];
}

function plural(n: number, unit: string, state: { zero: boolean; before: boolean }): string {
  if (n === 0) return '';
  const text = `${state.zero ? '' : ' '}${state.before && n > 0 ? '+' : ''}${n} ${unit}${n !== 1 ? 's' : ''}`;
  state.before = n < 0;
  state.zero = false;
  return text;
}

/** Postgres's default output (IntervalStyle postgres): '1 year 2 mons 3 days 04:05:06.5', '-00:05:00'. */
export function formatInterval(v: Interval): string {
  if (isInfiniteInterval(v)) return v[0] > 0 ? 'infinity' : '-infinity';
  const [months, days, us] = v;
  const state = { zero: true, before: false };
  const years = Math.trunc(months / 12);
  let text =
    plural(years, 'year', state) + plural(months - years * 12, 'mon', state) + plural(days, 'day', state);
  if (state.zero || us !== 0) {
    const minus = us < 0;
    const abs = Math.abs(us);
    const secs = Math.floor(abs / US_PER_SEC);
    const frac = abs - secs * US_PER_SEC;
    const h = Math.floor(secs / 3600);
    const mi = Math.floor((secs % 3600) / 60);
    const s = secs % 60;
    text += `${state.zero ? '' : ' '}${minus ? '-' : state.before ? '+' : ''}${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
    if (frac !== 0) text += '.' + String(frac).padStart(6, '0').replace(/0+$/, '');
  }
  return text;
}

/** The linear span in microseconds (as a BigInt: 30-day months overflow doubles' exact range). */
export function intervalSpan(v: Interval): bigint {
  if (isInfiniteInterval(v)) return v[0] > 0 ? 2n ** 64n : -(2n ** 64n);
  return (BigInt(v[0]) * 30n + BigInt(v[1])) * 86_400_000_000n + BigInt(v[2]);
}

export function compareInterval(a: Interval, b: Interval): number {
  if (a[0] === b[0] && a[1] === b[1]) return a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0;
  const x = intervalSpan(a);
  const y = intervalSpan(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function intervalAdd(a: Interval, b: Interval): Interval {
  if (isInfiniteInterval(a) || isInfiniteInterval(b)) {
    if (isInfiniteInterval(a) && isInfiniteInterval(b) && a[0] !== b[0]) throw outOfRange();
    return isInfiniteInterval(a) ? a : b;
  }
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}

export function intervalNeg(a: Interval): Interval {
  return [0 - a[0], 0 - a[1], 0 - a[2]];
}

/** timestamp - timestamp: whole days plus the rest, with the signs made to agree (justify_hours). */
export function intervalFromMicros(diff: number | bigint): Interval {
  let days: number;
  let us: number;
  if (typeof diff === 'bigint') {
    days = Number(diff / 86_400_000_000n);
    us = Number(diff % 86_400_000_000n);
  } else {
    days = Math.trunc(diff / US_PER_DAY);
    us = diff - days * US_PER_DAY;
  }
  if (days > 0 && us < 0) {
    us += US_PER_DAY;
    days--;
  } else if (days < 0 && us > 0) {
    us -= US_PER_DAY;
    days++;
  }
  return [0, days + 0, us + 0];
}
