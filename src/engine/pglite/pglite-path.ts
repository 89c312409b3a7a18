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
import type { InputChange, PlannedView } from '../delta/interface.js';
import { inputColumnsRead, readsTable } from '../embedded/columns-read.js';
import { pgliteDir } from '../embedded/open-store.js';
import type { EngineStore, PendingTransaction } from '../store/engine-store.js';
import type { Column, InputRecord, ViewErrorInfo } from '../types.js';
import { PgliteWorker } from './client.js';
import type { IngestStep, ViewChanges } from './protocol.js';

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
    /** Per table that a created view reads: the columns those views read. */
    private readonly columnNames: Map<string, string[]>,
    private readonly inputTable: string,
    readonly columns: Record<string, Column[]>,
    readonly warnings: string[],
  ) {}

  static async start(options: PglitePathOptions): Promise<PglitePath> {
    const { parsed, planned, store } = options;
    const create = viewsToCreate(planned);
    const serve = planned.filter((v) => v.path === 'pglite').map((v) => v.name);
    const views = parsed.views.filter((v) => create.includes(v.name));
    const columnNames = new Map<string, string[]>();
    for (const table of parsed.tables) {
      const read = inputColumnsRead(views, table).map((c) => c.name);
      // A view that reads no column (`count(*)`) still needs every row, as rows of NULLs.
      if (read.length > 0 || readsTable(views, table)) columnNames.set(table.name, read);
    }
    const inputColumns = columnNames.get(parsed.inputTable.name) ?? [];
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
      const path = new PglitePath(worker, columnNames, parsed.inputTable.name, init.columns, init.warnings);
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
      if (behind) await path.commit(path.upgraded(pending), () => undefined);
      return path;
    } catch (error) {
      await worker.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * The transaction's input as PGlite receives it: the changes of tables its views read, with only
   * the columns they read.
   */
  pendingOf(changes: InputChange[], timestamp: number): PendingTransaction {
    const projected: InputChange[] = [];
    for (const change of changes) {
      const names = this.columnNames.get(change.table);
      if (!names || change.diff === 0) continue;
      const row: InputRecord = {};
      for (const name of names) row[name] = change.row[name] ?? null;
      projected.push({ table: change.table, row, diff: change.diff });
    }
    return { timestamp, changes: projected };
  }

  /** A pending transaction stored before changes had tables (insertions into the first table). */
  upgraded(pending: PendingTransaction | { timestamp: number; records: InputRecord[] }): PendingTransaction {
    if ('changes' in pending) return pending;
    const table = this.inputTable;
    return { timestamp: pending.timestamp, changes: pending.records.map((row) => ({ table, row, diff: 1 })) };
  }

  /** Commits a transaction in PGlite; `onCommitted` runs before any later worker reply is handled. */
  async commit(pending: PendingTransaction, onCommitted: (views: ViewChanges[]) => void): Promise<void> {
    await this.worker.ingest(ingestSteps(pending.changes), pending.timestamp, (result) =>
      onCommitted(result.views),
    );
  }

  /** The view's rows and, while it is in error, its errors. */
  async snapshot(view: string): Promise<{ rows: Change[]; errors: ViewErrorInfo[] }> {
    const { rows, errors } = await this.worker.snapshot(view);
    return { rows, errors };
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}

/**
 * Changes in order as PGlite applies them: runs of insertions into one table become one JSON array
 * (one statement); each retracted copy is a step of its own (a DELETE of one equal row).
 */
export function ingestSteps(changes: InputChange[]): IngestStep[] {
  const steps: IngestStep[] = [];
  const run: { table: string | null; rows: InputRecord[] } = { table: null, rows: [] };
  const flush = (): void => {
    if (run.table !== null) steps.push({ table: run.table, retract: false, rows: stringifyJson(run.rows) });
    run.table = null;
    run.rows = [];
  };
  for (const { table, row, diff } of changes) {
    if (diff < 0) {
      flush();
      const text = stringifyJson(row);
      for (let n = -diff; n > 0; n--) steps.push({ table, retract: true, rows: text });
      continue;
    }
    if (run.table !== table) {
      flush();
      run.table = table;
    }
    for (let n = diff; n > 0; n--) run.rows.push(row);
  }
  flush();
  return steps;
}
