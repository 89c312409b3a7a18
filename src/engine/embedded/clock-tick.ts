/**
 * The engine's clock tick: with no events, the frontier still advances every `--tick`
 * milliseconds, as Materialize's does about once a second. A tick is an empty transaction: every
 * subscriber gets progress, and temporal filters (`mz_now()`) emit the rows whose window opened or
 * closed. Only then is there state to write.
 */
import type { EngineStore } from '../store/engine-store.js';

export const DEFAULT_TICK_MS = 1000;

/**
 * Writes the operator state a tick changed. The store's timestamp and pending PGlite input stay
 * those of the last ingest transaction: they are what the PGlite path checks itself against at
 * start, and a tick changes nothing on PGlite. On restart the engine's timestamp is the clock's,
 * past every tick.
 */
export async function commitTickState(store: EngineStore): Promise<void> {
  await store.commit(store.lastTimestamp, {}, store.pending);
}
