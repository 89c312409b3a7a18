/**
 * `--source postgres://...`: the tables a views file declares, replicated from a Postgres database
 * through logical replication (pgoutput). A fresh start creates the slot and copies the tables in the
 * snapshot it exports (one batch); then every upstream transaction is one batch whose position is the
 * end LSN of its commit. A lost connection is retried; upstream problems stop the source with an
 * error that says what to do. See docs/POSTGRES.md.
 */
import type pg from 'pg';
import { backoffDelay } from '../../core/backoff.js';
import { errorMessage } from '../../core/errors.js';
import { Sleeper } from '../sleeper.js';
import type { SourceStatus } from '../types.js';
import { withoutPassword } from '../../core/pg-connect.js';
import { checkUrl, connectPlain, connectReplication, serverName } from './connection.js';
import { explainFailure, isTransient } from './connection-failures.js';
import {
  POSTGRES_DEFAULTS,
  type ChangeSink,
  type ChangeSource,
  type PostgresSourceOptions,
} from './interface.js';
import { formatLsn, parseLsn } from './lsn.js';
import { ensurePublication } from './publication.js';
import { checkResumableSlot, createSlot, prepareFreshSlot } from './replication-slot.js';
import { Deliverer, streamChanges, type Progress } from './replication-stream.js';
import { copyTables } from './snapshot-copy.js';
import { TransactionAssembler } from './transaction-assembler.js';
import { checkServer, checkTables } from './upstream-checks.js';

export interface PostgresSourceStatus extends SourceStatus {
  kind: 'postgres';
  /** Changes handed to the sink. */
  emitted: number;
  finished: boolean;
  transactions: number;
  /** Position of the last batch handed over, and the committed (acknowledged) one. */
  position: string | null;
  committed: string | null;
  connected: boolean;
}

export class PostgresSource implements ChangeSource {
  readonly output = 'changes';
  readonly kind = 'postgres';
  readonly id: string;
  private readonly settings: Required<Omit<PostgresSourceOptions, 'log' | 'tables' | 'url'>>;
  private readonly sleeper = new Sleeper();
  private clients = new Set<pg.Client>();
  private progress: Progress = { delivered: null, committed: 0n, transactions: 0, changes: 0 };
  private connected = false;
  /** Set once this process created the slot: a snapshot cut short may then drop it and start over. */
  private createdSlot = false;

  constructor(private readonly options: PostgresSourceOptions) {
    checkUrl(options.url);
    this.settings = {
      publication: options.publication ?? POSTGRES_DEFAULTS.publication,
      slot: options.slot ?? POSTGRES_DEFAULTS.slot,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? POSTGRES_DEFAULTS.maxReconnectDelayMs,
      statusIntervalMs: options.statusIntervalMs ?? POSTGRES_DEFAULTS.statusIntervalMs,
      maxInFlight: options.maxInFlight ?? POSTGRES_DEFAULTS.maxInFlight,
    };
    // The key the position is stored under: same server, database and slot, same stream of changes.
    this.id = `postgres:${serverName(options.url)}#${this.settings.slot}`;
  }

  describe(): string {
    const tables = this.options.tables.map((t) => t.name).join(', ');
    return `logical replication of ${tables} from ${withoutPassword(this.options.url)} (slot ${this.settings.slot}, publication ${this.settings.publication})`;
  }

  /**
   * Replicates until `stop` is called; rejects with a ViewcastError when replication cannot go on.
   * `resumeFrom` is the position committed with the views' state (null: start with a snapshot).
   */
  async run(sink: ChangeSink, resumeFrom: string | null): Promise<void> {
    const start = resumeFrom === null ? null : parseLsn(resumeFrom);
    this.progress = { delivered: start, committed: start ?? 0n, transactions: 0, changes: 0 };
    const deliverer = new Deliverer(sink, this.progress, this.settings.maxInFlight);
    let attempt = 0;
    while (!this.sleeper.stopped) {
      try {
        const session = this.session(deliverer, () => (attempt = 0));
        session.catch(() => undefined); // when a failed commit wins the race, the session ends later
        await Promise.race([session, deliverer.failed]);
      } catch (error) {
        if (this.sleeper.stopped) break;
        if (!isTransient(error)) throw explainFailure(error, this.context());
        const delay = backoffDelay(attempt++, {
          initialMs: 250,
          maxMs: this.settings.maxReconnectDelayMs,
          multiplier: 2,
        });
        this.options.log.warn(
          `postgres: connection to ${serverName(this.options.url)} lost (${errorMessage(error)}); reconnecting in ${delay} ms`,
        );
        await Promise.race([this.sleeper.sleep(delay), deliverer.failed]);
      } finally {
        this.connected = false;
        await this.closeClients();
      }
    }
  }

  stop(): void {
    this.sleeper.stop();
    void this.closeClients();
  }

  status(): PostgresSourceStatus {
    const { delivered, committed, transactions, changes } = this.progress;
    return {
      kind: 'postgres',
      emitted: changes,
      finished: false,
      transactions,
      position: delivered === null ? null : formatLsn(delivered),
      committed: committed === 0n ? null : formatLsn(committed),
      connected: this.connected,
    };
  }

  /** One connection's lifetime: checks, the snapshot when there is no position yet, then the stream. */
  private async session(deliverer: Deliverer, onConnected: () => void): Promise<void> {
    const { url, log } = this.options;
    const { slot, publication } = this.settings;
    const server = serverName(url);
    const plain = this.track(await connectPlain(url));
    await checkServer(plain, server);
    const tables = await checkTables(plain, server, this.options.tables);
    const fresh = this.progress.delivered === null;
    await ensurePublication(plain, publication, tables, fresh, log);
    if (fresh) await prepareFreshSlot(plain, slot, this.options.slot !== undefined && !this.createdSlot, log);
    // Against what was handed over: the slot is never acknowledged beyond it.
    else await checkResumableSlot(plain, slot, this.progress.delivered ?? 0n);
    const replication = this.track(await connectReplication(url));
    if (this.sleeper.stopped) return;
    this.connected = true;
    onConnected();
    if (fresh) {
      const created = await createSlot(replication, slot);
      this.createdSlot = true;
      const changes = await copyTables(plain, created.snapshotName, tables);
      const position = formatLsn(created.consistentPoint);
      log.info(`postgres: initial snapshot of ${changes.length} rows at ${position} (slot ${slot} created)`);
      deliverer.deliver({ changes, position, snapshot: true }, created.consistentPoint);
    } else {
      log.info(`postgres: streaming from ${formatLsn(this.progress.delivered ?? 0n)} (slot ${slot})`);
    }
    await plain.end().catch(() => undefined);
    const assembler = new TransactionAssembler(tables, this.progress.delivered ?? 0n);
    await streamChanges(replication, assembler, deliverer, this.settings);
  }

  private context(): { server: string; user: string; slot: string; position: string } {
    const user = decodeURIComponent(new URL(this.options.url).username) || process.env.PGUSER || 'postgres';
    const position = formatLsn(this.progress.committed);
    return { server: serverName(this.options.url), user, slot: this.settings.slot, position };
  }

  private track(client: pg.Client): pg.Client {
    this.clients.add(client);
    return client;
  }

  private async closeClients(): Promise<void> {
    const clients = [...this.clients];
    this.clients.clear();
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
}
