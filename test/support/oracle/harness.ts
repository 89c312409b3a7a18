/**
 * Runs one case through the delta graph and through PGlite and compares them after every
 * transaction (and before the first): each view's snapshot, the running sum of the changes
 * `apply` returned, and its errors, as multisets of wire rows. Returns the first disagreement.
 */
import type { DeltaGraph, ViewErrorInfo } from '../../../src/engine/delta/interface.js';
import { buildGraph } from './delta-side.js';
import { addTo, countChanges, countRows, differences, listing, rowKey, type Counted } from './multisets.js';
import type { PgliteOracle } from './pglite-oracle.js';
import type { Disagreement, ReproCase } from './repro.js';
import { inputChanges, transactionSql } from './transactions.js';
import { createTableSql, viewsFileSql } from './views.js';

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
  /** Accept numerics that differ only in display scale (see `pickedRepresentative`). */
  anyScale = false,
  /** Where the delta path's errors are confirmed when Postgres raises none (see GeneratedView). */
  errorProbeSql?: string,
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
  if (errors.length > 0) {
    const probe = errorProbeSql === undefined ? null : await oracle.evaluate(errorProbeSql);
    const confirmed =
      probe !== null && 'error' in probe && errors.some((e) => e.sqlstate === probe.error.sqlstate);
    if (!confirmed)
      return { after, view, what: 'the delta path reports an error, Postgres raises none', postgres, delta };
    return null;
  }
  const diff = differences(expected, snapshot);
  if (diff.length > 0 && anyScale && differences(byValue(expected), byValue(snapshot)).length === 0)
    return null;
  if (diff.length > 0)
    return { after, view, what: `different rows (Postgres expected):\n${diff.join('\n')}`, postgres, delta };
  return null;
}

/**
 * Whether Postgres may show any of several equal numerics (1.0 or 1.00): a DISTINCT, a grouping
 * key, min or max keep whichever row came first, and a top-k's tie-break cannot tell them apart.
 * No oracle can pin that choice down, so such views are compared by numeric value.
 */
export function pickedRepresentative(sql: string): boolean {
  return /\b(DISTINCT|GROUP BY|LIMIT)\b|\b(min|max)\(/i.test(sql);
}

/** The multiset with every decimal string at its smallest scale ('0.50' -> '0.5', '-0.00' -> '0'). */
export function byValue(counted: Counted): Counted {
  const out: Counted = new Map();
  for (const [key, n] of counted) {
    const row = JSON.parse(key) as unknown[];
    addTo(
      out,
      row.map((v) =>
        typeof v === 'string' && /^-?\d+\.\d+$/.test(v) ? v.replace(/\.?0+$/, '').replace(/^-0$/, '0') : v,
      ),
      n,
    );
  }
  return out;
}

function errorKey(e: ViewErrorInfo): string {
  return JSON.stringify([e.view, e.sqlstate, e.message, e.value ?? null]);
}

function errorSet(errors: ViewErrorInfo[]): Counted {
  const out: Counted = new Map();
  for (const e of errors) out.set(rowKey([errorKey(e)]), 1);
  return out;
}

/** Whether the error changes `apply` returned add up to the errors `errors()` reports. */
function errorStreamDrift(current: ViewErrorInfo[], running: Counted): string | null {
  const negative = [...running].filter(([, n]) => n < 0);
  const reported = new Set(current.map((e) => rowKey([errorKey(e)])));
  const summed = new Set(running.keys());
  const same = reported.size === summed.size && [...reported].every((k) => summed.has(k));
  if (negative.length === 0 && same) return null;
  return (
    `the error changes apply() returned do not add up to errors():\n-- errors():\n${[...reported].join('\n')}` +
    `\n-- sum of error changes:\n${listing(running)}`
  );
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
  const runningErrors = new Map(c.views.map((v) => [v.name, errorSet(graph.errors(v.name))]));
  for (let i = 0; i <= c.transactions.length; i++) {
    if (i > 0) {
      const tx = c.transactions[i - 1] ?? [];
      let deltas;
      try {
        deltas = graph.apply(inputChanges(c.columns, tx, c.consolidated), FIRST_TIMESTAMP + i);
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
        const errs = runningErrors.get(d.view);
        if (errs) for (const [e, diff] of d.errors) addTo(errs, [errorKey(e)], diff);
      }
      await oracle.run(transactionSql(c.columns, tx));
    }
    for (const v of c.views) {
      const stream = errorStreamDrift(graph.errors(v.name), runningErrors.get(v.name) ?? new Map());
      if (stream) return { after: i, view: v.name, what: stream, postgres: '(not consulted)', delta: '' };
      const anyScale =
        pickedRepresentative(v.sql) ||
        c.views.some(
          (u) => u.name !== v.name && v.sql.includes(`FROM ${u.name}`) && pickedRepresentative(u.sql),
        );
      const found = await compareView(
        graph,
        oracle,
        v.name,
        running.get(v.name) ?? new Map(),
        i,
        anyScale,
        v.errorProbeSql,
      );
      if (found) return found;
    }
  }
  return null;
}

/**
 * The disagreement on `c` with as few views as still show it: the failing view alone, with the
 * views it reads. Shrinking a chain of generated views rarely drops the views that do not matter.
 */
export async function smallestDisagreement(
  oracle: PgliteOracle,
  c: ReproCase,
  found: Disagreement,
): Promise<[ReproCase, Disagreement]> {
  const keep = new Set([found.view]);
  for (const v of [...c.views].reverse()) {
    if (keep.has(v.name))
      for (const other of c.views)
        if (new RegExp(`\\bFROM ${other.name}\\b`).test(v.sql)) keep.add(other.name);
  }
  if (keep.size === c.views.length) return [c, found];
  const views = c.views.filter((v) => keep.has(v.name));
  const smaller = { ...c, views, viewsSql: viewsFileSql({ columns: c.columns, views }) };
  const again = await firstDisagreement(oracle, smaller);
  return again ? [smaller, again] : [c, found];
}
