/**
 * The simulator's randomness: a seedable PRNG, weighted draws and log-normal sizes, random ids.
 * Every function here draws exactly what it always drew, in the same order, so a seed gives the
 * same stream of events; what changed is how little each draw costs and allocates at the live rate.
 */
import type { Weighted } from './simulate-calibration.js';

export type Rng = () => number;

/**
 * A small, fast, seedable PRNG (mulberry32): the same seed gives the same stream of events. Its
 * state is kept as a signed 32-bit integer (the same bits as the unsigned one) and `bits` returns
 * them as an integer, so a draw allocates nothing: a state or a result above 2^31 was a fresh heap
 * number each time (about 80 draws an event).
 */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The next 32 random bits, as an unsigned integer. */
  bits(): number {
    const a = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A number in [0, 1): the next bits over 2^32. */
  next(): number {
    return this.bits() / 4294967296;
  }
}

/** mulberry32 as a function: each call the next number in [0, 1). */
export function mulberry32(seed: number): Rng {
  const generator = new Mulberry32(seed);
  return () => generator.next();
}

/** A weighted table laid out for drawing: its weights in one typed array, their total, its values. */
export interface DrawTable<T> {
  weights: Float64Array;
  total: number;
  values: T[];
}

export function drawTable<T>(weighted: Weighted<T>): DrawTable<T> {
  return {
    weights: Float64Array.from(weighted, ([, w]) => w),
    total: weighted.reduce((sum, [, w]) => sum + w, 0),
    values: weighted.map(([value]) => value),
  };
}

/**
 * A draw from a weighted table: the same draws as summing and scanning the pairs in order (the same
 * subtractions in the same order), over the weights in one typed array. At the live rate every
 * event finds its caches cold, and the scan over the accounts' table (CORE_USERS pairs, each an
 * array and a heap number of its own) read a cache line per pair; the typed array is contiguous.
 */
export function draw<T>(rng: Mulberry32, { weights, total, values }: DrawTable<T>): T {
  let r = rng.next() * total;
  const last = weights.length - 1;
  for (let i = 0; i < last; i++) {
    r -= weights[i] as number;
    if (r < 0) return values[i] as T;
  }
  return values[last] as T;
}

/** A log-normal draw with the given median (Box-Muller). */
export function logNormal(rng: Mulberry32, { median, sigma }: { median: number; sigma: number }): number {
  const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return Math.round(median * Math.exp(sigma * z));
}

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const VARIANT_CODES = Array.from('89ab', (c) => c.charCodeAt(0));

/**
 * How a random id is written: each character a random hex digit (x), a variant digit (y), or
 * itself; and the character codes of the one being written (reused).
 */
export interface IdForm {
  text: string;
  codes: number[];
}

export function idForm(text: string): IdForm {
  return { text, codes: Array.from(text, (c) => c.charCodeAt(0)) };
}

/**
 * A random id in its form: a digit is `floor(next() * 16)` (`floor(next() * 4)` for a variant
 * digit), which is the top 4 (2) bits. Written as one string of the codes, where joining an array
 * of characters allocated about 360 bytes an id.
 */
export function randomId(rng: Mulberry32, { text, codes }: IdForm): string {
  for (let i = 0; i < text.length; i++) {
    const kind = text.charCodeAt(i);
    if (kind === 0x78) codes[i] = HEX_CODES[rng.bits() >>> 28] as number;
    else if (kind === 0x79) codes[i] = VARIANT_CODES[rng.bits() >>> 30] as number;
  }
  return String.fromCharCode.apply(null, codes);
}
