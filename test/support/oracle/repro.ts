/**
 * A disagreement as a person reads it: the views file the delta path was given, a psql script that
 * replays the same transactions on plain Postgres (views created with the oracle's complete ORDER
 * BY), and both answers at the transaction where they first differ.
 */
import type { RowChange } from './transactions.js';
import { transactionSql } from './transactions.js';
import { createTableSql, type GeneratedView, type InputColumn } from './views.js';

export interface Disagreement {
  /** 0 before any transaction, else the 1-based transaction after which the answers differ. */
  after: number;
  view: string;
  what: string;
  postgres: string;
  delta: string;
}

export interface ReproCase {
  columns: InputColumn[];
  views: GeneratedView[];
  transactions: RowChange[][];
  /** The views file as given to the delta path. */
  viewsSql: string;
  /** The delta path gets each transaction's changes consolidated (diffs of ±n). */
  consolidated?: boolean;
}

export function formatRepro(c: ReproCase, d: Disagreement): string {
  const upTo = c.transactions.slice(0, d.after);
  const psql = [
    createTableSql(c.columns),
    ...c.views.map((v) => `CREATE VIEW ${v.name} AS ${v.oracleSql};`),
    ...upTo.map((tx, i) => `-- transaction ${i + 1}\n${transactionSql(c.columns, tx)}`),
    `SELECT * FROM ${d.view};`,
  ].join('\n');
  return [
    `delta path and Postgres disagree on view ${d.view} ${d.after === 0 ? 'before any transaction' : `after transaction ${d.after}`}: ${d.what}`,
    '',
    `-- views file (delta path${c.consolidated ? ', fed consolidated changes: equal rows of a transaction as one diff of ±n' : ''}):`,
    c.viewsSql,
    '',
    '-- psql reproduction (plain Postgres):',
    psql,
    '',
    '-- Postgres:',
    d.postgres,
    '-- delta path:',
    d.delta,
  ].join('\n');
}
