/**
 * The postgres source's failures, each a ViewcastError with a stable code and one paragraph that
 * says what to do. They stop the source (never a retry loop): each needs a person to act upstream.
 * Lost connections are not here: they are retried (see postgres-source.ts).
 */
import { ViewcastError } from '../../core/errors.js';

const code = {
  walLevel: 'VIEWCAST_PG_WAL_LEVEL',
  privilege: 'VIEWCAST_PG_PRIVILEGE',
  table: 'VIEWCAST_PG_TABLE',
  columns: 'VIEWCAST_PG_COLUMNS',
  replicaIdentity: 'VIEWCAST_PG_REPLICA_IDENTITY',
  publication: 'VIEWCAST_PG_PUBLICATION',
  slot: 'VIEWCAST_PG_SLOT',
  slotLost: 'VIEWCAST_PG_SLOT_LOST',
  schemaChanged: 'VIEWCAST_PG_SCHEMA_CHANGED',
  truncate: 'VIEWCAST_PG_TRUNCATE',
} as const;

export const PG_ERROR_CODES = code;

export function walLevelError(server: string, walLevel: string): ViewcastError {
  return new ViewcastError(
    code.walLevel,
    `Postgres at ${server} runs with wal_level=${walLevel}, and logical replication needs ` +
      `wal_level=logical. As a superuser run ALTER SYSTEM SET wal_level = logical; then restart ` +
      `Postgres (on Debian: pg_ctlcluster <version> main restart) and start viewcast again.`,
  );
}

export function replicationPrivilegeError(server: string, user: string): ViewcastError {
  return new ViewcastError(
    code.privilege,
    `Role "${user}" may not use logical replication on ${server}. As a superuser run ALTER ROLE ` +
      `"${user}" WITH REPLICATION; (and make sure pg_hba.conf lets it connect), or connect with a role ` +
      `that has it, then start viewcast again.`,
  );
}

export function selectPrivilegeError(table: string, user: string): ViewcastError {
  return new ViewcastError(
    code.privilege,
    `Role "${user}" may not read table ${table}, which viewcast needs for its initial snapshot. ` +
      `Run GRANT SELECT ON ${table} TO "${user}"; as the table's owner, then start viewcast again.`,
  );
}

export function tableMissingError(table: string, server: string): ViewcastError {
  return new ViewcastError(
    code.table,
    `The views file declares table ${table}, but ${server} has no such table. Create it upstream, ` +
      `or fix the name in the views file's CREATE TABLE (names are as upstream, schema public unless ` +
      `qualified), then start viewcast again.`,
  );
}

export function columnsError(table: string, differences: string[]): ViewcastError {
  return new ViewcastError(
    code.columns,
    `Table ${table} upstream does not match its CREATE TABLE in the views file: ` +
      `${differences.join('; ')}. Make the views file declare the upstream columns with their types ` +
      `(extra upstream columns are fine), then start viewcast again.`,
  );
}

export function replicaIdentityError(table: string): ViewcastError {
  return new ViewcastError(
    code.replicaIdentity,
    `Table ${table} does not send its whole old row with updates and deletes, which viewcast needs to ` +
      `retract it from the views. As the table's owner run ALTER TABLE ${table} REPLICA IDENTITY FULL; ` +
      `then start viewcast again.`,
  );
}

export function publicationError(message: string): ViewcastError {
  return new ViewcastError(code.publication, message);
}

export function slotError(message: string): ViewcastError {
  return new ViewcastError(code.slot, message);
}

export function slotLostError(slot: string, position: string, why: string): ViewcastError {
  return new ViewcastError(
    code.slotLost,
    `The replication slot "${slot}" ${why}, so the changes after position ${position} (where viewcast ` +
      `stopped) cannot be read any more. To start over from a fresh snapshot of the tables, start ` +
      `viewcast with a new data directory (or remove the current one); viewcast creates the slot again.`,
  );
}

export function schemaChangedError(table: string, differences: string[]): ViewcastError {
  return new ViewcastError(
    code.schemaChanged,
    `Table ${table} changed upstream while viewcast replicated it: ${differences.join('; ')}. The ` +
      `views would drift from the table, so replication stopped before that change. Update the ` +
      `views file's CREATE TABLE to the new columns and start viewcast with a new data directory ` +
      `(a fresh snapshot), or undo the change upstream and start viewcast again.`,
  );
}

export function truncateError(tables: string[]): ViewcastError {
  return new ViewcastError(
    code.truncate,
    `TRUNCATE of ${tables.join(', ')} upstream cannot be replicated as row changes, so replication ` +
      `stopped before it. Start viewcast with a new data directory to take a fresh snapshot (use ` +
      `DELETE FROM instead of TRUNCATE on replicated tables to avoid this).`,
  );
}
