/**
 * The embedded stores the engine could keep its state in, behind one small interface for the
 * engine-store benchmark: LMDB (the engine's own store class with its journal, both commit modes,
 * checkpointed every 40 commits as at 40 transactions a second; and one flushed LMDB transaction per
 * commit, the store before the journal, as the baseline), better-sqlite3
 * (WAL, synchronous=FULL, if it is installed: it is not a dependency) and PGlite without pg_ivm.
 */
import { serialize, deserialize } from 'node:v8';
import { join } from 'node:path';
import { open } from 'lmdb';
import { LmdbEngineStore, type CommitMode } from '../../src/engine/store/lmdb-store.js';

/** Commits per checkpoint: the default checkpoint (once a second) at 40 transactions a second. */
const COMMITS_PER_CHECKPOINT = 40;

export type Entry = [op: string, key: string, value: unknown];

export interface StoreHandle {
  /** One durable transaction: the entries, the positions and the timestamp. */
  commit(entries: Entry[], positions: Record<string, string>, timestamp: number): Promise<void>;
  /** Reads every entry of `op` into a Map (what a restart does); returns how many. */
  load(op: string): Promise<number>;
  close(): Promise<void>;
}

export interface Candidate {
  name: string;
  open(dir: string): Promise<StoreHandle>;
}

function lmdb(mode: CommitMode): Candidate {
  return {
    name: `lmdb + journal${mode === 'sync' ? ' --sync-commits' : ''}`,
    open(dir) {
      const store = new LmdbEngineStore(join(dir, 'state'), mode, true, { checkpointMs: 3_600_000 });
      let commits = 0;
      return Promise.resolve({
        async commit(entries, positions, timestamp) {
          for (const [op, key, value] of entries) store.set(op, key, value);
          await store.commit(timestamp, positions, null);
          if (++commits % COMMITS_PER_CHECKPOINT === 0) await store.checkpoint();
        },
        load(op) {
          const map = new Map<string, unknown>();
          for (const [key, value] of store.entries(op)) map.set(key, value);
          return Promise.resolve(map.size);
        },
        close: () => store.close(),
      });
    },
  };
}

/**
 * The commit before the journal (data format 5): one LMDB transaction per commit, queued as a batch
 * for LMDB's writer thread and awaited with `flushed`, same keys and encoding as the store.
 */
const lmdbFlushed: Candidate = {
  name: 'lmdb flushed per commit (before)',
  open(dir) {
    const db = open({
      path: join(dir, 'state'),
      encoder: { useBigIntExtension: true } as never,
      compression: false,
      overlappingSync: false,
    });
    return Promise.resolve({
      async commit(entries, positions, timestamp) {
        await db.batch(() => {
          for (const [op, key, value] of entries) void db.put(`s\x1f${op}\x1f=${key}`, value);
          for (const [source, position] of Object.entries(positions)) void db.put(`p\x1f${source}`, position);
          void db.put('t', timestamp);
        });
        await db.flushed;
      },
      load(op) {
        const map = new Map<string, unknown>();
        const prefix = `s\x1f${op}\x1f=`;
        for (const { key, value } of db.getRange({ start: prefix, end: `s\x1f${op}\x20` }))
          map.set((key as string).slice(prefix.length), value);
        return Promise.resolve(map.size);
      },
      close: () => db.close(),
    });
  },
};

interface SqliteDatabase {
  pragma(text: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): { run(...args: unknown[]): unknown; iterate(...args: unknown[]): Iterable<unknown> };
  transaction(fn: () => void): () => void;
  close(): void;
}

async function sqlite(): Promise<Candidate | string> {
  const name = 'better-sqlite3';
  let Database: new (file: string) => SqliteDatabase;
  try {
    Database = ((await import(name)) as { default: typeof Database }).default;
  } catch (error) {
    return `better-sqlite3 is not installed (${(error as Error).message.split('\n')[0]})`;
  }
  return {
    name: 'better-sqlite3 (WAL, synchronous=FULL)',
    open(dir) {
      const db = new Database(join(dir, 'state.sqlite'));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(`CREATE TABLE IF NOT EXISTS entries (op TEXT, key TEXT, value BLOB, PRIMARY KEY (op, key)) WITHOUT ROWID;
               CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;`);
      const put = db.prepare('INSERT OR REPLACE INTO entries VALUES (?, ?, ?)');
      const meta = db.prepare('INSERT OR REPLACE INTO meta VALUES (?, ?)');
      const all = db.prepare('SELECT key, value FROM entries WHERE op = ?');
      return Promise.resolve({
        commit(entries, positions, timestamp) {
          db.transaction(() => {
            // v8.serialize keeps bigints exact, as the engine's values need.
            for (const [op, key, value] of entries) put.run(op, key, serialize(value));
            for (const [source, position] of Object.entries(positions)) meta.run(`p:${source}`, position);
            meta.run('t', String(timestamp));
          })();
          return Promise.resolve();
        },
        load(op) {
          const map = new Map<string, unknown>();
          for (const row of all.iterate(op) as Iterable<{ key: string; value: Buffer }>)
            map.set(row.key, deserialize(row.value));
          return Promise.resolve(map.size);
        },
        close() {
          db.close();
          return Promise.resolve();
        },
      });
    },
  };
}

const pglite: Candidate = {
  name: 'PGlite (no pg_ivm)',
  async open(dir) {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create({ dataDir: join(dir, 'pglite') });
    await db.exec(`CREATE TABLE IF NOT EXISTS entries (op text, key text, value text, PRIMARY KEY (op, key));
                   CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text);`);
    const bigints = (_key: string, v: unknown): unknown => (typeof v === 'bigint' ? { $n: String(v) } : v);
    return {
      async commit(entries, positions, timestamp) {
        const rows = JSON.stringify(
          entries.map(([op, key, value]) => [op, key, JSON.stringify(value, bigints)]),
        );
        const meta = JSON.stringify({
          ...Object.fromEntries(Object.entries(positions).map(([s, p]) => [`p:${s}`, p])),
          t: String(timestamp),
        });
        // One round trip, as the PGlite path's own commit does.
        await db.exec(`BEGIN;
          INSERT INTO entries SELECT e->>0, e->>1, e->>2 FROM json_array_elements($j$${rows}$j$::json) e
            ON CONFLICT (op, key) DO UPDATE SET value = EXCLUDED.value;
          INSERT INTO meta SELECT key, value FROM json_each_text($j$${meta}$j$::json)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
          COMMIT;`);
      },
      async load(op) {
        const result = await db.query<{ key: string; value: string }>(
          `SELECT key, value FROM entries WHERE op = $1`,
          [op],
        );
        const map = new Map<string, unknown>();
        for (const row of result.rows) map.set(row.key, JSON.parse(row.value));
        return map.size;
      },
      close: () => db.close(),
    };
  },
};

/** Every candidate that loads here; for one that does not, the reason. */
export async function storeCandidates(): Promise<Array<Candidate | string>> {
  return [lmdbFlushed, lmdb('async'), lmdb('sync'), await sqlite(), pglite];
}
