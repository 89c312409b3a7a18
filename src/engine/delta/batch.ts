/**
 * What flows between delta operators: a transaction's row changes (internal values, see
 * sql/scalar/interface.ts) and the changes of the error multiset. Errors are data: an operator
 * passes the errors it receives on unchanged and adds those its own expressions raise, with the
 * diff of the row that raised them, so a retracted row takes its error with it.
 */
import type { EvalContext, Value } from '../../sql/scalar/interface.js';
import { SqlEvalError } from '../../sql/scalar/interface.js';
import type { ViewErrorInfo } from './interface.js';

export type DeltaRow = Value[];
/** `key`: the row's exactKey (row-key.ts), when the operator that made the change computed it. */
export type RowChange = [row: DeltaRow, diff: number, key?: string];
export type ErrorChange = [error: ViewErrorInfo, diff: number];

export interface Batch {
  rows: RowChange[];
  errors: ErrorChange[];
}

export function emptyBatch(): Batch {
  return { rows: [], errors: [] };
}

export interface Operator {
  /** Stable id (`<view>/<role>`): the key of the operator's entries in the StateStore. */
  readonly id: string;
  apply(input: Batch, ctx: EvalContext): Batch;
}

/** An operator whose memory holds its current output: the view's contents when it is the last one. */
export interface Snapshotting extends Operator {
  contents(): Iterable<RowChange>;
}

export function isSnapshotting(op: Operator): op is Snapshotting {
  return typeof (op as Partial<Snapshotting>).contents === 'function';
}

/**
 * The error a failing expression becomes. A SqlEvalError carries Postgres's SQLSTATE; anything
 * else is a defect of ours, reported as Postgres reports internal errors (XX000) rather than
 * thrown, so that one view's defect never stops the others.
 */
export function errorInfo(view: string, error: unknown): ViewErrorInfo {
  if (error instanceof SqlEvalError) {
    const info: ViewErrorInfo = { view, sqlstate: error.sqlstate, message: error.message };
    const value = (error as { value?: unknown }).value;
    if (value !== undefined) info.value = String(value);
    return info;
  }
  return { view, sqlstate: 'XX000', message: error instanceof Error ? error.message : String(error) };
}

/** A key that tells two errors apart (the error multiset's identity). */
export function errorKey(info: ViewErrorInfo): string {
  return JSON.stringify([info.view, info.sqlstate, info.message, info.value ?? null]);
}
