/**
 * real and double precision. Both are JavaScript numbers; a real is kept rounded to 32 bits
 * (Math.fround) so arithmetic and comparisons see what Postgres sees. Postgres (12+) prints the
 * shortest text that reads back exactly, as JavaScript does for doubles; for reals we search the
 * shortest precision that reads back to the same 32-bit value.
 */
import { SqlEvalError } from './interface.js';

/** The double whose shortest text equals the real's shortest text (what a client parses). */
export function realAsDouble(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  // Postgres's Ryu never prints a decimal that lies exactly halfway to a neighbouring real.
  const [below, above] = realNeighbours(v);
  for (let p = 1; p <= 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v && d !== (v + below) / 2 && d !== (v + above) / 2) return d;
  }
  return v;
}

const F32 = new Float32Array(1);
const I32 = new Int32Array(F32.buffer);

/** The reals just below and just above a finite nonzero real. */
function realNeighbours(v: number): [number, number] {
  F32[0] = v;
  const bits = I32[0] as number;
  I32[0] = bits - 1;
  const towardZero = F32[0] as number;
  I32[0] = bits + 1;
  const awayFromZero = F32[0] as number;
  return v > 0 ? [towardZero, awayFromZero] : [awayFromZero, towardZero];
}

/** Postgres's float text: shortest digits, exponent form below 1e-4 or from 1e15 (real: 1e6... as %g). */
export function formatFloat(v: number, real: boolean): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const d = real ? realAsDouble(v) : v;
  const exp = Math.floor(Math.log10(Math.abs(d)));
  // Ryu's output in Postgres switches to exponent notation where %g would: exp < -4 or exp >= 15 (real: 6).
  const [mant, e] = d.toExponential().split('e') as [string, string];
  const e10 = Number(e);
  void exp;
  if (e10 < -4 || e10 >= (real ? 6 : 15)) {
    const sign = e10 < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(e10)).padStart(2, '0')}`;
  }
  return String(d);
}

const FLOAT_TEXT = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** float input: decimal text, 'NaN', '[+-]Infinity' / 'inf'; out-of-range is 22003 as in Postgres. */
export function parseFloatText(text: string, real: boolean): number {
  const type = real ? 'real' : 'double precision';
  if (!FLOAT_TEXT.test(text)) {
    const t = text.trim().toLowerCase();
    if (t === 'nan') return NaN;
    if (t === 'infinity' || t === '+infinity' || t === 'inf' || t === '+inf') return Infinity;
    if (t === '-infinity' || t === '-inf') return -Infinity;
    throw new SqlEvalError('22P02', `invalid input syntax for type ${type}: "${text}"`);
  }
  const v = Number(text.trim());
  const r = real ? Math.fround(v) : v;
  if (!Number.isFinite(r))
    throw new SqlEvalError('22003', `"${text.trim()}" is out of range for type ${type}`);
  if (r === 0 && /[1-9]/.test(text.replace(/[eE].*$/, '')))
    throw new SqlEvalError('22003', `"${text.trim()}" is out of range for type ${type}`);
  return r;
}

/**
 * Checks an arithmetic result as float8pl and friends do: an infinite result from finite inputs
 * overflows; a zero product or quotient of a nonzero operand (and, for the product, a nonzero
 * other operand) underflows. Both are 22003.
 */
export function checkFloat(r: number, a: number, b: number, real: boolean, op = '+'): number {
  const v = real ? Math.fround(r) : r;
  if (!Number.isFinite(v) && Number.isFinite(a) && Number.isFinite(b))
    throw new SqlEvalError('22003', 'value out of range: overflow');
  if (v === 0 && a !== 0 && ((op === '*' && b !== 0) || (op === '/' && Number.isFinite(b))))
    throw new SqlEvalError('22003', 'value out of range: underflow');
  return v;
}

/** Postgres orders NaN above every other float and equal to itself; -0 equals 0. */
export function compareFloat(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  return an && bn ? 0 : an ? 1 : -1;
}

export function floatKey(v: number): string {
  return v === 0 ? '0' : String(v);
}
