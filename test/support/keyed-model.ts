/**
 * A deterministic workload for the keyed form: three views (one keyed on `k`, one without a key,
 * one with the empty key: a single row) and a seeded walk of transactions that upsert, update and
 * remove keyed rows, add and retract duplicate rows of the keyless view, and replace the single row.
 */
import type { ViewInfo } from '../../src/engine/types.js';
import { FakeEngine } from './fake-engine.js';

export const KEYED_VIEWS: ViewInfo[] = [
  {
    name: 'users',
    columns: [
      { name: 'k', type: 'text' },
      { name: 'n', type: 'bigint' },
    ],
    key: ['k'],
  },
  { name: 'tags', columns: [{ name: 'x', type: 'text' }] },
  { name: 'total', columns: [{ name: 'total', type: 'bigint' }], key: [] },
];

export type Changes = Array<[unknown[], number]>;

/** The engine's views and their contents as the walk goes. */
export class KeyedWorkload {
  readonly engine = new FakeEngine([]);
  private readonly users = new Map<string, number>();
  private readonly tags: string[] = [];
  private total = 0;
  private seed: number;
  timestamp = 100;

  constructor(seed = 20261201) {
    this.seed = seed;
    this.engine.views.push(...KEYED_VIEWS);
  }

  private random(below: number): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    // The low bits of this generator repeat quickly: use the high ones.
    return (this.seed >>> 12) % below;
  }

  /** The views' first snapshots. */
  open(): void {
    this.users.set('u0', 1);
    this.tags.push('t0', 't0');
    this.engine.open('users', this.timestamp, [['u0', 1]]);
    this.engine.open('tags', this.timestamp, [['t0'], ['t0']]);
    this.engine.open('total', this.timestamp, [[0]]);
  }

  /** One transaction: every view progresses, some change. Returns the new timestamp. */
  step(): number {
    this.timestamp += 1 + this.random(40);
    const users: Changes = [];
    for (let i = this.random(3); i > 0; i--) {
      const key = `u${this.random(12)}`;
      if (users.some(([row]) => row[0] === key)) continue;
      const old = this.users.get(key);
      if (old !== undefined) users.push([[key, old], -1]);
      if (old === undefined || this.random(4) > 0) {
        const next = (old ?? 0) + 1 + this.random(5);
        this.users.set(key, next);
        users.push([[key, next], 1]);
      } else this.users.delete(key);
    }
    const tags: Changes = [];
    if (this.random(3) === 0) {
      const tag = `t${this.random(4)}`;
      const at = this.tags.indexOf(tag);
      if (at >= 0 && this.random(2) === 0) {
        this.tags.splice(at, 1);
        tags.push([[tag], -1]);
      } else {
        this.tags.push(tag);
        tags.push([[tag], 1]);
      }
    }
    const total: Changes = [];
    if (users.length > 0) {
      total.push([[this.total], -1]);
      this.total += users.length;
      total.push([[this.total], 1]);
    }
    this.engine.step('users', this.timestamp, users);
    this.engine.step('tags', this.timestamp, tags);
    this.engine.step('total', this.timestamp, total);
    return this.timestamp;
  }
}

/** Rows in a stable order, to compare two multisets of rows. */
export function sorted(rows: unknown[][]): string[] {
  return rows.map((row) => JSON.stringify(row)).sort();
}
