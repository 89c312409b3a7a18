/**
 * Property-based tests run with a fixed seed so that `npm test` is repeatable. Set FUZZ_SEED (and
 * FUZZ_RUNS) to explore further; a failure prints the seed and the shrunk counterexample to replay.
 */
import fc from 'fast-check';

export const FUZZ_SEED = Number(process.env['FUZZ_SEED'] ?? 20261121);
const RUNS_FACTOR = Number(process.env['FUZZ_RUNS'] ?? 1);

/** Parameters for `fc.assert`: the fixed seed and `runs` scaled by FUZZ_RUNS. */
export function fuzz(runs: number): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(runs * RUNS_FACTOR)) };
}

/** Text that mixes arbitrary characters with the separators parsers care about. */
export function textWith(tokens: string[], maxLength = 60): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 6, unit: 'binary' })), { maxLength })
    .map((parts) => parts.join(''));
}
