/** Messages between the Postgres-wire server and its query worker (query-worker.ts). */
import type { Column } from '../engine/types.js';

export interface WorkerTable {
  name: string;
  columns: Column[];
  /** Rows in Postgres text, one entry per copy (a row with multiplicity 2 appears twice). */
  rows: Array<Array<string | null>>;
}

export type WorkerRequest =
  | { id: number; kind: 'views'; views: WorkerTable[] }
  | {
      id: number;
      kind: 'run';
      sql: string;
      params: Array<string | null>;
      tables: WorkerTable[];
      maxRows: number;
    }
  | { id: number; kind: 'describe'; sql: string };

export interface WorkerField {
  name: string;
  oid: number;
}

export type WorkerResponse =
  | {
      id: number;
      ok: true;
      fields: WorkerField[];
      rows: Array<Array<string | null>>;
      paramTypes?: number[];
    }
  | { id: number; ok: false; error: { code: string; message: string; hint?: string; position?: number } };
