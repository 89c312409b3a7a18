/**
 * One streaming session on a replication connection: START_REPLICATION, then pgoutput messages in,
 * batches out to the sink, and standby status updates back that acknowledge only what the sink has
 * committed. Reading pauses while too many batches wait for their commit.
 */
import type pg from 'pg';
import { errorMessage } from '../../core/errors.js';
import { quoteIdentifier, quoteLiteral } from '../../core/sql-quote.js';
import type { ChangeBatch, ChangeSink } from './interface.js';
import { formatLsn, maxLsn, type Lsn } from './lsn.js';
import { decodePgOutput } from './pgoutput-decoder.js';
import { decodeStreamMessage, standbyStatus } from './stream-messages.js';
import type { TransactionAssembler } from './transaction-assembler.js';

/** What the source keeps across sessions: what it handed over, and what the sink has committed. */
export interface Progress {
  /** End LSN of the last batch handed to the sink (null before the initial snapshot). */
  delivered: Lsn | null;
  /** Highest position the sink has committed: the only position ever acknowledged. */
  committed: Lsn;
  transactions: number;
  changes: number;
}

export interface StreamSettings {
  slot: string;
  publication: string;
  statusIntervalMs: number;
  maxInFlight: number;
}

interface ConnectionInternals {
  connection: {
    on(event: 'copyData', listener: (message: { chunk: Buffer }) => void): void;
    on(event: 'replicationStart', listener: () => void): void;
    sendCopyFromChunk(chunk: Buffer): void;
    stream: { pause(): void; resume(): void };
  };
}

/** Hands batches to the sink in order and tracks their commits. Shared by the snapshot and the stream. */
export class Deliverer {
  /** Batches handed over and not yet committed, in order: only a committed prefix is acknowledged. */
  private readonly pending: Array<{ endLsn: Lsn; done: boolean }> = [];
  private failure: ((error: Error) => void) | null = null;
  /** Called after each commit (to acknowledge it) and when the backlog drains below the limit. */
  onCommit: () => void = () => undefined;

  constructor(
    private readonly sink: ChangeSink,
    readonly progress: Progress,
    private readonly maxInFlight: number,
  ) {
    this.failed.catch(() => undefined); // observed by whoever races it; never an unhandled rejection
  }

  /** Rejects once a batch fails to commit: the session must end, the source stops. */
  readonly failed = new Promise<never>((_resolve, reject) => {
    this.failure = reject;
  });

  get full(): boolean {
    return this.pending.length >= this.maxInFlight;
  }

  /** True when every batch handed over has been committed. */
  get idle(): boolean {
    return this.pending.length === 0;
  }

  deliver(batch: ChangeBatch, endLsn: Lsn): void {
    this.progress.transactions++;
    this.progress.changes += batch.changes.length;
    this.handOver(batch, endLsn);
  }

  /**
   * Moves the position on to `endLsn` over WAL that holds nothing for the views (other tables and
   * databases, checkpoints): an empty batch, committed with that position like any other.
   */
  advance(endLsn: Lsn): void {
    this.handOver({ changes: [], position: formatLsn(endLsn), snapshot: false }, endLsn);
  }

  private handOver(batch: ChangeBatch, endLsn: Lsn): void {
    this.progress.delivered = endLsn;
    const entry = { endLsn, done: false };
    this.pending.push(entry);
    this.sink.apply(batch).then(
      () => {
        entry.done = true;
        // A sink that commits out of order must not move the acknowledgement past a batch that is
        // still open: the position advances over the committed prefix only.
        while (this.pending[0]?.done) {
          const first = this.pending.shift() as { endLsn: Lsn };
          this.progress.committed = maxLsn(this.progress.committed, first.endLsn);
        }
        this.onCommit();
      },
      (error: unknown) => this.failure?.(error instanceof Error ? error : new Error(errorMessage(error))),
    );
  }
}

export async function streamChanges(
  client: pg.Client,
  assembler: TransactionAssembler,
  deliverer: Deliverer,
  settings: StreamSettings,
): Promise<void> {
  const { connection } = client as unknown as ConnectionInternals;
  const progress = deliverer.progress;
  let paused = false;
  let streaming = false;
  const acknowledge = (replyRequested = false): void => {
    if (!streaming) return;
    try {
      connection.sendCopyFromChunk(standbyStatus(progress.committed, Date.now(), replyRequested));
    } catch {
      // The connection is going away; the next session acknowledges instead.
    }
  };
  // WAL with nothing for the views is acknowledged only once its position is committed with the views'
  // state (the slot is then never ahead of the stored position). Left unacknowledged, Postgres keeps
  // that WAL for the slot without end, and a fast shutdown waits for this client to confirm it: at
  // most once a status interval, and at once when the server asks (as it does before it shuts down).
  let lastAdvance = -Infinity;
  const advanceOver = (walEnd: Lsn, replyRequested: boolean): boolean => {
    if (!assembler.betweenTransactions || !deliverer.idle || walEnd <= (progress.delivered ?? 0n))
      return false;
    const now = Date.now();
    if (!replyRequested && now - lastAdvance < settings.statusIntervalMs) return false;
    lastAdvance = now;
    assembler.skipTo(walEnd);
    deliverer.advance(walEnd); // its commit is acknowledged as every commit is
    return true;
  };
  let fail: (error: Error) => void = () => undefined;
  const broken = new Promise<never>((_resolve, reject) => (fail = reject));
  broken.catch(() => undefined);
  deliverer.onCommit = () => {
    acknowledge();
    if (paused && !deliverer.full) {
      paused = false;
      connection.stream.resume();
    }
  };
  let stopped = false;
  connection.on('copyData', ({ chunk }) => {
    // Messages already read behind one that failed must not be applied: the session is over.
    if (stopped) return;
    try {
      const message = decodeStreamMessage(chunk);
      if (message.tag === 'keepalive') {
        if (!advanceOver(message.walEnd, message.replyRequested) && message.replyRequested) acknowledge();
        return;
      }
      const batch = assembler.accept(decodePgOutput(message.data));
      if (!batch) return;
      const { endLsn, ...handedOver } = batch;
      deliverer.deliver(handedOver, endLsn);
      if (deliverer.full && !paused) {
        paused = true;
        connection.stream.pause();
      }
    } catch (error) {
      stopped = true;
      fail(error instanceof Error ? error : new Error(errorMessage(error)));
    }
  });
  const start = formatLsn(progress.delivered ?? 0n);
  const options = `proto_version '1', publication_names ${quoteLiteral(quoteIdentifier(settings.publication))}`;
  // Status updates may only be sent once the server has switched to streaming (CopyBothResponse).
  connection.on('replicationStart', () => {
    streaming = true;
    acknowledge();
  });
  const ended = client.query(
    `START_REPLICATION SLOT ${quoteIdentifier(settings.slot)} LOGICAL ${start} (${options})`,
  );
  ended.catch(() => undefined); // once the race is decided, closing the connection rejects it
  const timer = setInterval(() => acknowledge(), settings.statusIntervalMs);
  try {
    await Promise.race([ended, broken, deliverer.failed]);
  } finally {
    stopped = true;
    streaming = false;
    clearInterval(timer);
    deliverer.onCommit = () => undefined;
  }
}
