/**
 * The record mapper checks an integer column's range on safe integers as numbers (no BigInt per
 * value). This holds it to the general rule, restated here over BigInts alone, on random values of
 * every kind for each integer type: the same value (number or BigInt, no -0), and NULL with an
 * `out-of-range` skip exactly when the value does not fit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { recordMapper } from '../src/ingest/records.js';
import { fuzz } from './support/fuzz.js';

const BITS: Record<string, number> = { smallint: 16, integer: 32, bigint: 64 };

/** The rule over BigInts: what a column of `bits` holds for `v`, and whether `v` was out of range. */
function expected(v: number | bigint, bits: number): { value: unknown; skipped: boolean } {
  if (typeof v === 'number' && !Number.isInteger(v)) return { value: null, skipped: false };
  const exact = BigInt(v);
  const max = 2n ** BigInt(bits - 1) - 1n;
  if (exact > max || exact < -max - 1n) return { value: null, skipped: true };
  return { value: Number.isSafeInteger(Number(exact)) ? Number(exact) : exact, skipped: false };
}

const edges = [15, 31, 53, 63].flatMap((p) => [
  2n ** BigInt(p) - 1n,
  2n ** BigInt(p),
  -(2n ** BigInt(p)),
  -(2n ** BigInt(p)) - 1n,
]);
const value = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double(),
  fc.constantFrom(-0, Number.MAX_SAFE_INTEGER + 1, -Number.MAX_SAFE_INTEGER - 2, 2 ** 63, -(2 ** 63)),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.constantFrom(...edges),
  fc.constantFrom(...edges.map(Number)),
);

describe('record mapper: integer columns', { timeout: 60_000 }, () => {
  it('maps every value as the BigInt range rule does, for smallint, integer and bigint', () => {
    const columns = Object.keys(BITS).map((type) => ({ name: `c_${type}`, type }));
    const map = recordMapper(columns);
    fc.assert(
      fc.property(value, (v) => {
        const skipped: string[] = [];
        const record = map({ c_smallint: v, c_integer: v, c_bigint: v }, (reason, detail) =>
          skipped.push(`${reason} ${detail}`),
        );
        for (const { name, type } of columns) {
          const want = expected(v, BITS[type] as number);
          const got = record[name];
          assert.ok(
            Object.is(got, want.value),
            `${type} ${String(v)}: ${String(got)} != ${String(want.value)}`,
          );
          assert.equal(
            skipped.some((s) => s.startsWith(`out-of-range ${name} `)),
            want.skipped,
            `${type} ${String(v)}: skipped`,
          );
        }
      }),
      fuzz(3000),
    );
  });
});
