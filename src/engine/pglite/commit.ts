/**
 * One ingest transaction on the PGlite path: the events and the engine's timestamp are written
 * together, then the served views' changes are collected: captured rows for IMMVs, an evaluation
 * diffed against the previous result for top-k and re-evaluated views. Either all of it commits or
 * none of it does. (The sources' positions live in the engine's store, committed before this.)
 */
import type { PGlite } from '@electric-sql/pglite';
import { consolidate, difference, Multiset, type Change, type Row } from '../../core/multiset.js';
import { takeChanges } from './capture.js';
import type { CommitResult, IngestStep, ViewChanges } from './protocol.js';
import { quoteIdent, type ViewPlan } from './view-plan.js';

export interface EngineState {
  db: PGlite;
  plans: ViewPlan[];
  /** The views whose changes the engine publishes; the others are only read by them. */
  serve: Set<string>;
  lastTimestamp: number;
  /** Current results of views that are diffed in JS (top-k and re-evaluated ones). */
  evaluated: Map<string, Multiset>;
}

const ARRAYS = { rowMode: 'array' } as const;

/**
 * Each step's rows are a JSON array of objects keyed by column; the main thread serializes them,
 * which costs less there than cloning the objects across threads would. The whole transaction is
 * one multi-statement round trip into PGlite: each round trip costs about 0.2-0.4 ms of CPU
 * whatever it carries, and a transaction used to take eight of them (see BENCHMARKS.md).
 */
export async function commit(s: EngineState, steps: IngestStep[], timestamp: number): Promise<CommitResult> {
  const statements = ['BEGIN'];
  for (const step of steps) statements.push(...stepStatements(step));
  statements.push(`UPDATE _viewcast.meta SET value = '${timestamp}' WHERE key = 'last_timestamp'`);
  const first = statements.length;
  const served = s.plans.filter((plan) => s.serve.has(plan.name));
  for (const plan of served) statements.push(plan.kind === 'immv' ? takeChanges(plan.ord) : plan.evaluate);
  statements.push('COMMIT');
  let results: Array<{ rows: unknown[] }>;
  try {
    results = await s.db.exec(statements.join(';\n'), ARRAYS);
  } catch (error) {
    await s.db.exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
  const views: ViewChanges[] = [];
  const evaluated = new Map<string, Multiset>();
  for (const [i, plan] of served.entries()) {
    const rows = (results[first + i]?.rows ?? []) as unknown[][];
    if (plan.kind === 'immv') {
      const changes = rows.map((r): Change => [r.slice(1) as Row, r[0] as number]);
      views.push({ view: plan.name, changes: changes.length > 0 ? consolidate(changes) : [] });
    } else {
      const next = toMultiset(rows);
      evaluated.set(plan.name, next);
      views.push({
        view: plan.name,
        changes: difference(s.evaluated.get(plan.name) ?? new Multiset(), next),
      });
    }
  }
  // Only after the commit: a failed transaction must leave the remembered results untouched.
  for (const [name, result] of evaluated) s.evaluated.set(name, result);
  s.lastTimestamp = timestamp;
  return { timestamp, views };
}

function stepStatements(step: IngestStep): string[] {
  const table = quoteIdent(step.table);
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
