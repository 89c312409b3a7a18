/**
 * What a SUBSCRIBE sends on top of a SubscriptionFeed: Materialize's output shapes. The plain one
 * is (mz_timestamp, [mz_progressed], mz_diff, columns...). `ENVELOPE UPSERT (KEY (k))` holds the
 * rows of a timestamp until it is complete and sends one row per key that changed:
 * (mz_timestamp, [mz_progressed], mz_state, keys..., values...) with mz_state `upsert` and the
 * key's value, `delete` and NULLs when the key has no row left, or `key_violation` and NULLs when
 * it has more than one (https://materialize.com/docs/sql/subscribe/#envelope-upsert). `UP TO t`
 * ends the subscription before t: no row at t or later, then the statement completes.
 */
import { rowKey, type Row } from '../core/multiset.js';
import { formatValue } from '../core/pg-types.js';
import type { Field } from './backend-messages.js';
import type { Encoded } from './executions.js';
import { PgError, SQLSTATE } from './pg-error.js';
import type { FeedRow, SubscriptionFeed } from './subscription-feed.js';

/** What an execution reads rows from: a SubscriptionFeed or a wrapper around one. */
export interface Feed {
  next(max: number, deadline: number | null, signal: AbortSignal): Promise<OutputRow[]>;
  readonly ready: number;
  /** True once nothing more will come (UP TO reached). */
  readonly done: boolean;
  close(): void;
}

export type OutputRow = FeedRow | { progressed: false; timestamp: number; state: string; row: Row };

export interface Shape {
  fields: Field[];
  encode(row: OutputRow): Encoded;
}

/** Columns and encoding of a subscription with `columns` (true OIDs), plain or upsert. */
export function subscribeShape(columns: Field[], progress: boolean, upsertKey: string[] | null): Shape {
  const head: Field[] = [
    { name: 'mz_timestamp', oid: 1700 },
    ...(progress ? [{ name: 'mz_progressed', oid: 16 }] : []),
  ];
  if (!upsertKey) {
    return {
      fields: [...head, { name: 'mz_diff', oid: 20 }, ...columns],
      encode: (row) => {
        const out: Encoded = [String(row.timestamp)];
        if (progress) out.push(row.progressed ? 't' : 'f');
        if (row.progressed || !('diff' in row)) return [...out, null, ...columns.map(() => null)];
        return [...out, String(row.diff), ...columns.map((c, i) => formatValue(row.row[i], c.oid))];
      },
    };
  }
  const order = keyOrder(columns, upsertKey);
  return {
    fields: [...head, { name: 'mz_state', oid: 25 }, ...order.map((i) => columns[i] as Field)],
    encode: (row) => {
      const out: Encoded = [String(row.timestamp)];
      if (progress) out.push(row.progressed ? 't' : 'f');
      if (row.progressed || !('state' in row)) return [...out, null, ...order.map(() => null)];
      return [
        ...out,
        row.state,
        ...order.map((i, n) =>
          n < upsertKey.length || row.state === 'upsert'
            ? formatValue(row.row[i], (columns[i] as Field).oid)
            : null,
        ),
      ];
    },
  };
}

/** Column indexes: the key columns first (in KEY order), then the others. */
export function keyOrder(columns: Field[], key: string[]): number[] {
  const keys = key.map((name) => {
    const index = columns.findIndex((c) => c.name === name);
    if (index < 0)
      throw new PgError(SQLSTATE.undefinedColumn, `column "${name}" does not exist`, {
        hint: `the columns are: ${columns.map((c) => c.name).join(', ')}`,
      });
    return index;
  });
  return [...keys, ...columns.map((_, i) => i).filter((i) => !keys.includes(i))];
}

/**
 * Turns a feed that always reports progress into what the client asked for: upserts per key,
 * progress rows only with PROGRESS, and an end at UP TO.
 */
export class ShapedFeed implements Feed {
  private out: OutputRow[] = [];
  private held: FeedRow[] = [];
  /** Per key: the live rows (by row key) and their multiplicity. */
  private readonly state = new Map<string, Map<string, { row: Row; count: number }>>();
  done = false;

  constructor(
    private readonly inner: SubscriptionFeed,
    private readonly progress: boolean,
    private readonly upsertKey: number[] | null,
    private readonly upTo: number | null,
  ) {}

  get ready(): number {
    return this.out.length;
  }

  async next(max: number, deadline: number | null, signal: AbortSignal): Promise<OutputRow[]> {
    while (this.out.length === 0 && !this.done) {
      const rows = await this.inner.next(Number.MAX_SAFE_INTEGER, deadline, signal);
      if (rows.length === 0) break; // the deadline passed
      for (const row of rows) this.accept(row);
    }
    return this.out.splice(0, max);
  }

  close(): void {
    this.inner.close();
  }

  private accept(row: FeedRow): void {
    if (this.done) return;
    if (this.upTo !== null && row.timestamp >= this.upTo) {
      this.release();
      this.done = true;
      return;
    }
    if (!row.progressed) {
      if (this.upsertKey) this.held.push(row);
      else this.out.push(row);
      return;
    }
    this.release();
    if (this.progress) this.out.push(row);
  }

  /** The held rows of a complete timestamp, as one row per key that changed. */
  private release(): void {
    if (!this.upsertKey || this.held.length === 0) return;
    const touched = new Map<string, { timestamp: number; row: Row }>();
    for (const change of this.held) {
      if (change.progressed) continue;
      const key = rowKey(this.keyOf(change.row));
      let rows = this.state.get(key);
      if (!rows) this.state.set(key, (rows = new Map()));
      const id = rowKey(change.row);
      const count = (rows.get(id)?.count ?? 0) + change.diff;
      if (count === 0) rows.delete(id);
      else rows.set(id, { row: change.row, count });
      if (rows.size === 0) this.state.delete(key);
      touched.set(key, { timestamp: change.timestamp, row: change.row });
    }
    this.held = [];
    for (const [key, { timestamp, row }] of touched) {
      const live = [...(this.state.get(key)?.values() ?? [])];
      const total = live.reduce((sum, r) => sum + r.count, 0);
      if (total === 0) this.out.push({ progressed: false, timestamp, state: 'delete', row });
      else if (total === 1)
        this.out.push({ progressed: false, timestamp, state: 'upsert', row: (live[0] as { row: Row }).row });
      else this.out.push({ progressed: false, timestamp, state: 'key_violation', row });
    }
  }

  private keyOf(row: Row): unknown[] {
    return (this.upsertKey as number[]).map((i) => row[i]);
  }
}
