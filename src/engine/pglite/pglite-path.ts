/**
 * The PGlite path as the embedded engine drives it: a worker that creates only the PGlite-path views
 * and the views they read, is sent only the input columns those views read, and commits each
 * transaction at the timestamp the engine gives it. The engine's store is the source of truth:
 * PGlite may lag it by one transaction (a crash between the two commits), which the store keeps as
 * pending and which is applied again here at start.
 */
import type { Change } from '../../core/multiset.js';
import { ViewcastError } from '../../core/errors.js';
import { stringifyJson } from '../../core/exact-json.js';
import type { ViewsFile } from '../../sql/views-file.js';
import type { PlannedView } from '../delta/interface.js';
import { inputColumnsRead } from '../embedded/columns-read.js';
import { pgliteDir } from '../embedded/open-store.js';
import type { EngineStore, PendingTransaction } from '../store/engine-store.js';
import type { Column, InputRecord } from '../types.js';
import { PgliteWorker } from './client.js';
import type { ViewChanges } from './protocol.js';

export interface PglitePathOptions {
  parsed: ViewsFile;
  planned: PlannedView[];
  viewsSql: string;
  dataDir: string | null;
  store: EngineStore;
  onDeath: (error: Error) => void;
}

/** The PGlite-path views and, transitively, every view they read, in file order. */
export function viewsToCreate(planned: PlannedView[]): string[] {
  const byName = new Map(planned.map((v) => [v.name, v]));
  const needed = new Set<string>();
  const visit = (name: string): void => {
    const view = byName.get(name);
    if (!view || needed.has(name)) return;
    needed.add(name);
    for (const read of view.reads) visit(read);
  };
  for (const view of planned) if (view.path === 'pglite') visit(view.name);
  return planned.filter((v) => needed.has(v.name)).map((v) => v.name);
}

export class PglitePath {
  private constructor(
    private readonly worker: PgliteWorker,
    private readonly columnNames: string[],
    readonly columns: Record<string, Column[]>,
    readonly warnings: string[],
  ) {}

  static async start(options: PglitePathOptions): Promise<PglitePath> {
    const { parsed, planned, store } = options;
    const create = viewsToCreate(planned);
    const serve = planned.filter((v) => v.path === 'pglite').map((v) => v.name);
    const input = parsed.tables[0];
    const views = parsed.views.filter((v) => create.includes(v.name));
    const inputColumns = input ? inputColumnsRead(views, input).map((c) => c.name) : [];
    const worker = new PgliteWorker(options.onDeath);
    try {
      const init = await worker.init({
        dataDir: options.dataDir === null ? null : pgliteDir(options.dataDir),
        viewsSql: options.viewsSql,
        viewsFile: parsed.file,
        create,
        serve,
        inputColumns,
      });
      const path = new PglitePath(worker, inputColumns, init.columns, init.warnings);
      const pending = store.pending;
      // PGlite is either at the store's last transaction or one behind it, with that one pending.
      const behind =
        pending !== null && pending.timestamp === store.lastTimestamp && init.timestamp < pending.timestamp;
      if (init.timestamp !== store.lastTimestamp && !behind) {
        throw new ViewcastError(
          'VIEWCAST_DATA_DIR_MISMATCH',
          `The PGlite database in ${options.dataDir} (at timestamp ${init.timestamp}) does not match the ` +
            `engine's state (at ${store.lastTimestamp}). Delete ${options.dataDir} to start over (its views are rebuilt from the source).`,
        );
      }
      if (behind) await path.commit(pending, () => undefined);
      return path;
    } catch (error) {
      await worker.close().catch(() => undefined);
      throw error;
    }
  }

  /** The transaction's input as PGlite receives it: only the columns its views read. */
  pendingOf(records: InputRecord[], timestamp: number): PendingTransaction {
    const names = this.columnNames;
    const projected = records.map((record) => {
      const row: InputRecord = {};
      for (const name of names) row[name] = record[name] ?? null;
      return row;
    });
    return { timestamp, records: projected };
  }

  /** Commits a transaction in PGlite; `onCommitted` runs before any later worker reply is handled. */
  async commit(pending: PendingTransaction, onCommitted: (views: ViewChanges[]) => void): Promise<void> {
    await this.worker.ingest(stringifyJson(pending.records), pending.timestamp, (result) =>
      onCommitted(result.views),
    );
  }

  async snapshot(view: string): Promise<Change[]> {
    return (await this.worker.snapshot(view)).rows;
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
