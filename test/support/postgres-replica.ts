/**
 * What the postgres source's tests compare: a replica that applies the source's batches to a
 * multiset per table (as the engine would) and commits each batch's position, against the upstream
 * tables read with SELECT. A crash is simulated by holding batches uncommitted and throwing away
 * whatever they changed.
 */
import assert from 'node:assert/strict';
import type { ChangeBatch, ChangeSink, ReplicatedTable } from '../../src/sources/postgres/interface.js';
import { connectPlain } from '../../src/sources/postgres/connection.js';
import { readTable } from '../../src/sources/postgres/snapshot-copy.js';
import { checkTables } from '../../src/sources/postgres/upstream-checks.js';

type Multiset = Map<string, number>;

export class ReplicaSink implements ChangeSink {
  /** Committed state: table -> JSON of a row -> count. */
  readonly tables = new Map<string, Multiset>();
  readonly batches: ChangeBatch[] = [];
  committed: string | null = null;
  /** Batches after this many are held forever (never committed), as in a crash before commit. */
  commitLimit = Infinity;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  constructor(from?: ReplicaSink) {
    if (from) {
      for (const [table, rows] of from.tables) this.tables.set(table, new Map(rows));
      this.committed = from.committed;
    }
  }

  apply(batch: ChangeBatch): Promise<void> {
    // A position-only batch (WAL with nothing for the tables) is committed at once and not counted:
    // the tests count upstream transactions.
    if (batch.changes.length === 0 && !batch.snapshot) {
      this.committed = batch.position;
      return Promise.resolve();
    }
    this.batches.push(batch);
    for (const waiter of this.waiters.filter((w) => this.batches.length >= w.count)) waiter.resolve();
    this.waiters = this.waiters.filter((w) => this.batches.length < w.count);
    if (this.batches.length > this.commitLimit) return new Promise(() => undefined);
    for (const { table, row, diff } of batch.changes) {
      const rows = this.tables.get(table) ?? new Map<string, number>();
      this.tables.set(table, rows);
      const key = JSON.stringify(row);
      const count = (rows.get(key) ?? 0) + diff;
      if (count === 0) rows.delete(key);
      else rows.set(key, count);
    }
    this.committed = batch.position;
    return Promise.resolve();
  }

  /** Resolves once `count` batches have been handed over in all. */
  received(count: number): Promise<void> {
    if (this.batches.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  contents(table: string): Array<[string, number]> {
    return [...(this.tables.get(table) ?? new Map<string, number>())].sort(([a], [b]) => (a < b ? -1 : 1));
  }
}

/** Upstream rows of the declared columns, as a sorted multiset in the replica's form. */
export async function upstreamContents(
  url: string,
  table: ReplicatedTable,
): Promise<Array<[string, number]>> {
  const client = await connectPlain(url);
  try {
    const [found] = await checkTables(client, url, [table]);
    const rows = new Map<string, number>();
    for (const { row } of await readTable(client, found as NonNullable<typeof found>)) {
      const key = JSON.stringify(row);
      rows.set(key, (rows.get(key) ?? 0) + 1);
    }
    return [...rows].sort(([a], [b]) => (a < b ? -1 : 1));
  } finally {
    await client.end();
  }
}

export async function assertReplicaMatches(
  sink: ReplicaSink,
  url: string,
  tables: ReplicatedTable[],
  when: string,
): Promise<void> {
  for (const table of tables)
    assert.deepEqual(
      sink.contents(table.name),
      await upstreamContents(url, table),
      `${table.name} after ${when}`,
    );
}

/** Log lines a source wrote, for assertions and for the failure message of a test. */
export interface MemoryLog {
  lines: string[];
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
  /** Resolves at the first line (so far or to come) that matches. */
  waitFor(pattern: RegExp): Promise<string>;
}

export function memoryLog(): MemoryLog {
  const lines: string[] = [];
  let waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const add = (line: string): void => {
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.pattern.test(line))) waiter.resolve(line);
    waiters = waiters.filter((w) => !w.pattern.test(line));
  };
  return {
    lines,
    info: (m) => add(`info ${m}`),
    warn: (m) => add(`warn ${m}`),
    error: (m) => add(`error ${m}`),
    waitFor: (pattern) => {
      const found = lines.find((line) => pattern.test(line));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}
