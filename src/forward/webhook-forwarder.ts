/**
 * The sink of `viewcast forward`: events are gathered into batches (full at `batchSize`, or
 * `batchMs` after their first event) and POSTed as one JSON array each, in order, one request at a
 * time: the shape Materialize's `FROM WEBHOOK BODY FORMAT JSON ARRAY` expands into one row per
 * event. 429, 5xx and network errors are retried with backoff (honouring Retry-After), at most
 * `maxRetries` times for one batch; any other refusal, or retries used up, stops the forwarder with
 * the status and the answer's text (`failed` settles, so the command can stop its sources and exit).
 */
import type { Logger } from '../core/log.js';
import { errorMessage, ViewcastError } from '../core/errors.js';
import { stringifyJson } from '../core/exact-json.js';
import { backoffDelay, parseRetryAfter, type BackoffSettings } from '../sources/retry-policy.js';
import type { EventSink, RawEvent } from '../sources/types.js';

export interface ForwarderOptions {
  url: string;
  headers: Record<string, string>;
  batchSize: number;
  batchMs: number;
  backoff: BackoffSettings;
  /** Attempts after the first for one batch that the webhook answers 429, 5xx or not at all (default 8). */
  maxRetries?: number;
  log: Logger;
  /** Called after a batch was accepted, with the position each source reached in it. */
  onAccepted?: (positions: Record<string, string>) => Promise<void>;
}

export const DEFAULT_MAX_RETRIES = 8;

export interface ForwarderStats {
  events: number;
  batches: number;
  retries: number;
  skipped: Record<string, number>;
}

interface Pending {
  events: RawEvent[];
  positions: Record<string, string>;
}

export class WebhookForwarder {
  readonly stats: ForwarderStats = { events: 0, batches: 0, retries: 0, skipped: {} };
  private current: Pending = { events: [], positions: {} };
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private failure: Error | null = null;
  private readonly roomWaiters: Array<() => void> = [];
  private fail!: (error: Error) => void;
  /** Resolves with the error that stopped the forwarder (never, while the webhook accepts). */
  readonly failed = new Promise<Error>((resolve) => (this.fail = resolve));

  constructor(private readonly options: ForwarderOptions) {}

  /** A sink for one source: its positions are reported under `source`. */
  sinkFor(source: string): EventSink {
    return {
      push: (event, position) => this.push(source, event, position),
      skip: (reason) => {
        this.stats.skipped[reason] = (this.stats.skipped[reason] ?? 0) + 1;
      },
    };
  }

  /** Sends everything gathered so far; rejects if the webhook refused a batch. */
  async flush(): Promise<void> {
    this.close();
    while (this.sending) await this.sending;
    if (this.failure) throw this.failure;
  }

  private push(source: string, event: RawEvent, position: string | null): void | Promise<void> {
    if (this.failure) throw this.failure;
    this.current.events.push(event);
    if (position !== null) this.current.positions[source] = position;
    if (this.current.events.length >= this.options.batchSize) this.close();
    else this.timer ??= setTimeout(() => this.close(), this.options.batchMs);
    // A source that can wait (a replay) waits while a few batches are already queued.
    if (this.queue.length >= 4) return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Closes the current batch and makes sure it will be sent. */
  private close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.current.events.length > 0) {
      this.queue.push(this.current);
      this.current = { events: [], positions: {} };
    }
    this.sending ??= this.drain().finally(() => {
      this.sending = null;
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      const batch = this.queue[0] as Pending;
      try {
        await this.post(batch.events);
        this.queue.shift();
        this.stats.events += batch.events.length;
        this.stats.batches += 1;
        await this.options.onAccepted?.(batch.positions);
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
        this.fail(this.failure);
      }
      for (const wake of this.roomWaiters.splice(0)) wake();
    }
  }

  private async post(events: RawEvent[]): Promise<void> {
    const body = stringifyJson(events); // integers beyond 2^53 exactly as received
    for (let attempt = 0; ; attempt++) {
      let retryAfter: number | null = null;
      let why: string;
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.options.headers },
          body,
        });
        const text = await response.text();
        if (response.ok) return;
        why = `HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
        if (response.status !== 429 && response.status !== 408 && response.status < 500) {
          throw new ViewcastError(
            'VIEWCAST_FORWARD_REFUSED',
            `the webhook at ${this.options.url} refused a batch of ${events.length} events (${why}). ` +
              'Check the URL and any --header it needs (e.g. the secret its CHECK expects).',
          );
        }
        retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      } catch (error) {
        if (error instanceof ViewcastError) throw error;
        why = errorMessage(error);
      }
      const maxRetries = this.options.maxRetries ?? DEFAULT_MAX_RETRIES;
      if (attempt >= maxRetries) {
        throw new ViewcastError(
          'VIEWCAST_FORWARD_UNAVAILABLE',
          `the webhook at ${this.options.url} did not take a batch of ${events.length} events after ` +
            `${maxRetries + 1} attempts (last: ${why}). Check that it is up; --max-retries allows more attempts.`,
        );
      }
      const delay = retryAfter ?? backoffDelay(attempt, this.options.backoff);
      this.stats.retries += 1;
      this.options.log.warn(`webhook ${this.options.url}: ${why}; sending the batch again in ${delay} ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
