/**
 * Runs one case through the delta graph and through PGlite and compares them after every
 * transaction (and before the first): each view's snapshot, the running sum of the changes
 * `apply` returned, and its errors, as multisets of wire rows. Returns the first disagreement.
 */
import type { DeltaGraph } from '../../../src/engine/delta/interface.js';
import { buildGraph } from './delta-side.js';
import { addTo, countChanges, countRows, differences, listing, type Counted } from './multisets.js';
import type { PgliteOracle } from './pglite-oracle.js';
import type { Disagreement, ReproCase } from './repro.js';
import { inputChanges, transactionSql } from './transactions.js';
import { createTableSql } from './views.js';

/** Transaction timestamps: increasing, as the engine's are. */
const FIRST_TIMESTAMP = 1_777_979_860_000;

function errorListing(errors: Array<{ sqlstate: string; message: string }>): string {
  return errors.length === 0
    ? '(no error)'
    : errors.map((e) => `ERROR ${e.sqlstate}: ${e.message}`).join('\n');
}

/** Compares one view's snapshot, running sum and errors with Postgres's evaluation of it. */
export async function compareView(
  graph: DeltaGraph,
  oracle: PgliteOracle,
  view: string,
  running: Counted,
  after: number,
): Promise<Disagreement | null> {
  const snapshot = countChanges(graph.snapshot(view));
  const errors = graph.errors(view);
  const delta = `${listing(snapshot)}\n${errorListing(errors)}`;
  const drift = differences(snapshot, running);
  if (drift.length > 0) {
    const what = `the changes apply() returned do not add up to snapshot() (snapshot expected):\n${drift.join('\n')}`;
    return {
      after,
      view,
      what,
      postgres: '(not consulted)',
      delta: `${delta}\n-- running sum:\n${listing(running)}`,
    };
  }
  const evaluation = await oracle.evaluate(`SELECT * FROM ${view}`);
  if ('error' in evaluation) {
    const postgres = errorListing([evaluation.error]);
    if (errors.some((e) => e.sqlstate === evaluation.error.sqlstate)) return null;
    const what =
      errors.length === 0
        ? 'Postgres raises an error, the delta path reports none'
        : 'the errors have different SQLSTATEs';
    return { after, view, what, postgres, delta };
  }
  const expected = countRows(evaluation.rows);
  const postgres = listing(expected);
  if (errors.length > 0)
    return { after, view, what: 'the delta path reports an error, Postgres raises none', postgres, delta };
  const diff = differences(expected, snapshot);
  if (diff.length > 0)
    return { after, view, what: `different rows (Postgres expected):\n${diff.join('\n')}`, postgres, delta };
  return null;
}

/** The first disagreement between the delta path and Postgres on `c`, or null when they agree. */
export async function firstDisagreement(oracle: PgliteOracle, c: ReproCase): Promise<Disagreement | null> {
  await oracle.load(
    createTableSql(c.columns),
    c.views.map((v) => ({ name: v.name, sql: v.oracleSql })),
  );
  const first = c.views[0]?.name ?? '(views file)';
  let graph: DeltaGraph;
  try {
    graph = await buildGraph(c.viewsSql);
  } catch (error) {
    return {
      after: 0,
      view: first,
      what: 'the delta path refused a views file Postgres accepts',
      postgres: 'views created',
      delta: String(error),
    };
  }
  for (const v of c.views) {
    const planned = graph.views.find((p) => p.name === v.name);
    if (planned?.path !== 'delta') {
      const delta = planned
        ? `planned on ${planned.path}: ${planned.reason ?? '(no reason)'}`
        : 'view missing from the graph';
      return {
        after: 0,
        view: v.name,
        what: 'a view of the supported grammar is not on the delta path',
        postgres: '-',
        delta,
      };
    }
  }
  const running = new Map(c.views.map((v) => [v.name, countChanges(graph.snapshot(v.name))]));
  for (let i = 0; i <= c.transactions.length; i++) {
    if (i > 0) {
      const tx = c.transactions[i - 1] ?? [];
      let deltas;
      try {
        deltas = graph.apply(inputChanges(c.columns, tx), FIRST_TIMESTAMP + i);
      } catch (error) {
        return {
          after: i,
          view: first,
          what: 'apply() threw',
          postgres: '-',
          delta: String((error as Error).stack ?? error),
        };
      }
      for (const d of deltas) {
        const sum = running.get(d.view);
        if (sum) for (const [row, diff] of d.changes) addTo(sum, row, diff);
      }
      await oracle.run(transactionSql(c.columns, tx));
    }
    for (const v of c.views) {
      const found = await compareView(graph, oracle, v.name, running.get(v.name) ?? new Map(), i);
      if (found) return found;
    }
  }
  return null;
}
