/** The statements the Postgres-wire server runs, as the parser hands them to the session. */

export interface SubscribeStatement {
  kind: 'subscribe';
  view: string;
  /** Where the view name starts, for error positions. */
  viewPosition: number;
  progress: boolean;
  snapshot: boolean;
  /** `AS OF <ts>`: no update before this timestamp is sent. */
  asOf: bigint | null;
}

export type Literal = string | number | boolean | null;

export type Operand =
  | { kind: 'column'; name: string; position: number }
  | { kind: 'literal'; value: Literal }
  | { kind: 'param'; index: number; position: number };

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; condition: Condition }
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'is-null'; operand: Operand; negated: boolean }
  | { kind: 'in'; operand: Operand; list: Operand[]; negated: boolean }
  | { kind: 'operand'; operand: Operand };

export type Aggregate = 'count' | 'sum' | 'min' | 'max';

export type SelectItem =
  | { kind: 'star' }
  | { kind: 'column'; name: string; position: number; alias: string | null }
  | { kind: 'aggregate'; fn: Aggregate; column: string | null; position: number; alias: string | null }
  | { kind: 'literal'; value: Literal; alias: string | null };

export interface OrderKey {
  /** A column name of the output or the view, or a 1-based output position. */
  key: { column: string; position: number } | { ordinal: number };
  descending: boolean;
  nullsFirst: boolean;
}

export interface SelectStatement {
  kind: 'select';
  items: SelectItem[];
  from: { view: string; position: number } | null;
  where: Condition | null;
  orderBy: OrderKey[];
  limit: number | null;
  offset: number;
}

export type Statement =
  | { kind: 'empty' }
  | { kind: 'begin' }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  | SubscribeStatement
  | SelectStatement
  | { kind: 'declare'; cursor: string; query: SubscribeStatement | SelectStatement }
  | { kind: 'fetch'; cursor: string; count: number | 'all'; timeoutMs: number | null }
  | { kind: 'close'; cursor: string | null }
  | { kind: 'copy'; query: SubscribeStatement | SelectStatement }
  | { kind: 'show-views'; materialized: boolean }
  | { kind: 'show'; parameter: string }
  | { kind: 'set'; tag: string };
