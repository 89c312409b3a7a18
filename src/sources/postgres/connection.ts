/**
 * Connections to the upstream Postgres: a plain one for checks and the snapshot, and a replication
 * one (`replication=database`) for the slot and the stream. Both fix the session settings that shape
 * values as text, so that a row reads the same from the snapshot and from the stream.
 */
import pg from 'pg';
import { UsageError } from '../../core/errors.js';

/** Text output that does not depend on the server's or the role's defaults. */
const SESSION_OPTIONS = '-c DateStyle=ISO -c IntervalStyle=postgres -c TimeZone=UTC -c extra_float_digits=3';

/** Every value as Postgres's text: `values.ts` converts, the same way for snapshot and stream. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value };

export function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(
      `--source ${redact(url)} is not a URL: use postgres://user:password@host:port/database.`,
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    throw new UsageError(`--source ${redact(url)}: use postgres://user:password@host:port/database.`);
}

/** The URL without its password, for logs and errors. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, '@');
  }
}

/** `host:port/database`, naming the server in messages. */
export function serverName(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return redact(url);
  }
}

export async function connectPlain(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, options: SESSION_OPTIONS, types: RAW_TEXT });
  await connectOrEnd(client);
  return client;
}

export async function connectReplication(url: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    options: SESSION_OPTIONS,
    types: RAW_TEXT,
    replication: 'database',
  } as pg.ClientConfig);
  await connectOrEnd(client);
  return client;
}

async function connectOrEnd(client: pg.Client): Promise<void> {
  // A connection that dies later reports through 'error' on the client; without a listener Node
  // would treat it as an uncaught exception.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

/** A table name as written in the views file: `orders` (schema public) or `sales.orders`. */
export function splitTableName(name: string): { schema: string; table: string } {
  const dot = name.indexOf('.');
  if (dot === -1) return { schema: 'public', table: name };
  return { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteTable(name: string): string {
  const { schema, table } = splitTableName(name);
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
