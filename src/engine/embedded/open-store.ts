/**
 * Opens the engine's store: LMDB in `<data-dir>/state`, or memory only with `--memory`. A data
 * directory remembers the data format it was written in; another one is refused untouched. A changed
 * views file is reconciled view by view (views-change.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ViewcastError } from '../../core/errors.js';
import type { EngineStore } from '../store/engine-store.js';
import { LMDB_DATA_FILE, LmdbEngineStore } from '../store/lmdb-store.js';
import { MemoryEngineStore } from '../store/memory-store.js';

/** Bumped whenever the layout of the data directory changes: an older one is refused. */
export const DATA_FORMAT = '6';
/**
 * Older formats this version still reads, and upgrades on opening (their directory then says 6, which
 * an older viewcast refuses). 4 -> 5: the retained log may hold an event as its JSON text. 5 -> 6: the
 * state has a journal in front of LMDB; an older viewcast would ignore its records, and this one
 * would later replay them over that viewcast's newer state.
 */
const UPGRADABLE = new Set(['4', '5']);

export function viewsHash(viewsSql: string): string {
  return createHash('sha256').update(viewsSql).digest('hex');
}

/** Where the PGlite path keeps its database inside a data directory. */
export function pgliteDir(dataDir: string): string {
  return join(dataDir, 'pglite');
}

/** Where the delta path's store (LMDB) keeps its files inside a data directory. */
function storeDir(dataDir: string): string {
  return join(dataDir, 'state');
}

/** The store's file that LMDB maps into memory (its pages can be dropped when idle). */
export function storeMappedFile(dataDir: string): string {
  return join(storeDir(dataDir), LMDB_DATA_FILE);
}

function formatMismatch(dataDir: string, found: string): ViewcastError {
  return new ViewcastError(
    'VIEWCAST_DATA_DIR_MISMATCH',
    `The data directory ${dataDir} was written by another version of viewcast (data format ${found}, ` +
      `this version reads ${[...UPGRADABLE, DATA_FORMAT].join(' and ')}). Point --data-dir at a new directory, or delete ${dataDir} ` +
      `to start over (its views are rebuilt from the source).`,
  );
}

/**
 * `retain`: whether ingest transactions' input is kept in the retained event log (`--retain`);
 * `syncCommits`: whether a commit waits for its journal record to be on the disk (`--sync-commits`).
 */
export function openEngineStore(
  dataDir: string | null,
  viewsSql: string,
  retain = true,
  syncCommits = false,
): EngineStore {
  const hash = viewsHash(viewsSql);
  if (dataDir === null) {
    const store = new MemoryEngineStore();
    store.setMeta('views_hash', hash);
    return store;
  }
  // Data format 2 kept PGlite's files at the directory's root.
  if (existsSync(join(dataDir, 'PG_VERSION'))) throw formatMismatch(dataDir, '2');
  const path = storeDir(dataDir);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const store = new LmdbEngineStore(path, syncCommits ? 'sync' : 'async', retain);
  store.setMeta('views_hash', hash);
  if (store.created) {
    store.setMeta('format', DATA_FORMAT);
    return store;
  }
  const format = store.meta('format') ?? '?';
  if (UPGRADABLE.has(format)) store.setMeta('format', DATA_FORMAT);
  const error = format !== DATA_FORMAT && !UPGRADABLE.has(format) ? formatMismatch(dataDir, format) : null;
  if (error) {
    void store.close();
    throw error;
  }
  return store;
}
