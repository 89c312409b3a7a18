/**
 * What the upstream database must offer before replication starts, checked in one place so that
 * each shortfall is one clear error: wal_level, the REPLICATION attribute, every declared table with
 * its columns and types, REPLICA IDENTITY FULL, and SELECT on the tables.
 */
import type pg from 'pg';
import {
  columnsError,
  replicaIdentityError,
  replicationPrivilegeError,
  selectPrivilegeError,
  tableMissingError,
  walLevelError,
} from './errors.js';
import { splitTableName } from './connection.js';
import type { ReplicatedTable } from './interface.js';

/** A declared table as found upstream: the upstream type of every declared column. */
export interface UpstreamTable {
  /** As declared in the views file: the name changes are reported under. */
  name: string;
  schema: string;
  table: string;
  columns: Array<{ name: string; typeOid: number; type: string }>;
}

export async function checkServer(client: pg.Client, server: string): Promise<void> {
  const walLevel = await client.query<{ wal_level: string }>('SHOW wal_level');
  const level = walLevel.rows[0]?.wal_level ?? 'unknown';
  if (level !== 'logical') throw walLevelError(server, level);
  const role = await client.query<{ user: string; allowed: string }>(
    `SELECT current_user AS user, (rolreplication OR rolsuper)::text AS allowed
       FROM pg_roles WHERE rolname = current_user`,
  );
  const row = role.rows[0];
  if (row?.allowed !== 'true') throw replicationPrivilegeError(server, row?.user ?? 'unknown');
}

/**
 * Types a views file may declare for an upstream column of another type: the values read the same
 * (all text), so nothing drifts. Everything else must match exactly.
 */
const TEXT_FAMILY = new Set(['text', 'character varying']);

function compatible(declared: string, upstream: string): boolean {
  return declared === upstream || (TEXT_FAMILY.has(declared) && TEXT_FAMILY.has(upstream));
}

export async function checkTables(
  client: pg.Client,
  server: string,
  tables: ReplicatedTable[],
): Promise<UpstreamTable[]> {
  const found: UpstreamTable[] = [];
  for (const declared of tables) {
    const { schema, table } = splitTableName(declared.name);
    const relation = await client.query<{ oid: string; identity: string; readable: string; user: string }>(
      `SELECT c.oid, c.relreplident AS identity, has_table_privilege(c.oid, 'SELECT')::text AS readable,
              current_user AS user
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
      [schema, table],
    );
    const row = relation.rows[0];
    if (!row) throw tableMissingError(declared.name, server);
    const upstream = await client.query<{ name: string; type_oid: string; type: string }>(
      `SELECT attname AS name, atttypid AS type_oid, format_type(atttypid, NULL) AS type
         FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [row.oid],
    );
    const byName = new Map(upstream.rows.map((column) => [column.name, column]));
    const differences: string[] = [];
    const columns: UpstreamTable['columns'] = [];
    for (const column of declared.columns) {
      const there = byName.get(column.name);
      const resolved = await client.query<{ type: string | null }>(
        'SELECT format_type(to_regtype($1), NULL) AS type',
        [column.type],
      );
      const declaredType = resolved.rows[0]?.type ?? null;
      if (!there) differences.push(`column ${column.name} is missing upstream`);
      else if (declaredType === null)
        differences.push(`type ${column.type} of column ${column.name} is not known upstream`);
      else if (!compatible(declaredType, there.type))
        differences.push(`column ${column.name} is ${there.type} upstream, ${column.type} in the views file`);
      else columns.push({ name: column.name, typeOid: Number(there.type_oid), type: there.type });
    }
    if (differences.length > 0) throw columnsError(declared.name, differences);
    if (row.identity !== 'f') throw replicaIdentityError(declared.name);
    if (row.readable !== 'true') throw selectPrivilegeError(declared.name, row.user);
    found.push({ name: declared.name, schema, table, columns });
  }
  return found;
}
