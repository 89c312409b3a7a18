/**
 * A throwaway PostgreSQL cluster from the Debian packages for the postgres source's tests: initdb in
 * a temp dir, pg_ctl on a free port on 127.0.0.1, wal_level=logical, trust authentication. Postgres
 * refuses to run as root, so when the tests run as root the cluster runs as the `postgres` user.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './process.js';

const run = promisify(execFile);

/** The newest Debian PostgreSQL's bin directory, or null when none is installed. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

/** Why the postgres tests are skipped, or false when they can run. */
export const NO_POSTGRES: string | false =
  postgresBinDir() === null
    ? 'no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)'
    : false;

export interface PostgresCluster {
  port: number;
  /** A URL for `user` (default the superuser `postgres`) on database `postgres`. */
  url(user?: string): string;
  /** Runs SQL as the superuser on a fresh connection (simple protocol: several statements allowed). */
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** `pg_ctl restart` (fast mode): every connection is dropped. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  walLevel?: 'logical' | 'replica';
}

export async function startCluster(options: ClusterOptions = {}): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  if (bin === null) throw new Error(NO_POSTGRES || 'no PostgreSQL');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'viewcast-pg-'));
  if (asRoot) {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(uid), Number(gid));
  }
  const as = (command: string, args: string[]): Promise<unknown> =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args])
      : run(join(bin, command), args);
  const data = join(dir, 'data');
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    `-c wal_level=${options.walLevel ?? 'logical'}`,
    '-c fsync=off',
    '-c max_wal_senders=10',
    '-c max_replication_slots=10',
  ].join(' ');
  const ctl = (action: string, extra: string[] = []): Promise<unknown> =>
    as('pg_ctl', [action, '-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', ...extra]);
  await ctl('start', ['-o', settings]);
  const url = (user = 'postgres'): string => `postgres://${user}@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    port,
    url,
    sql: async (text, values) => {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        return await client.query(text, values);
      } finally {
        await client.end();
      }
    },
    restart: async () => {
      await ctl('restart', ['-m', 'fast', '-o', settings]);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await ctl('stop', ['-m', 'immediate']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
