/**
 * The live Wikimedia EventStreams client (`recentchange`). One connection at a time; on every drop
 * it reconnects with the last SSE `id` sent back verbatim as `Last-Event-ID`, and drops what the
 * server re-delivers by `meta.id`. The position handed over with each event carries that id, so it
 * is committed with the event and a restart resumes exactly there.
 */
import { ViewcastError } from '../core/errors.js';
import { EventGate } from './event-gate.js';
import { eventParser, eventTime, type ParsedFrame } from './event-schema.js';
import { backoffDelay, judgeResponse, type BackoffSettings } from './retry-policy.js';
import { Sleeper } from './sleeper.js';
import { SseParser, type SseMessage } from '../core/sse-parser.js';
import { decodePosition, encodePosition, RECENT_IDS_KEPT } from './stream-position.js';
import type { EventSink, Source, SourceLog, SourceStatus } from './types.js';

export const WIKIMEDIA_URL = 'https://stream.wikimedia.org/v2/stream/recentchange';

export interface WikimediaOptions {
  url: string;
  userAgent: string;
  /** A connection that brings no byte for this long is taken as stalled and replaced. */
  readTimeoutMs: number;
  backoff: BackoffSettings;
  log: SourceLog;
  /** Injected for tests of the retry rules; the real one otherwise. */
  random?: () => number;
}

type Outcome = { kind: 'give-up'; message: string } | { kind: 'retry'; why: string; delayMs: number | null };

export class WikimediaSource implements Source {
  readonly kind = 'wikimedia';
  readonly id = 'wikimedia';
  private readonly sleeper = new Sleeper();
  private controller: AbortController | null = null;
  private readonly gate = new EventGate();
  /** Decodes a frame's JSON: only the fields the sink reads (set when `run` gets its sink). */
  private decode: (text: string) => ParsedFrame = eventParser(undefined);
  private lastEventId: string | null = null;
  private emitted = 0;
  private connected = false;
  private reconnects = 0;
  private newestEventTime: number | null = null;
  private lastError: string | null = null;
  /** A push the pipeline asked us to wait for: reading pauses until it resolves. */
  private backpressure: Promise<void> | null = null;

  constructor(private readonly options: WikimediaOptions) {}

  describe(): string {
    return `live Wikimedia EventStreams ${this.options.url}`;
  }

  async run(sink: EventSink, resumeFrom: string | null): Promise<void> {
    this.decode = eventParser(sink.reads);
    const resumed = decodePosition(resumeFrom);
    if (resumed) {
      this.lastEventId = resumed.lastEventId;
      for (const id of resumed.recentIds) this.gate.seen.add(id);
    }
    let attempt = 0;
    while (!this.sleeper.stopped) {
      const before = this.emitted;
      const outcome = await this.connectOnce(sink);
      if (this.sleeper.stopped) break;
      if (outcome.kind === 'give-up')
        throw new ViewcastError('VIEWCAST_WIKIMEDIA_FORBIDDEN', outcome.message);
      // A connection that delivered events was healthy: start the backoff from the beginning.
      if (this.emitted > before) attempt = 0;
      const delayMs = outcome.delayMs ?? backoffDelay(attempt++, this.options.backoff, this.options.random);
      this.reconnects++;
      this.lastError = outcome.why;
      this.options.log.warn(
        `wikimedia: ${outcome.why}; reconnecting in ${formatDelay(delayMs)}` +
          (this.lastEventId === null ? '' : ' and resuming after the last event id'),
      );
      await this.sleeper.sleep(delayMs);
    }
  }

  stop(): void {
    this.sleeper.stop();
    this.controller?.abort();
  }

  status(): SourceStatus {
    return {
      kind: this.kind,
      emitted: this.emitted,
      finished: false,
      url: this.options.url,
      connected: this.connected,
      reconnects: this.reconnects,
      lastEventId: this.lastEventId,
      lagSeconds:
        this.newestEventTime === null ? null : Math.max(0, (Date.now() - this.newestEventTime) / 1000),
      lastError: this.lastError,
    };
  }

  private async connectOnce(sink: EventSink): Promise<Outcome> {
    const controller = new AbortController();
    this.controller = controller;
    let stalled = false;
    let timer: NodeJS.Timeout | null = null;
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, this.options.readTimeoutMs);
    };
    const disarm = (): void => {
      if (timer) clearTimeout(timer);
      timer = null;
    };
    const headers: Record<string, string> = { Accept: 'text/event-stream', 'Cache-Control': 'no-cache' };
    if (this.options.userAgent) headers['User-Agent'] = this.options.userAgent;
    if (this.lastEventId !== null) headers['Last-Event-ID'] = this.lastEventId;
    arm();
    try {
      const response = await fetch(this.options.url, { headers, signal: controller.signal });
      const verdict = judgeResponse(response.status, response.headers.get('retry-after'));
      if (verdict.action !== 'read') {
        disarm();
        const body = await response.text().catch(() => '');
        if (verdict.action === 'give-up')
          return { kind: 'give-up', message: forbiddenMessage(this.options, body) };
        return { kind: 'retry', why: verdict.why, delayMs: verdict.delayMs };
      }
      if (!response.body) return { kind: 'retry', why: 'the response had no body', delayMs: null };
      this.connected = true;
      this.lastError = null;
      this.options.log.info(`wikimedia: connected to ${this.options.url}`);
      const parser = new SseParser((message) => this.onMessage(message, sink));
      const reader = response.body.getReader();
      arm();
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
        if (this.backpressure) {
          disarm(); // waiting on our own pipeline is not a stalled stream
          await this.backpressure;
          this.backpressure = null;
          if (this.sleeper.stopped) break;
        }
        arm();
      }
      return { kind: 'retry', why: 'the server ended the stream', delayMs: null };
    } catch (error) {
      if (this.sleeper.stopped) return { kind: 'retry', why: 'stopped', delayMs: 0 };
      if (stalled)
        return {
          kind: 'retry',
          why: `no data for ${formatDelay(this.options.readTimeoutMs)} (a stalled connection)`,
          delayMs: null,
        };
      return { kind: 'retry', why: `connection failed: ${describeFetchError(error)}`, delayMs: null };
    } finally {
      disarm();
      this.connected = false;
      controller.abort();
    }
  }

  private onMessage(message: SseMessage, sink: EventSink): void {
    // The id is consumed with the message, whatever becomes of the event: a reconnect resumes after it.
    if (message.id !== null) this.lastEventId = message.id;
    if (message.event !== 'message') return;
    const parsed = this.decode(message.data);
    if ('reason' in parsed) {
      sink.skip(parsed.reason, `frame ${message.id ?? '(no id)'}: ${parsed.detail}`);
      return;
    }
    const verdict = this.gate.admit(parsed.event);
    if (verdict !== 'pass') {
      sink.skip(verdict);
      return;
    }
    const time = eventTime(parsed.event);
    if (time !== null && (this.newestEventTime === null || time > this.newestEventTime))
      this.newestEventTime = time;
    this.emitted++;
    const position =
      this.lastEventId === null
        ? null
        : encodePosition({
            lastEventId: this.lastEventId,
            recentIds: this.gate.seen.latest(RECENT_IDS_KEPT),
          });
    const wait = sink.push(parsed.event, position, message.data);
    if (wait) this.backpressure = wait;
  }
}

function forbiddenMessage(options: WikimediaOptions, body: string): string {
  const said = body.trim().split('\n')[0]?.slice(0, 200);
  return (
    `${options.url} answered 403 Forbidden${said ? ` ("${said}")` : ''}: Wikimedia refuses clients ` +
    `without a descriptive User-Agent. Set one that names your tool and a contact, e.g. ` +
    `--user-agent "mytool/1.0 (https://example.org/mytool; me@example.org)".`
  );
}

export function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export function formatDelay(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`;
}
