/**
 * The postgres source as the rest of viewcast sees it. Its output is the engine's input contract
 * (`InputChange`, src/engine/delta/interface.ts): per upstream transaction, the changes of the
 * replicated tables with one position. An update is a retraction of the old row and an insertion of
 * the new one; the initial snapshot is one batch of insertions.
 */
import type { InputChange } from '../../engine/delta/interface.js';
import type { Column } from '../../engine/types.js';
import type { SourceLog, SourceStatus } from '../types.js';

export type { InputChange };

/** A table the views file declares with CREATE TABLE, replicated under the same name. */
export interface ReplicatedTable {
  /** The table's name upstream, optionally schema-qualified (`public.orders`; default schema public). */
  name: string;
  columns: Column[];
}

/** One upstream transaction (or the initial snapshot): applied whole, or not at all. */
export interface ChangeBatch {
  changes: InputChange[];
  /**
   * Where the source resumes once this batch is committed: the end LSN of the transaction's commit
   * record (for the snapshot, the slot's consistent point), in Postgres's text form (`0/16B3748`).
   */
  position: string;
  /** True for the initial snapshot. */
  snapshot: boolean;
}

export interface ChangeSink {
  /**
   * Applies one batch and resolves once it is durably committed together with `position` (the
   * engine may group several batches in one of its transactions; it never splits one). The source
   * acknowledges the position to Postgres only then. Batches arrive in order; a rejection stops the
   * source (a restart resumes from the last committed position).
   */
  apply(batch: ChangeBatch): Promise<void>;
}

/**
 * A source whose output is input changes with retractions, for any declared table (the postgres
 * source), beside `Source` (src/sources/types.ts), whose output is events for the one input table.
 * Same life cycle and reporting; `output` tells the two apart.
 */
export interface ChangeSource {
  readonly output: 'changes';
  /** The key its resume position is stored under. */
  readonly id: string;
  readonly kind: string;
  describe(): string;
  /** Runs until `stop`; rejects with a ViewcastError when it cannot go on. */
  run(sink: ChangeSink, resumeFrom: string | null): Promise<void>;
  stop(): void;
  status(): SourceStatus;
}

export interface PostgresSourceOptions {
  /** `postgres://user:pass@host:port/db`; the password is never logged. */
  url: string;
  tables: ReplicatedTable[];
  /** Publication to use; created (FOR the replicated tables) when missing. Default `viewcast`. */
  publication?: string;
  /** Logical replication slot to use; created when missing. Default `viewcast`. */
  slot?: string;
  log: SourceLog;
  /** Largest delay between reconnect attempts after a lost connection, in ms (default 10 s). */
  maxReconnectDelayMs?: number;
  /** How often the committed position is reported to Postgres while streaming, in ms (default 10 s). */
  statusIntervalMs?: number;
  /** Upstream transactions handed to the sink and not yet committed before reading pauses (default 64). */
  maxInFlight?: number;
}

export const POSTGRES_DEFAULTS = {
  publication: 'viewcast',
  slot: 'viewcast',
  maxReconnectDelayMs: 10_000,
  statusIntervalMs: 10_000,
  maxInFlight: 64,
} as const;
