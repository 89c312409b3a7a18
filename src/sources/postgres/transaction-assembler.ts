/**
 * From pgoutput messages to batches: the changes between a Begin and its Commit become one batch,
 * delivered at the Commit, so that no batch holds half a transaction. Relation messages say how each
 * table's tuples are laid out; a layout that no longer matches the declared columns stops
 * replication before any change of the new layout is applied.
 */
import { replicaIdentityError, schemaChangedError, truncateError } from './errors.js';
import type { ChangeBatch, InputChange } from './interface.js';
import { formatLsn, type Lsn } from './lsn.js';
import type { PgOutputMessage, RelationColumn, TupleValue } from './pgoutput-decoder.js';
import type { UpstreamTable } from './upstream-checks.js';
import { valueParser, type ValueParser } from './values.js';

interface Layout {
  table: UpstreamTable;
  /** For each declared column, its position in the relation's tuples and its parser. */
  slots: Array<{ name: string; index: number; parse: ValueParser }>;
}

export interface AssembledBatch extends ChangeBatch {
  endLsn: Lsn;
}

export class TransactionAssembler {
  private readonly byName: Map<string, UpstreamTable>;
  private readonly layouts = new Map<number, Layout | null>();
  private changes: InputChange[] | null = null;
  private skipping = false;

  /** `after`: the end LSN of the last transaction already delivered; anything up to it is skipped. */
  constructor(
    tables: UpstreamTable[],
    private after: Lsn,
  ) {
    this.byName = new Map(tables.map((t) => [`${t.schema}.${t.table}`, t]));
  }

  /** True between transactions: no Begin without its Commit has been read. */
  get betweenTransactions(): boolean {
    return this.changes === null;
  }

  /** The position moved on to `lsn` without a transaction (WAL with nothing for the views). */
  skipTo(lsn: Lsn): void {
    if (lsn > this.after) this.after = lsn;
  }

  /** Returns the transaction's batch at its Commit, null otherwise (and for skipped transactions). */
  accept(message: PgOutputMessage): AssembledBatch | null {
    switch (message.tag) {
      case 'relation':
        this.layouts.set(
          message.relationId,
          this.layout(message.schema, message.name, message.replicaIdentity, message.columns),
        );
        return null;
      case 'begin':
        // A commit record that starts before `after` ends at or before it: delivered already.
        this.skipping = message.finalLsn < this.after;
        this.changes = [];
        return null;
      case 'insert':
        this.add(message.relationId, [[message.row, 1]]);
        return null;
      case 'update':
        this.add(message.relationId, [
          [this.oldRow(message.relationId, message.old), -1],
          [this.newRow(message.row, message.old?.row), 1],
        ]);
        return null;
      case 'delete':
        this.add(message.relationId, [[this.oldRow(message.relationId, message.old), -1]]);
        return null;
      case 'truncate': {
        const tables = message.relationIds
          .map((id) => this.layouts.get(id)?.table.name)
          .filter((t) => t !== undefined);
        if (!this.skipping && tables.length > 0) throw truncateError(tables);
        return null;
      }
      case 'commit':
        return this.commit(message.endLsn);
      default:
        return null;
    }
  }

  private commit(endLsn: Lsn): AssembledBatch | null {
    const changes = this.changes ?? [];
    this.changes = null;
    // Before Postgres 15 pgoutput also sends transactions that touched no published table: nothing
    // to apply, and not worth an engine transaction.
    if (this.skipping || endLsn <= this.after || changes.length === 0) return null;
    this.after = endLsn;
    return { changes, position: formatLsn(endLsn), snapshot: false, endLsn };
  }

  private add(relationId: number, rows: Array<[TupleValue[] | null, 1 | -1]>): void {
    const layout = this.layouts.get(relationId);
    if (!layout || this.skipping || this.changes === null) return; // not a declared table, or already delivered
    for (const [tuple, diff] of rows) {
      if (tuple === null) throw replicaIdentityError(layout.table.name);
      const row: Record<string, unknown> = {};
      for (const slot of layout.slots) {
        const value = tuple[slot.index];
        row[slot.name] = typeof value === 'string' ? slot.parse(value) : null;
      }
      this.changes.push({ table: layout.table.name, row, diff });
    }
  }

  /** The whole old row, which REPLICA IDENTITY FULL sends; with only a key viewcast cannot retract. */
  private oldRow(
    relationId: number,
    old: { kind: 'full' | 'key'; row: TupleValue[] } | null,
  ): TupleValue[] | null {
    if (!this.layouts.get(relationId)) return null;
    return old?.kind === 'full' ? old.row : null;
  }

  /** An unchanged TOASTed value is not sent again: it is the old row's. */
  private newRow(row: TupleValue[], old: TupleValue[] | undefined): TupleValue[] {
    return row.map((value, i) => (value !== null && typeof value === 'object' ? (old?.[i] ?? null) : value));
  }

  private layout(schema: string, name: string, identity: string, columns: RelationColumn[]): Layout | null {
    const table = this.byName.get(`${schema || 'pg_catalog'}.${name}`);
    if (!table) return null;
    const differences: string[] = [];
    const slots: Layout['slots'] = [];
    for (const declared of table.columns) {
      const index = columns.findIndex((c) => c.name === declared.name);
      const column = columns[index];
      if (!column) differences.push(`column ${declared.name} was dropped or renamed`);
      else if (column.typeOid !== declared.typeOid)
        differences.push(
          `column ${declared.name} changed type from ${declared.type} (type oid ${declared.typeOid} became ${column.typeOid})`,
        );
      else slots.push({ name: declared.name, index, parse: valueParser(column.typeOid) });
    }
    if (differences.length > 0) throw schemaChangedError(table.name, differences);
    if (identity !== 'full') throw replicaIdentityError(table.name);
    return { table, slots };
  }
}
