/**
 * Dates and timestamps as Postgres keeps them: a date is days since 1970-01-01 (a number); a
 * timestamp (with or without time zone: the engine's TimeZone is UTC, so both are the same instant
 * arithmetic) is microseconds since 1970-01-01 00:00 UTC, a number while safe and a BigInt beyond,
 * like bigint (Postgres's range, 4713 BC to 294276 AD, needs 63 bits). 'infinity' is ±Infinity.
 * The calendar is the proleptic Gregorian one Postgres uses; year 0 is 1 BC.
 */
import { SqlEvalError } from './interface.js';

export type Micros = number | bigint;

export const US_PER_SEC = 1_000_000;
export const US_PER_DAY = 86_400_000_000;
const US_PER_DAY_N = 86_400_000_000n;

/** Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm: exact for any year). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): [y: number, m: number, d: number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? era * 400 + yoe + 1 : era * 400 + yoe, m, d];
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Splits a finite timestamp into whole days and microseconds of that day (0 <= us < a day). */
export function splitMicros(t: Micros): [days: number, us: number] {
  if (typeof t === 'number') {
    const days = Math.floor(t / US_PER_DAY);
    return [days, t - days * US_PER_DAY];
  }
  let days = t / US_PER_DAY_N;
  let rest = t % US_PER_DAY_N;
  if (rest < 0n) {
    rest += US_PER_DAY_N;
    days -= 1n;
  }
  return [Number(days), Number(rest)];
}

/** Joins days and microseconds into the normalized number-or-BigInt form (range-checked). */
export function joinMicros(days: number, us: number): Micros {
  const t = days * US_PER_DAY + us;
  if (Number.isSafeInteger(t)) return t;
  const big = BigInt(days) * US_PER_DAY_N + BigInt(us);
  checkTimestampRange(big);
  return big;
}

// Postgres's limits: 4714-11-24 BC (days -2440588 from 1970) to 294276 AD (exclusive).
const MIN_US = -210866803200000000n;
const END_US = 9224318016000000000n;

/** Days from 1970 of 294277-01-01: the first date no timestamp can hold. */
export const TIMESTAMP_END_DAYS = 106762940;

export function checkTimestampRange(t: Micros): void {
  const b = typeof t === 'bigint' ? t : BigInt(t);
  if (b < MIN_US || b >= END_US) throw new SqlEvalError('22008', 'timestamp out of range');
}

export function normMicros(t: bigint): Micros {
  checkTimestampRange(t);
  return t >= -9007199254740991n && t <= 9007199254740991n ? Number(t) : t;
}

export function addMicros(t: Micros, us: number): Micros {
  if (typeof t === 'number') {
    const r = t + us;
    if (Number.isSafeInteger(r)) return r;
  }
  return normMicros(BigInt(t) + BigInt(us));
}

export function compareMicros(a: Micros, b: Micros): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function formatYmd(y: number, m: number, d: number): [text: string, bc: boolean] {
  const bc = y <= 0;
  return [`${pad(bc ? 1 - y : y, 4)}-${pad(m, 2)}-${pad(d, 2)}`, bc];
}

/** HH:MM:SS[.ffffff] with trailing fractional zeros dropped, as Postgres prints seconds. */
export function formatTimeOfDay(us: number): string {
  const secs = Math.floor(us / US_PER_SEC);
  const frac = us - secs * US_PER_SEC;
  const h = Math.floor(secs / 3600);
  const mi = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  let text = `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`;
  if (frac !== 0) text += '.' + pad(frac, 6).replace(/0+$/, '');
  return text;
}

export function formatDate(days: number): string {
  if (!Number.isFinite(days)) return days > 0 ? 'infinity' : '-infinity';
  const [text, bc] = formatYmd(...civilFromDays(days));
  return bc ? `${text} BC` : text;
}

/** Postgres's text output (DateStyle ISO, TimeZone UTC): '2026-05-05 10:00:00.123+00'. */
export function formatTimestamp(t: Micros, withZone: boolean): string {
  if (typeof t === 'number' && !Number.isFinite(t)) return t > 0 ? 'infinity' : '-infinity';
  const [days, us] = splitMicros(t);
  const [text, bc] = formatYmd(...civilFromDays(days));
  return `${text} ${formatTimeOfDay(us)}${withZone ? '+00' : ''}${bc ? ' BC' : ''}`;
}

const DATE_TIME =
  /^\s*(\d{1,7})-(\d{1,2})-(\d{1,2})(?:(?:\s+|T)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d*))?)?)?\s*(Z|UTC|GMT|[+-]\d{1,2}(?::?\d{2})?)?\s*(BC|AD)?\s*$/i;

function badSyntax(type: string, text: string): SqlEvalError {
  return new SqlEvalError('22007', `invalid input syntax for type ${type}: "${text}"`);
}

/**
 * Parses the ISO forms Postgres accepts ('2026-05-05', '2026-05-05 10:00:00.5+02', '...T...Z',
 * 'infinity', 'epoch'). A zone offset moves a timestamptz; a timestamp without time zone ignores it,
 * as Postgres does. Microseconds beyond six digits are rounded.
 */
export function parseTimestampText(text: string, withZone: boolean): Micros {
  const type = withZone ? 'timestamp with time zone' : 'timestamp without time zone';
  const special = text.trim().toLowerCase();
  if (special === 'infinity' || special === '+infinity') return Infinity;
  if (special === '-infinity') return -Infinity;
  if (special === 'epoch') return 0;
  const m = DATE_TIME.exec(text);
  if (!m) throw badSyntax(type, text);
  let y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (m[9]?.toUpperCase() === 'BC') y = 1 - y;
  const h = Number(m[4] ?? 0);
  const mi = Number(m[5] ?? 0);
  const s = Number(m[6] ?? 0);
  const fracText = (m[7] ?? '').padEnd(7, '0');
  const frac = Math.round(Number(fracText.slice(0, 7)) / 10);
  if (
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > daysInMonth(y, mo) ||
    h > 24 ||
    mi > 59 ||
    s > 60 ||
    (h === 24 && (mi > 0 || s > 0 || frac > 0))
  )
    throw new SqlEvalError('22008', `date/time field value out of range: "${text}"`);
  let offsetUs = 0;
  const zone = m[8]?.toUpperCase();
  if (withZone && zone && zone !== 'Z' && zone !== 'UTC' && zone !== 'GMT') {
    const z = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(zone);
    if (!z) throw badSyntax(type, text);
    const sign = z[1] === '-' ? -1 : 1;
    offsetUs = sign * (Number(z[2]) * 3600 + Number(z[3] ?? 0) * 60) * US_PER_SEC;
  }
  const us = ((h * 60 + mi) * 60 + s) * US_PER_SEC + frac - offsetUs;
  const t = joinMicros(daysFromCivil(y, mo, d), us);
  checkTimestampRange(t);
  return t;
}

export function parseDateText(text: string): number {
  const special = text.trim().toLowerCase();
  if (special === 'infinity' || special === '+infinity') return Infinity;
  if (special === '-infinity') return -Infinity;
  if (special === 'epoch') return 0;
  const m = /^\s*(\d{1,7})-(\d{1,2})-(\d{1,2})\s*(BC|AD)?\s*$/i.exec(text);
  if (!m) throw badSyntax('date', text);
  let y = Number(m[1]);
  if (m[4]?.toUpperCase() === 'BC') y = 1 - y;
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo))
    throw new SqlEvalError('22008', `date/time field value out of range: "${text}"`);
  return daysFromCivil(y, mo, d);
}

/** Adds calendar months, clamping the day to the month's end as Postgres does (Jan 31 + 1 mon = Feb 28). */
export function addMonthsToDays(days: number, months: number): number {
  if (months === 0) return days;
  const [y, m, d] = civilFromDays(days);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = total - ny * 12 + 1;
  return daysFromCivil(ny, nm, Math.min(d, daysInMonth(ny, nm)));
}
