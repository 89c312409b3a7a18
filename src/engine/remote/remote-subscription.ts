/**
 * One view's subscription on a remote engine, on a connection of its own:
 * `BEGIN; DECLARE c CURSOR FOR SUBSCRIBE v WITH (PROGRESS); FETCH ALL c WITH (timeout = ...)` in a
 * loop. A FETCH returns as soon as rows are ready, so rows reach the hub as they happen; the
 * timeout only bounds how long a silent connection goes unchecked. The relation may also be a query,
 * `SUBSCRIBE (SELECT ...)`, which the remote maintains (a gateway passes its clients' queries through
 * this way); `view` then names the query and holds its columns.
 *
 * When the connection is lost it reconnects with jittered exponential backoff and subscribes again
 * with a snapshot; before the first rows of the new subscription it calls `onRestart`, so the hub
 * replaces the view's state instead of adding to it. An error that a new connection cannot cure (the
 * view's columns changed, it no longer exists, a protocol error) ends the subscription instead: it is
 * logged and reported through `onInterrupted` as fatal, never retried forever (remote-errors.ts).
 */
import { backoffDelay } from '../../core/backoff.js';
import type pg from 'pg';
import type { Logger } from '../../core/log.js';
import { errorMessage, type ViewcastError } from '../../core/errors.js';
import type { SubscribeListener, SubscribeOptions, ViewInfo } from '../types.js';
import { connect, type RemoteTarget } from './connect.js';
import { quoteIdentifier } from '../../core/sql-quote.js';
import { fatalRemoteError } from './remote-errors.js';
import { SubscribeDecoder } from './subscribe-decoder.js';

export interface RetryPolicy {
  /** First wait after a failure, in ms. */
  initialMs: number;
  /** Longest wait, in ms. */
  maxMs: number;
}

export const RETRY_DEFAULTS: RetryPolicy = { initialMs: 200, maxMs: 5_000 };

export interface SubscriptionSettings {
  target: RemoteTarget;
  log: Logger;
  /** How long one FETCH waits for rows before it returns empty (and is issued again). */
  fetchTimeoutMs: number;
  retry: RetryPolicy;
}

export class RemoteSubscription {
  connected = false;
  /** Times the subscription had to start over on a new connection. */
  restarts = 0;
  lastError: string | null = null;
  /** The error that ended the subscription for good, or null while it runs. */
  failed: ViewcastError | null = null;
  private closed = false;
  private client: pg.Client | null = null;
  private wake: (() => void) | null = null;
  private delivered = false;

  constructor(
    private readonly view: ViewInfo,
    private readonly options: SubscribeOptions,
    private readonly listener: SubscribeListener,
    private readonly settings: SubscriptionSettings,
    /** What follows SUBSCRIBE: the view's quoted name, or a parenthesized query. */
    private readonly relation = quoteIdentifier(view.name),
  ) {
    void this.run();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
    void this.client?.end().catch(() => undefined);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      try {
        await this.follow(() => (failures = 0));
      } catch (error) {
        if (this.closed) return;
        this.lastError = errorMessage(error);
        const fatal = fatalRemoteError(error, this.view.name, this.settings.target.display);
        if (fatal) return this.fail(fatal);
        failures += 1;
        this.options.onInterrupted?.({
          fatal: false,
          error: error instanceof Error ? error : new Error(this.lastError),
        });
        const wait = backoff(this.settings.retry, failures);
        this.settings.log.warn(
          `engine ${this.settings.target.display}: subscription to ${this.view.name} lost (${this.lastError}); ` +
            `subscribing again in ${Math.round(wait)} ms`,
        );
        this.setConnected(false);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  /** One connection's life: subscribe, then fetch until the connection fails or the subscription closes. */
  private async follow(onHealthy: () => void): Promise<void> {
    const client = await connect(this.settings.target, `subscribe ${this.view.name}`);
    this.client = client;
    try {
      if (this.closed) return;
      const snapshot = this.options.snapshot === false ? ', SNAPSHOT = false' : '';
      await client.query('BEGIN');
      await client.query(`DECLARE c CURSOR FOR SUBSCRIBE ${this.relation} WITH (PROGRESS${snapshot})`);
      const decoder = new SubscribeDecoder(this.view.name);
      const fetch = `FETCH ALL c WITH (timeout = '${this.settings.fetchTimeoutMs / 1000}s')`;
      let first = true;
      let started = false;
      while (!this.closed) {
        const result = await client.query({ text: fetch, rowMode: 'array' });
        if (this.closed) return;
        if (first) {
          SubscribeDecoder.checkColumns(
            this.view.name,
            result.fields.map((f) => f.name),
            this.view.columns.map((c) => c.name),
          );
          first = false;
          this.setConnected(true);
          onHealthy();
        }
        const rows = decoder.decode(result.rows as unknown[][]);
        if (rows.length === 0) continue;
        if (!started) {
          // Rows from an earlier connection reached the listener: these start over from a snapshot.
          if (this.delivered) {
            this.restarts += 1;
            this.options.onRestart?.();
          }
          started = true;
          this.delivered = true;
        }
        this.listener(rows);
      }
    } finally {
      this.client = null;
      await client.end().catch(() => undefined);
    }
  }

  private fail(error: ViewcastError): void {
    this.failed = error;
    this.closed = true;
    this.setConnected(false);
    this.settings.log.error(
      `engine ${this.settings.target.display}: subscription to ${this.view.name} failed for good ` +
        `(${error.code}): ${error.message}`,
    );
    this.options.onInterrupted?.({ fatal: true, error });
  }

  private setConnected(connected: boolean): void {
    this.connected = connected;
  }
}

/** Jittered exponential backoff after `failures` failures (core/backoff.ts). */
export function backoff(policy: RetryPolicy, failures: number): number {
  return backoffDelay(failures - 1, policy);
}
