/**
 * The delta path proved against Postgres: random views from the delta path's grammar and random
 * transactions (inserts, duplicates, retractions; NULLs, extreme integers, long numerics, Unicode)
 * run through the delta graph and through plain PGlite; after every transaction each view's
 * contents, the sum of its changes, and its errors (with their SQLSTATE) must equal Postgres's.
 * A failure prints the views file and a psql script of the shrunk counterexample.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { fuzz } from './support/fuzz.js';
import { firstDisagreement, smallestDisagreement } from './support/oracle/harness.js';
import { PgliteOracle } from './support/oracle/pglite-oracle.js';
import { formatRepro, type ReproCase } from './support/oracle/repro.js';
import { resolve, transactions } from './support/oracle/transactions.js';
import { scenario, viewsFileSql } from './support/oracle/views.js';

const cases: fc.Arbitrary<ReproCase> = scenario.chain((s) =>
  fc.tuple(transactions(s.columns), fc.boolean()).map(([steps, consolidated]) => ({
    columns: s.columns,
    views: s.views,
    transactions: resolve(steps),
    viewsSql: viewsFileSql(s),
    consolidated,
  })),
);

describe('delta path against Postgres', { timeout: 900_000 }, () => {
  let oracle: PgliteOracle;
  before(async () => {
    oracle = await PgliteOracle.start();
  });
  after(async () => {
    await oracle?.close();
  });

  it('every generated view equals Postgres after every transaction', async () => {
    const property = fc.asyncProperty(cases, async (c) => {
      const found = await firstDisagreement(oracle, c);
      if (found) throw new Error(formatRepro(...(await smallestDisagreement(oracle, c, found))));
    });
    const details = await fc.check(property, fuzz(800));
    if (details.failed) {
      const error = details.errorInstance as Error | undefined;
      assert.fail(
        `${error?.message ?? String(details.errorInstance)}\n\n` +
          `(after ${details.numShrinks} shrinks; replay with FUZZ_SEED=${details.seed}, path ${details.counterexamplePath})`,
      );
    }
  });
});
