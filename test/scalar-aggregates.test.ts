/**
 * Aggregates, ordering and equality keys proved against Postgres. count / sum / avg accumulate
 * random inserts and retractions and must equal Postgres's aggregate over the rows that remain;
 * compareValues must sort as ORDER BY does; valueKey must agree with Postgres's `=`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { PGlite } from '@electric-sql/pglite';
import { fuzz } from './support/fuzz.js';
import { COLUMNS, valueText } from './support/scalar-expressions.js';
import {
  aggregate,
  compareValues,
  parseInput,
  PGLITE_PARSERS,
  SqlEvalError,
  toWire,
  valueKey,
  type SqlType,
  type Value,
} from '../src/sql/scalar/index.js';

const AGGREGATED: SqlType[] = ['smallint', 'integer', 'bigint', 'numeric'];
// jsonb has its own order in Postgres, which the delta path does not implement (it falls back).
const ORDERED: SqlType[] = [...new Set(COLUMNS.map((c) => c.type))].filter(
  (t) => t !== 'boolean' && t !== 'jsonb',
);

function literal(type: SqlType, text: string | null): string {
  return text === null ? `NULL::${type}` : `'${text.replace(/'/g, "''")}'::${type}`;
}

/** Steps: insert a value, or retract the value inserted at a (wrapped) earlier position. */
const steps = (type: SqlType): fc.Arbitrary<Array<{ insert: string | null } | { retract: number }>> =>
  fc.array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.option(valueText(type), { nil: null, freq: 6 }).map((insert) => ({ insert })),
      },
      { weight: 1, arbitrary: fc.nat().map((retract) => ({ retract })) },
    ),
    { maxLength: 12 },
  );

describe('scalar aggregates, order and keys against Postgres', { timeout: 240_000 }, () => {
  let db: PGlite;
  before(async () => {
    db = await PGlite.create({ parsers: PGLITE_PARSERS });
  });
  after(async () => {
    await db?.close();
  });

  async function pg(sql: string): Promise<unknown[] | { error: string }> {
    try {
      const r = await db.query<unknown[]>(sql, [], { rowMode: 'array' });
      return r.rows[0] ?? [];
    } catch (error) {
      return { error: (error as { code?: string }).code ?? '?' };
    }
  }

  for (const type of AGGREGATED) {
    it(`count, sum and avg of ${type} follow inserts and retractions`, async () => {
      const defs = (['count', 'sum', 'avg'] as const).map((name) => ({ name, def: aggregate(name, type) }));
      const property = fc.asyncProperty(steps(type), async (script) => {
        const present: Array<string | null> = [];
        const accs = defs.map(({ def }) => def.zero());
        let nonNull = 0;
        for (const step of script) {
          let text: string | null;
          let diff: number;
          if ('insert' in step) {
            text = step.insert;
            diff = 1;
            present.push(text);
          } else {
            if (present.length === 0) continue;
            text = present.splice(step.retract % present.length, 1)[0] ?? null;
            diff = -1;
          }
          if (text === null) continue;
          const v = parseInput(type, text);
          nonNull += diff;
          defs.forEach(({ def }, i) => (accs[i] = def.step(accs[i], v, diff)));
        }
        const ours = defs.map(({ def }, i) => {
          try {
            return toWire(def.resultType, def.finish(accs[i], nonNull));
          } catch (error) {
            if (error instanceof SqlEvalError) return { error: error.sqlstate };
            throw error;
          }
        });
        const values =
          present.length === 0 ? `(NULL::${type})` : present.map((t) => `(${literal(type, t)})`).join(', ');
        const from = `FROM (VALUES ${values}) v(x)${present.length === 0 ? ' WHERE false' : ''}`;
        const theirs = await Promise.all(
          defs.map(async ({ name }) => {
            const r = await pg(`SELECT ${name}(x) ${from}`);
            return Array.isArray(r) ? r[0] : r;
          }),
        );
        assert.deepEqual(ours, theirs, `SELECT count(x), sum(x), avg(x) ${from}`);
      });
      await fc.assert(property, fuzz(120));
    });
  }

  it('compareValues sorts every type as ORDER BY does', async () => {
    const property = fc.asyncProperty(
      fc
        .constantFrom(...ORDERED)
        .chain((type) =>
          fc.tuple(
            fc.constant(type),
            fc.array(fc.option(valueText(type), { nil: null, freq: 6 }), { minLength: 1, maxLength: 8 }),
          ),
        ),
      async ([type, texts]) => {
        const values: Value[] = texts.map((t) => (t === null ? null : parseInput(type, t)));
        const ours = values
          .map((v) => v)
          .sort((a, b) => compareValues(type, a, b))
          .map((v) => toWire(type, v));
        const sql = `SELECT x FROM (VALUES ${texts.map((t) => `(${literal(type, t)})`).join(', ')}) v(x) ORDER BY x`;
        const r = await db.query<unknown[]>(sql, [], { rowMode: 'array' });
        assert.deepEqual(
          ours,
          r.rows.map((row) => row[0]),
          sql,
        );
      },
    );
    await fc.assert(property, fuzz(300));
  });

  it('valueKey is equal exactly when Postgres says =', async () => {
    const property = fc.asyncProperty(
      fc
        .constantFrom(...ORDERED)
        .chain((type) => fc.tuple(fc.constant(type), valueText(type), valueText(type))),
      fc.boolean(),
      async ([type, a, b0], same) => {
        const b = same ? a : b0;
        const ours = valueKey(type, parseInput(type, a)) === valueKey(type, parseInput(type, b));
        const sql = `SELECT ${literal(type, a)} = ${literal(type, b)}`;
        const r = await pg(sql);
        assert.deepEqual([ours], r, sql);
      },
    );
    await fc.assert(property, fuzz(300));
  });
});
