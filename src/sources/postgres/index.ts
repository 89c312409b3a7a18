/**
 * The postgres source's entry points for the composition root (src/cli, src/sources/create-source.ts).
 * See docs/POSTGRES.md.
 */
import type { ChangeSink, InputChange } from './interface.js';

export { PostgresSource, type PostgresSourceStatus } from './postgres-source.js';
export { PG_ERROR_CODES } from './errors.js';
export { POSTGRES_DEFAULTS } from './interface.js';
export type {
  ChangeBatch,
  ChangeSink,
  InputChange,
  PostgresSourceOptions,
  ReplicatedTable,
} from './interface.js';

/** True for a `--source` that names a Postgres database to replicate. */
export function isPostgresSpec(spec: string): boolean {
  return spec.startsWith('postgres://') || spec.startsWith('postgresql://');
}

/**
 * The sink that feeds an engine's ingest of input changes: one engine transaction per upstream
 * transaction, with the source's position stored in the same transaction under `sourceId`. The
 * returned promise must resolve only once that transaction is durably committed: the source then
 * acknowledges the position to Postgres.
 */
export function ingestSink(
  sourceId: string,
  ingest: (changes: InputChange[], positions: Record<string, string>) => Promise<unknown>,
): ChangeSink {
  return {
    apply: async (batch) => {
      await ingest(batch.changes, { [sourceId]: batch.position });
    },
  };
}
