/**
 * Errors are data on the PGlite path too, for the views it evaluates itself (re-evaluated views and
 * top-k views read through a query): when a transaction's evaluations fail (a division by zero, a
 * cast), the transaction is done again with each evaluation behind a savepoint, so the failing view
 * is in error (keeping the last rows it had) while the events, the other views and the engine go on.
 * The evaluations of views in error stay behind savepoints until they succeed again.
 *
 * What this cannot isolate: a view that pg_ivm maintains (an IMMV) fails inside the trigger that
 * applies the events, which fails the events' own INSERT (docs/VIEWS.md says how that differs).
 */
import type { PGlite } from '@electric-sql/pglite';
import type { ViewErrorInfo } from '../types.js';
import { postgresReason } from './create-view.js';
import type { ViewPlan } from './view-plan.js';

const ARRAYS = { rowMode: 'array' } as const;

/** The view's error as Postgres reported it; XX000 when the error carries no SQLSTATE. */
export function evaluationError(view: string, error: unknown): ViewErrorInfo {
  const code = (error as { code?: unknown } | null)?.code;
  const sqlstate = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : 'XX000';
  return { view, sqlstate, message: postgresReason(error) };
}

/** A data exception (SQLSTATE class 22): the input makes the view fail, not the view's definition. */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}

export type Evaluation = { rows: unknown[][] } | { error: ViewErrorInfo };

/** Runs one view's query inside the open transaction; a failure is rolled back to before it. */
export async function evaluateGuarded(db: PGlite, plan: ViewPlan): Promise<Evaluation> {
  await db.exec('SAVEPOINT viewcast_evaluate');
  try {
    const [result] = await db.exec(plan.evaluate, ARRAYS);
    await db.exec('RELEASE SAVEPOINT viewcast_evaluate');
    return { rows: (result?.rows ?? []) as unknown[][] };
  } catch (error) {
    await db.exec('ROLLBACK TO SAVEPOINT viewcast_evaluate');
    return { error: evaluationError(plan.name, error) };
  }
}
