/**
 * Events posted to `POST /api/ingest`, as a source among the others: they go through the same
 * pipeline, the same canary and duplicate checks, and show in `/api/status` like any source. A
 * request's events are validated as a whole before any is handed over (see ingest-route.ts).
 */
import { EventGate } from './event-gate.js';
import { decodeDedupePosition, encodeDedupePosition, RECENT_IDS_KEPT } from './stream-position.js';
import type { EventSink, RawEvent, Source, SourceStatus } from './types.js';

export interface IngestResult {
  /** Events handed to the engine. */
  accepted: number;
  /** Events left out, by reason (`canary`, `duplicate`). */
  skipped: Record<string, number>;
}

export class HttpIngestSource implements Source {
  readonly kind = 'http-ingest';
  readonly id = 'http-ingest';
  private sink: EventSink | null = null;
  private readonly gate = new EventGate();
  private emitted = 0;
  private requests = 0;
  private release: (() => void) | null = null;
  private stopped = false;

  describe(): string {
    return 'events posted to POST /api/ingest';
  }

  get ready(): boolean {
    return this.sink !== null && !this.stopped;
  }

  async run(sink: EventSink, resumeFrom: string | null = null): Promise<void> {
    if (this.stopped) return;
    // The latest ids were committed with the events: a client that posts again after a restart is
    // told its re-delivered events are duplicates instead of having them counted twice.
    for (const id of decodeDedupePosition(resumeFrom).recentIds) this.gate.seen.add(id);
    this.sink = sink;
    await new Promise<void>((resolve) => (this.release = resolve));
    this.sink = null;
  }

  /** Hands over a validated request's events; resolves once the pipeline has taken them all. */
  async accept(events: RawEvent[]): Promise<IngestResult> {
    const sink = this.sink;
    if (!sink) throw new Error('the ingest source is not running');
    this.requests++;
    const result: IngestResult = { accepted: 0, skipped: {} };
    for (const event of events) {
      const verdict = this.gate.admit(event);
      if (verdict !== 'pass') {
        sink.skip(verdict);
        result.skipped[verdict] = (result.skipped[verdict] ?? 0) + 1;
        continue;
      }
      this.emitted++;
      result.accepted++;
      const wait = sink.push(event, encodeDedupePosition(null, this.gate.seen.latest(RECENT_IDS_KEPT)));
      if (wait) await wait;
    }
    return result;
  }

  stop(): void {
    this.stopped = true;
    this.release?.();
  }

  status(): SourceStatus {
    return { kind: this.kind, emitted: this.emitted, finished: false, requests: this.requests };
  }
}
