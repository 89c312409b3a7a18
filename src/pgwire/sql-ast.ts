/** The statements the Postgres-wire server runs, as the parser hands them to the session. */
import type { AnalyzedQuery } from './query-analysis.js';

/** A timestamp as SUBSCRIBE's AS OF and UP TO give it: a number, or `mz_now()` / `now()` plus or minus milliseconds. */
export type TimestampExpression =
  { kind: 'literal'; value: bigint } | { kind: 'now'; clock: 'mz_now' | 'now'; offsetMs: number };

export interface SubscribeStatement {
  kind: 'subscribe';
  /** The view subscribed to; for a subscription over a query, the query's text. */
  view: string;
  /** Where the view name starts, for error positions. */
  viewPosition: number;
  /** `SUBSCRIBE (SELECT ...)` over anything but `SELECT * FROM view`. */
  query?: AnalyzedQuery | null;
  progress: boolean;
  snapshot: boolean;
  /** `AS OF <ts>`: no update before this timestamp is sent. */
  asOf: bigint | null;
  /** AS OF given as an expression (`mz_now()`, `now() - 1000`), resolved when the subscription starts. */
  asOfExpression?: TimestampExpression | null;
  /** `AS OF AT LEAST`: a timestamp older than the retained history starts at the oldest retained one. */
  asOfAtLeast?: boolean;
  /** `UP TO <ts>`: the subscription ends before this timestamp (exclusive). */
  upTo?: TimestampExpression | null;
  /** `ENVELOPE UPSERT (KEY (...))`: rows become upserts and deletes per key. */
  upsertKey?: string[] | null;
}

export type Statement =
  | { kind: 'empty' }
  | { kind: 'begin' }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | SubscribeStatement
  | { kind: 'query'; query: AnalyzedQuery }
  | { kind: 'declare'; cursor: string; query: SubscribeStatement | { kind: 'query'; query: AnalyzedQuery } }
  | { kind: 'fetch'; cursor: string; count: number | 'all'; timeoutMs: number | null }
  | { kind: 'close'; cursor: string | null }
  | { kind: 'copy'; query: SubscribeStatement | { kind: 'query'; query: AnalyzedQuery } }
  | { kind: 'show-views'; materialized: boolean }
  | { kind: 'show'; parameter: string }
  | { kind: 'set'; tag: string }
  /** `CREATE ... IF NOT EXISTS name` of a set-up script: skipped with a notice when it exists. */
  | { kind: 'create-if-not-exists'; object: string; name: string };
