/**
 * The main thread's side of the PGlite worker: requests in order, replies matched by id. A worker
 * that dies (an `error` or `exit` event, say an out-of-memory abort inside PGlite) is reported at
 * once through `onDeath` with the reason, and every request in flight or made later is refused with
 * that reason, instead of the loss being noticed at the next transaction.
 */
import { Worker } from 'node:worker_threads';
import { ViewcastError } from '../../core/errors.js';
import type { Timestamp } from '../types.js';
import type {
  CommitResult,
  IngestStep,
  InitRequest,
  InitResult,
  Reply,
  Request,
  SnapshotResult,
} from './protocol.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** Runs in the reply's own turn, before any later reply is handled (publishing a commit). */
  onReply?: (value: unknown) => void;
}

export class PgliteWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Waiter>();
  private failure: Error | null = null;
  private closing = false;

  constructor(private readonly onDeath: (error: Error) => void) {
    this.worker = new Worker(new URL('./worker.js', import.meta.url));
    this.worker.on('message', (reply: Reply) => this.onMessage(reply));
    this.worker.on('error', (error) =>
      this.die(
        new ViewcastError('VIEWCAST_ENGINE', `the PGlite worker failed: ${error.message}`, { cause: error }),
      ),
    );
    this.worker.on('exit', (code) => {
      if (!this.closing)
        this.die(
          new ViewcastError('VIEWCAST_ENGINE', `the PGlite worker exited unexpectedly (exit code ${code})`),
        );
    });
  }

  init(request: Omit<InitRequest, 'type'>): Promise<InitResult> {
    return this.call({ type: 'init', ...request }) as Promise<InitResult>;
  }

  /**
   * Commits one transaction's changes at `timestamp`; `onCommitted` runs in the reply's own turn,
   * so a snapshot requested later is always handled after the commit was published.
   */
  ingest(
    steps: IngestStep[],
    timestamp: Timestamp,
    onCommitted: (result: CommitResult) => void,
  ): Promise<CommitResult> {
    return this.call(
      { type: 'ingest', steps, timestamp },
      onCommitted as (value: unknown) => void,
    ) as Promise<CommitResult>;
  }

  snapshot(view: string): Promise<SnapshotResult> {
    return this.call({ type: 'snapshot', view }) as Promise<SnapshotResult>;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    await this.call({ type: 'close' }).catch(() => undefined);
    this.closing = true;
    await this.worker.terminate();
  }

  private call(
    request: DistributiveOmit<Request, 'id'>,
    onReply?: (value: unknown) => void,
  ): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onReply ? { onReply } : {}) });
      this.worker.postMessage({ ...request, id });
    });
  }

  private onMessage(reply: Reply): void {
    const waiter = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (!waiter) return;
    if (!reply.ok) {
      waiter.reject(ViewcastError.relayed(reply.error.code, reply.error.message, reply.error.name));
      return;
    }
    try {
      waiter.onReply?.(reply.result);
    } catch (error) {
      // Publishing failed: the caller learns it from its promise, not as an uncaught exception.
      waiter.reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    waiter.resolve(reply.result);
  }

  private die(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    this.onDeath(error);
  }
}
