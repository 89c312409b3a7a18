/**
 * The replication slot: it keeps upstream's changes from the position viewcast last committed.
 * Without a stored position viewcast needs a snapshot that matches the slot exactly, which Postgres
 * only gives while creating the slot (EXPORT_SNAPSHOT), so a fresh start always creates the slot;
 * with a stored position the slot must still exist and must not have moved past it.
 */
import type pg from 'pg';
import { slotError, slotLostError } from './errors.js';
import { formatLsn, parseLsn, type Lsn } from './lsn.js';
import { quoteIdentifier } from '../../core/sql-quote.js';
import type { SourceLog } from '../types.js';

interface SlotRow {
  plugin: string | null;
  database: string | null;
  current_database: string;
  active: string;
  active_pid: string | null;
  confirmed_flush: string | null;
  wal_status: string | null;
}

async function findSlot(client: pg.Client, slot: string): Promise<SlotRow | null> {
  const found = await client.query<SlotRow>(
    `SELECT plugin, database, current_database() AS current_database, active::text AS active, active_pid,
            confirmed_flush_lsn::text AS confirmed_flush, wal_status
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  return found.rows[0] ?? null;
}

/**
 * A slot held by another connection. Retried, not fatal: after a crash or a network cut Postgres may
 * not have noticed yet that the previous connection is gone (up to wal_sender_timeout).
 */
export class SlotInUse extends Error {
  constructor(slot: string, row: SlotRow) {
    super(
      `replication slot "${slot}" is in use by another connection (process ${row.active_pid ?? '?'}): ` +
        `a previous connection Postgres has not yet seen go, or another viewcast on the same slot ` +
        `(give each its own with --pg-slot)`,
    );
    this.name = 'SlotInUse';
  }
}

/**
 * Before a fresh snapshot: a slot left by an earlier run of viewcast with the default name is
 * dropped (nothing committed refers to it); a slot named by the user is never dropped.
 */
export async function prepareFreshSlot(
  client: pg.Client,
  slot: string,
  namedByUser: boolean,
  log: SourceLog,
): Promise<void> {
  const row = await findSlot(client, slot);
  if (!row) return;
  if (row.active === 'true') throw new SlotInUse(slot, row);
  if (namedByUser) {
    throw slotError(
      `Replication slot "${slot}" already exists, but viewcast has no position stored for it, and a ` +
        `consistent initial snapshot can only be taken while creating a slot. Drop it with SELECT ` +
        `pg_drop_replication_slot('${slot}'); or name a new slot with --pg-slot (viewcast creates it).`,
    );
  }
  await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
  log.info(`postgres: dropped replication slot ${slot} left by an earlier run without stored state`);
}

/** Before resuming from `position`: the slot must still hold everything after it. */
export async function checkResumableSlot(client: pg.Client, slot: string, position: Lsn): Promise<void> {
  const row = await findSlot(client, slot);
  const at = formatLsn(position);
  if (!row) throw slotLostError(slot, at, 'no longer exists');
  if (row.wal_status === 'lost')
    throw slotLostError(slot, at, 'lost the WAL it kept (max_slot_wal_keep_size)');
  if (row.plugin !== 'pgoutput' || row.database !== row.current_database) {
    throw slotError(
      `Replication slot "${slot}" is not a pgoutput slot of database ${row.current_database} ` +
        `(plugin ${row.plugin ?? 'none'}, database ${row.database ?? 'none'}). Name viewcast's own slot ` +
        `with --pg-slot.`,
    );
  }
  if (row.active === 'true') throw new SlotInUse(slot, row);
  if (row.confirmed_flush !== null && parseLsn(row.confirmed_flush) > position)
    throw slotLostError(slot, at, `was moved on to ${row.confirmed_flush} by another consumer`);
}

export interface CreatedSlot {
  consistentPoint: Lsn;
  snapshotName: string;
}

/** Creates the slot on a replication connection and exports the snapshot it starts at. */
export async function createSlot(replication: pg.Client, slot: string): Promise<CreatedSlot> {
  const created = await replication.query<{ consistent_point: string; snapshot_name: string }>(
    `CREATE_REPLICATION_SLOT ${quoteIdentifier(slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
  );
  const row = created.rows[0];
  if (!row) throw slotError(`Postgres did not create replication slot "${slot}".`);
  return { consistentPoint: parseLsn(row.consistent_point), snapshotName: row.snapshot_name };
}
