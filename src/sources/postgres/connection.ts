/**
 * Connections to the upstream Postgres: a plain one for checks and the snapshot, and a replication
 * one (`replication=database`) for the slot and the stream. Both fix the session settings that shape
 * values as text, so that a row reads the same from the snapshot and from the stream.
 */
import pg from 'pg';
import { connectOrEnd, parsePostgresUrl, withoutPassword } from '../../core/pg-connect.js';
import { quoteIdentifier } from '../../core/sql-quote.js';

/** Text output that does not depend on the server's or the role's defaults. */
const SESSION_OPTIONS = '-c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=3';

/** Every value as Postgres's text: `values.ts` converts, the same way for snapshot and stream. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

export function checkUrl(url: string): void {
  parsePostgresUrl(url, '--source', 'postgres://user:password@host:port/database');
}

/** `host:port/database`, naming the server in messages. */
export function serverName(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return withoutPassword(url);
  }
}

export async function connectPlain(url: string): Promise<pg.Client> {
  return connectOrEnd(new pg.Client({ connectionString: url, options: SESSION_OPTIONS, types: RAW_TEXT }));
}

export async function connectReplication(url: string): Promise<pg.Client> {
  return connectOrEnd(
    new pg.Client({
      connectionString: url,
      options: SESSION_OPTIONS,
      types: RAW_TEXT,
      replication: 'database',
    } as pg.ClientConfig),
  );
}

/** A table name as written in the views file: `orders` (schema public) or `sales.orders`. */
export function splitTableName(name: string): { schema: string; table: string } {
  const dot = name.indexOf('.');
  if (dot === -1) return { schema: 'public', table: name };
  return { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

export function quoteTable(name: string): string {
  const { schema, table } = splitTableName(name);
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}
