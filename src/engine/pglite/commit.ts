/**
 * One ingest transaction on the PGlite path: the events and the engine's timestamp are written
 * together, then the served views' changes are collected: captured rows for IMMVs, an evaluation
 * diffed against the previous result for top-k and re-evaluated views. Either all of it commits or
 * none of it does. (The sources' positions live in the engine's store, committed before this.)
 * A view whose evaluation fails is in error instead of failing the transaction (evaluation-errors.ts).
 */
import type { PGlite } from '@electric-sql/pglite';
import { consolidate, difference, Multiset, type Change, type Row } from '../../core/multiset.js';
import type { ViewErrorInfo } from '../types.js';
import { takeChanges } from './capture.js';
import { evaluateGuarded, isDataError, type Evaluation } from './evaluation-errors.js';
import type { CommitResult, IngestStep, ViewChanges } from './protocol.js';
import { quoteIdentifier } from '../../core/sql-quote.js';
import type { ViewPlan } from './view-plan.js';

export interface EngineState {
  db: PGlite;
  plans: ViewPlan[];
  /** The views whose changes the engine publishes; the others are only read by them. */
  serve: Set<string>;
  lastTimestamp: number;
  /** Current results of views that are diffed in JS (top-k and re-evaluated ones). */
  evaluated: Map<string, Multiset>;
  /** Views whose evaluation fails (errors are data), with their errors. */
  failing: Map<string, ViewErrorInfo[]>;
}

const ARRAYS = { rowMode: 'array' } as const;

/**
 * Each step's rows are a JSON array of objects keyed by column; the main thread serializes them,
 * which costs less there than cloning the objects across threads would. The whole transaction is
 * one multi-statement round trip into PGlite: each round trip costs about 0.2-0.4 ms of CPU
 * whatever it carries, and a transaction used to take eight of them (see BENCHMARKS.md).
 */
export async function commit(s: EngineState, steps: IngestStep[], timestamp: number): Promise<CommitResult> {
  const served = s.plans.filter((plan) => s.serve.has(plan.name));
  let results: Evaluation[];
  if (s.failing.size > 0) results = await commitGuarded(s, steps, timestamp, served);
  else {
    try {
      results = await commitAtOnce(s, steps, timestamp, served);
    } catch (error) {
      await s.db.exec('ROLLBACK').catch(() => undefined);
      // Some view fails on this input: again, with each evaluation on its own (errors are data).
      if (!isDataError(error)) throw error;
      results = await commitGuarded(s, steps, timestamp, served);
    }
  }
  const views: ViewChanges[] = [];
  const evaluated = new Map<string, Multiset>();
  const failing = new Map<string, ViewErrorInfo[]>();
  for (const [i, plan] of served.entries()) {
    const result = results[i] ?? { rows: [] };
    const before = s.failing.get(plan.name);
    if ('error' in result) {
      // In error: no changes; the view keeps the rows it had until it evaluates again.
      failing.set(plan.name, [result.error]);
      const same = JSON.stringify(before) === JSON.stringify([result.error]);
      views.push({ view: plan.name, changes: [], ...(same ? {} : { errors: [result.error] }) });
      continue;
    }
    const recovered = before ? { errors: [] } : {};
    const rows = result.rows;
    if (plan.kind === 'immv') {
      const changes = rows.map((r): Change => [r.slice(1) as Row, r[0] as number]);
      views.push({ view: plan.name, changes: changes.length > 0 ? consolidate(changes) : [], ...recovered });
    } else {
      const next = toMultiset(rows);
      evaluated.set(plan.name, next);
      views.push({
        view: plan.name,
        changes: difference(s.evaluated.get(plan.name) ?? new Multiset(), next),
        ...recovered,
      });
    }
  }
  // Only after the commit: a failed transaction must leave the remembered results untouched.
  for (const [name, result] of evaluated) s.evaluated.set(name, result);
  s.failing = failing;
  s.lastTimestamp = timestamp;
  return { timestamp, views };
}

/** The whole transaction as one multi-statement round trip: the fast path, while no view fails. */
async function commitAtOnce(
  s: EngineState,
  steps: IngestStep[],
  timestamp: number,
  served: ViewPlan[],
): Promise<Evaluation[]> {
  const statements = writeStatements(steps, timestamp);
  const first = statements.length;
  for (const plan of served) statements.push(plan.kind === 'immv' ? takeChanges(plan.ord) : plan.evaluate);
  statements.push('COMMIT');
  const results = await s.db.exec(statements.join(';\n'), ARRAYS);
  return served.map((_, i) => ({ rows: (results[first + i]?.rows ?? []) as unknown[][] }));
}

/** The transaction with each evaluation behind a savepoint: one failing view fails alone. */
async function commitGuarded(
  s: EngineState,
  steps: IngestStep[],
  timestamp: number,
  served: ViewPlan[],
): Promise<Evaluation[]> {
  try {
    await s.db.exec(writeStatements(steps, timestamp).join(';\n'));
    const results: Evaluation[] = [];
    for (const plan of served) {
      if (plan.kind !== 'immv') results.push(await evaluateGuarded(s.db, plan));
      else
        results.push({
          rows: ((await s.db.exec(takeChanges(plan.ord), ARRAYS))[0]?.rows ?? []) as unknown[][],
        });
    }
    await s.db.exec('COMMIT');
    return results;
  } catch (error) {
    await s.db.exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** BEGIN, the events and the engine's timestamp: what every transaction writes. */
function writeStatements(steps: IngestStep[], timestamp: number): string[] {
  const statements = ['BEGIN'];
  for (const step of steps) statements.push(...stepStatements(step));
  statements.push(`UPDATE _viewcast.meta SET value = '${timestamp}' WHERE key = 'last_timestamp'`);
  return statements;
}

function stepStatements(step: IngestStep): string[] {
  const table = quoteIdentifier(step.table);
  if (!step.retract) {
    return [
      `INSERT INTO ${table} SELECT * FROM json_populate_recordset(null::${table}, ${dollarQuote(step.rows)})`,
    ];
  }
  // A retraction removes one copy of an equal row (NULLs equal), as a multiset difference does.
  return [
    `DELETE FROM ${table} WHERE ctid = (SELECT _old.ctid FROM ${table} AS _old, ` +
      `json_populate_record(null::${table}, ${dollarQuote(step.rows)}) AS _new ` +
      `WHERE _old IS NOT DISTINCT FROM _new LIMIT 1)`,
  ];
}

/** A string literal that needs no escaping: dollar-quoted with a tag the text does not contain. */
function dollarQuote(text: string): string {
  let tag = '$v$';
  for (let n = 0; text.includes(tag); n++) tag = `$v${n}$`;
  return `${tag}${text}${tag}`;
}

function toMultiset(rows: unknown[][]): Multiset {
  const set = new Multiset();
  for (const row of rows) set.apply(row, 1);
  return set;
}

export async function evaluate(db: Pick<PGlite, 'query'>, plan: ViewPlan): Promise<Multiset> {
  const result = await db.query<unknown[]>(plan.evaluate, [], ARRAYS);
  return toMultiset(result.rows);
}
