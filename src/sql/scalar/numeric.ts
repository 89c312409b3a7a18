/**
 * Postgres `numeric`, exact. An internal numeric value is Postgres's own text output ('1.50', '-3',
 * 'NaN', 'Infinity'): plain data that persists anywhere, is already its wire form, and keeps the
 * display scale Postgres keeps (1.50 stays 1.50). Arithmetic parses it into a BigInt mantissa and a
 * scale; the result scales follow Postgres's rules (add: max, multiply: sum, divide: select_div_scale).
 */
import { SqlEvalError } from './interface.js';

export type Numeric = string;

/** A finite numeric as mantissa × 10^-scale. */
export interface Dec {
  m: bigint;
  s: number;
}

const NAN = 'NaN';
const POS_INF = 'Infinity';
const NEG_INF = '-Infinity';

const POW10: bigint[] = [];
export function pow10(n: number): bigint {
  if (n < 64) return (POW10[n] ??= 10n ** BigInt(n));
  return 10n ** BigInt(n);
}

export function isSpecial(v: Numeric): boolean {
  return v === NAN || v === POS_INF || v === NEG_INF;
}

/** Parses a canonical numeric (never a special). */
export function toDec(v: Numeric): Dec {
  const dot = v.indexOf('.');
  if (dot < 0) return { m: BigInt(v), s: 0 };
  return { m: BigInt(v.slice(0, dot) + v.slice(dot + 1)), s: v.length - dot - 1 };
}

export function fromDec(m: bigint, s: number): Numeric {
  if (s <= 0) return m.toString();
  const neg = m < 0n;
  let digits = (neg ? -m : m).toString();
  if (digits.length <= s) digits = '0'.repeat(s - digits.length + 1) + digits;
  const cut = digits.length - s;
  return (neg ? '-' : '') + digits.slice(0, cut) + '.' + digits.slice(cut);
}

/** Changes the scale; reducing it rounds half away from zero, as Postgres's round_var does. */
export function rescale(d: Dec, s: number): bigint {
  if (s >= d.s) return d.m * pow10(s - d.s);
  return divRound(d.m, pow10(d.s - s));
}

/** a / b rounded half away from zero (b > 0 or < 0). */
function divRound(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a % b;
  const twice = 2n * (r < 0n ? -r : r);
  const absB = b < 0n ? -b : b;
  if (twice < absB) return q;
  return a < 0n !== b < 0n ? q - 1n : q + 1n;
}

const NUMERIC_TEXT = /^\s*([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?\s*$/;

/** Postgres numeric input: '  1.50 ', '.5', '1e3', 'NaN', 'inf'. Raises 22P02 on bad syntax. */
export function parseNumericText(text: string): Numeric {
  const m = NUMERIC_TEXT.exec(text.replace(/(\d)_(?=\d)/g, '$1'));
  if (!m) {
    const t = text.trim().toLowerCase();
    if (t === 'nan') return NAN;
    if (t === 'infinity' || t === 'inf' || t === '+infinity' || t === '+inf') return POS_INF;
    if (t === '-infinity' || t === '-inf') return NEG_INF;
    throw new SqlEvalError('22P02', `invalid input syntax for type numeric: "${text}"`);
  }
  const body = m[2] ?? '0';
  const dot = body.indexOf('.');
  const intPart = dot < 0 ? body : body.slice(0, dot);
  const frac = dot < 0 ? '' : body.slice(dot + 1);
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  if (Math.abs(exp) > 1000)
    throw new SqlEvalError('22P02', `invalid input syntax for type numeric: "${text}"`);
  let mant = BigInt((intPart + frac).replace(/^0+(?=\d)/, '') || '0');
  if (m[1] === '-') mant = -mant;
  const scale = frac.length - exp;
  if (scale < 0) return fromDec(mant * pow10(-scale), 0);
  return fromDec(mant, scale);
}

export function numericFromInt(v: number | bigint): Numeric {
  return String(v);
}

/** numeric -> double: Postgres goes through the text with strtod, as parseFloat does. */
export function numericToFloat(v: Numeric): number {
  return v === NAN ? NaN : v === POS_INF ? Infinity : v === NEG_INF ? -Infinity : parseFloat(v);
}

/** double -> numeric: Postgres prints the double with 15 significant digits (DBL_DIG) first. */
export function numericFromFloat(v: number, digits = 15): Numeric {
  if (Number.isNaN(v)) return NAN;
  if (!Number.isFinite(v)) return v > 0 ? POS_INF : NEG_INF;
  return parseNumericText(
    v
      .toPrecision(digits)
      .replace(/(\.\d*?)0+(e|$)/, '$1$2')
      .replace(/\.(e|$)/, '$1'),
  );
}

function specialSign(v: Numeric): number {
  return v === POS_INF ? 1 : v === NEG_INF ? -1 : 0;
}

export function numericAdd(a: Numeric, b: Numeric): Numeric {
  if (isSpecial(a) || isSpecial(b)) {
    if (a === NAN || b === NAN) return NAN;
    const sa = specialSign(a);
    const sb = specialSign(b);
    if (sa !== 0 && sb !== 0 && sa !== sb) return NAN;
    return sa !== 0 ? a : b;
  }
  const x = toDec(a);
  const y = toDec(b);
  const s = Math.max(x.s, y.s);
  return fromDec(rescale(x, s) + rescale(y, s), s);
}

export function numericNeg(a: Numeric): Numeric {
  if (a === NAN) return a;
  if (a === POS_INF) return NEG_INF;
  if (a === NEG_INF) return POS_INF;
  const d = toDec(a);
  return fromDec(-d.m, d.s);
}

export function numericSub(a: Numeric, b: Numeric): Numeric {
  return numericAdd(a, numericNeg(b));
}

export function numericSign(a: Numeric): number {
  if (a === NAN) return NaN;
  if (isSpecial(a)) return specialSign(a);
  return a.startsWith('-') ? -1 : /[1-9]/.test(a) ? 1 : 0;
}

export function numericMul(a: Numeric, b: Numeric): Numeric {
  if (isSpecial(a) || isSpecial(b)) {
    if (a === NAN || b === NAN) return NAN;
    const sign = numericSign(a) * numericSign(b);
    return sign === 0 ? NAN : sign > 0 ? POS_INF : NEG_INF;
  }
  const x = toDec(a);
  const y = toDec(b);
  return fromDec(x.m * y.m, x.s + y.s);
}

/** Postgres's weight (in base-10000 digits) and first base-10000 digit of a nonzero value. */
function weightAndFirst(d: Dec): [number, number] {
  if (d.m === 0n) return [0, 0];
  const abs = d.m < 0n ? -d.m : d.m;
  const e10 = abs.toString().length - d.s - 1;
  const w = Math.floor(e10 / 4);
  const k = -d.s - 4 * w;
  const grp = k >= 0 ? abs * pow10(k) : abs / pow10(-k);
  return [w, Number(grp % 10000n)];
}

/** select_div_scale (numeric.c): at least 16 significant digits, never less than either input's scale. */
export function divScale(x: Dec, y: Dec): number {
  const [w1, f1] = weightAndFirst(x);
  const [w2, f2] = weightAndFirst(y);
  let qweight = w1 - w2;
  if (f1 <= f2) qweight--;
  return Math.min(Math.max(16 - qweight * 4, x.s, y.s, 0), 1000);
}

const DIV_ZERO = (): SqlEvalError => new SqlEvalError('22012', 'division by zero');

export function numericDiv(a: Numeric, b: Numeric): Numeric {
  if (isSpecial(a) || isSpecial(b)) {
    if (a === NAN || b === NAN) return NAN;
    if (isSpecial(a) && isSpecial(b)) return NAN;
    if (isSpecial(b)) return '0';
    const sb = numericSign(b);
    if (sb === 0) throw DIV_ZERO();
    return sb * specialSign(a) > 0 ? POS_INF : NEG_INF;
  }
  const x = toDec(a);
  const y = toDec(b);
  if (y.m === 0n) throw DIV_ZERO();
  const s = divScale(x, y);
  // x.m/10^x.s ÷ y.m/10^y.s at scale s = x.m·10^(s + y.s - x.s) / y.m
  const e = s + y.s - x.s;
  const num = e >= 0 ? x.m * pow10(e) : x.m;
  const den = e >= 0 ? y.m : y.m * pow10(-e);
  return fromDec(divRound(num, den), s);
}

export function numericMod(a: Numeric, b: Numeric): Numeric {
  if (isSpecial(a) || isSpecial(b)) {
    if (a === NAN || b === NAN) return NAN;
    if (isSpecial(a)) {
      if (numericSign(b) === 0) throw DIV_ZERO();
      return NAN;
    }
    return a;
  }
  const x = toDec(a);
  const y = toDec(b);
  if (y.m === 0n) throw DIV_ZERO();
  const s = Math.max(x.s, y.s);
  return fromDec(rescale(x, s) % rescale(y, s), s);
}

/** Total order of Postgres: -Infinity < finite < Infinity < NaN (NaN equals NaN). */
export function compareNumeric(a: Numeric, b: Numeric): number {
  if (a === b) return 0;
  const ra = isSpecial(a) ? (a === NAN ? 2 : specialSign(a)) : 0;
  const rb = isSpecial(b) ? (b === NAN ? 2 : specialSign(b)) : 0;
  if (ra !== 0 || rb !== 0) return ra === rb ? 0 : ra < rb ? -1 : 1;
  const x = toDec(a);
  const y = toDec(b);
  const s = Math.max(x.s, y.s);
  const p = rescale(x, s);
  const q = rescale(y, s);
  return p < q ? -1 : p > q ? 1 : 0;
}

/** The value without trailing fractional zeros: 1.0 and 1.00 share a key, as they are equal. */
export function numericKey(a: Numeric): string {
  if (a.indexOf('.') < 0) return a;
  const t = a.replace(/0+$/, '');
  return t.endsWith('.') ? t.slice(0, -1) : t;
}

/** round(numeric, n): half away from zero; the result's scale is max(n, 0). */
export function numericRound(a: Numeric, n: number): Numeric {
  if (isSpecial(a)) return a;
  const d = toDec(a);
  if (n >= d.s) return fromDec(rescale(d, n), n);
  const r = rescale(d, n);
  return n >= 0 ? fromDec(r, n) : fromDec(r * pow10(-n), 0);
}

/** trunc(numeric, n): toward zero. */
export function numericTrunc(a: Numeric, n: number): Numeric {
  if (isSpecial(a)) return a;
  const d = toDec(a);
  if (n >= d.s) return fromDec(rescale(d, n), n);
  const r = d.m / pow10(d.s - n);
  return n >= 0 ? fromDec(r, n) : fromDec(r * pow10(-n), 0);
}

/** numeric -> integer: rounds half away from zero; the caller range-checks. */
export function numericToBigInt(a: Numeric, type: string): bigint {
  if (isSpecial(a))
    throw new SqlEvalError('0A000', `cannot convert ${a === NAN ? 'NaN' : 'infinity'} to ${type}`);
  return rescale(toDec(a), 0);
}

/** numeric(p, s) typmod: round to s, then at most p - s integer digits (22003 otherwise). */
export function numericApplyTypmod(a: Numeric, p: number, s: number): Numeric {
  if (isSpecial(a)) {
    if (a === NAN) return a;
    throw new SqlEvalError('22003', 'numeric field overflow');
  }
  const r = numericRound(a, s);
  const intDigits = r.replace(/^-/, '').split('.')[0] ?? '';
  if (intDigits !== '0' && intDigits.length > p - s)
    throw new SqlEvalError('22003', 'numeric field overflow');
  return r;
}
