/** A real embedded engine (PGlite + pg_ivm in its worker) on a views file written for the test. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedEngine, type EmbeddedEngineOptions } from '../../src/engine/embedded/engine.js';
import type { SubscribeOptions, SubscribeRow } from '../../src/engine/types.js';

export function tempDir(prefix = 'viewcast-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** For a suite: a fresh temporary directory per call, every one removed when the suite ends. */
export function suiteTempDirs(): () => string {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = tempDir();
    dirs.push(dir);
    return dir;
  };
}

export function writeViews(sql: string, dir = tempDir()): string {
  const file = join(dir, 'views.sql');
  writeFileSync(file, sql);
  return file;
}

export async function startEngine(
  viewsFile: string,
  options: Partial<EmbeddedEngineOptions> = {},
): Promise<EmbeddedEngine> {
  const engine = new EmbeddedEngine({ viewsFile, dataDir: null, ...options });
  try {
    await engine.start();
  } catch (error) {
    await engine.close();
    throw error;
  }
  return engine;
}

/** Everything a subscription delivered, with a way to wait for the stream to reach a timestamp. */
export class Recorder {
  readonly rows: SubscribeRow[] = [];
  private waiters: Array<{ until: (r: Recorder) => boolean; resolve: () => void }> = [];

  constructor(engine: EmbeddedEngine, view: string, options: SubscribeOptions = { snapshot: true }) {
    engine.subscribe(view, options, (rows) => {
      this.rows.push(...rows);
      for (const waiter of [...this.waiters]) {
        if (waiter.until(this)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    });
  }

  /** The highest progress timestamp so far: everything before it has arrived. */
  get frontier(): number {
    let max = -1;
    for (const row of this.rows) if (row.progressed) max = Math.max(max, row.timestamp);
    return max;
  }

  /** Resolves once the stream is complete through `timestamp` (a progress row after it). */
  reach(timestamp: number): Promise<void> {
    return this.when((r) => r.frontier > timestamp);
  }

  when(until: (r: Recorder) => boolean): Promise<void> {
    if (until(this)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ until, resolve }));
  }

  /** The data rows at exactly `timestamp`, as [row, diff] sorted for comparison. */
  at(timestamp: number): Array<[unknown[], number]> {
    return this.rows
      .filter(
        (r): r is Extract<SubscribeRow, { row: unknown[] }> =>
          !r.progressed && 'row' in r && r.timestamp === timestamp,
      )
      .map((r): [unknown[], number] => [r.row, r.diff])
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }

  /** The view's contents at `timestamp`: every diff up to it, as sorted [row, count] pairs. */
  stateAt(timestamp: number): Array<[unknown[], number]> {
    const counts = new Map<string, [unknown[], number]>();
    for (const r of this.rows) {
      if (r.progressed || !('row' in r) || r.timestamp > timestamp) continue;
      const key = JSON.stringify(r.row);
      const entry = counts.get(key) ?? [r.row, 0];
      entry[1] += r.diff;
      if (entry[1] === 0) counts.delete(key);
      else counts.set(key, entry);
    }
    return [...counts.values()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }

  /** Timestamps that carry data rows, in order of arrival. */
  get dataTimestamps(): number[] {
    const out: number[] = [];
    for (const r of this.rows) if (!r.progressed && out.at(-1) !== r.timestamp) out.push(r.timestamp);
    return out;
  }
}
