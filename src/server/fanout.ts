/**
 * Fan-out: every connected client of the multiplexed protocol, whatever its transport. Hands each
 * published moment to every session, ticks them (progress, catch-up of drained slow clients), and
 * counts what was sent for /metrics. The hub does the heavy work once; a session only picks bytes.
 *
 * Sessions are written in rounds (send-rounds.ts), as `/api/stream` sockets are: a published moment
 * is logged, and a round visits every session once, in slices that yield to the event loop, each
 * visit handing the session every logged moment it has not had, in one corked write. A session
 * about to send anything else (it subscribes, is ticked, or its socket sends a frame of its own) is
 * handed its moments first, so that its frames keep the order of the timestamps they carry and a
 * snapshot never repeats a logged change; the periodic tick skips the sessions a round has yet to
 * reach. A round's end drops the moments every session has had: the log is empty between rounds.
 */
import { EventEmitter } from 'node:events';
import type { Hub } from '../hub/hub.js';
import type { Moment } from '../hub/moment.js';
import type { ServerOptions } from './server-options.js';
import { ClientSession } from './client-session.js';
import type { FrameSink } from './frame-sink.js';
import { RoundLog } from './round-log.js';
import { SendRounds, SLICE_MS } from './send-rounds.js';

export type TransportName = 'subscribe' | 'stream' | 'sse';

export const TRANSPORTS: TransportName[] = ['subscribe', 'stream', 'sse'];

export interface FanoutCounters {
  connections: Record<TransportName, number>;
  framesSent: Record<TransportName, number>;
  bytesSent: Record<TransportName, number>;
  /** Batches that went out merged into another one because their client fell behind. */
  mergedBatches: number;
  /** Times a client fell behind. */
  slowClients: number;
  /** Refused connections and requests, by reason. */
  refused: Record<string, number>;
  /** Clients dropped because sending to them threw. */
  sendFailures: number;
}

const perTransport = (): Record<TransportName, number> => ({ subscribe: 0, stream: 0, sse: 0 });

export class Fanout extends EventEmitter<{
  behind: [ClientSession];
  'caught-up': [ClientSession];
  /** A moment was handed to every session (when there was one), this many seconds after the fan-out got it. */
  'fanned-out': [number];
}> {
  readonly sessions = new Map<ClientSession, TransportName>();
  readonly counters: FanoutCounters = {
    connections: perTransport(),
    framesSent: perTransport(),
    bytesSent: perTransport(),
    mergedBatches: 0,
    slowClients: 0,
    refused: {},
    sendFailures: 0,
  };
  private readonly stopMoments: () => void;
  private readonly streams = new Set<{ readonly bufferedAmount: number }>();
  private ticker: NodeJS.Timeout | null = null;
  /** Moments not yet handed to every session, each with when it reached the fan-out (`performance.now()`). */
  private readonly log = new RoundLog<{ moment: Moment; arrival: number }>();
  /** The logged moment numbered `seq`, as sessions read it. */
  private readonly momentAt = (seq: number): Moment => (this.log.at(seq) as { moment: Moment }).moment;
  private readonly rounds: SendRounds<ClientSession>;

  /** `sliceMs`: how long one slice of a round may keep the event loop (tests end every slice at once). */
  constructor(
    private readonly hub: Hub,
    private readonly options: ServerOptions,
    sliceMs = SLICE_MS,
  ) {
    super();
    this.rounds = new SendRounds(
      () => this.sessions.keys(),
      // A session that left during the round is not visited.
      (session) => this.sessions.has(session) && this.isolated(session, () => this.deliver(session)),
      () => this.trim(),
      sliceMs,
    );
    this.stopMoments = hub.onMoment((moment) => {
      // No client, nothing logged: a server nobody watches pays nothing per moment here.
      if (this.sessions.size === 0) return;
      this.log.push({ moment, arrival: performance.now() });
      this.rounds.request();
    });
  }

  /** Hands a session every logged moment it has not had, in one corked write. */
  private deliver(session: ClientSession): void {
    const from = session.nextSeq;
    const to = this.log.nextSeq;
    if (from >= to) return;
    session.nextSeq = to;
    session.onMoments(this.momentAt, from, to);
  }

  /** After a round: drops the moments every session has had, and reports how long they took. */
  private trim(): void {
    const now = performance.now();
    this.log.trim(this.positions(), ({ arrival }) => this.emit('fanned-out', (now - arrival) / 1000));
  }

  private *positions(): Iterable<number> {
    for (const session of this.sessions.keys()) yield session.nextSeq;
  }

  /**
   * Sessions are ticked (progress, catch-up) only while there are some: a server nobody watches
   * is not woken four times a second for nothing.
   */
  private tickWhileConnected(): void {
    if (this.sessions.size === 0) {
      if (this.ticker) clearInterval(this.ticker);
      this.ticker = null;
      return;
    }
    if (this.ticker) return;
    this.ticker = setInterval(
      () => this.tickSessions(),
      Math.max(10, Math.min(this.options.progressMs, 250)),
    );
    this.ticker.unref();
  }

  /**
   * Ticks every session that has had every logged moment. One that has not is left to the round
   * under way, which hands it its moments (and a catch-up) in a slice: ticked, it would be handed
   * them here, every such session in one go, holding the server as a round must not.
   */
  tickSessions(): void {
    const current = this.log.nextSeq;
    for (const session of this.sessions.keys())
      if (session.nextSeq === current) this.isolated(session, () => session.tick());
  }

  /**
   * Runs one client's share of the work; a client whose transport throws is dropped alone and
   * counted, and every other client goes on.
   */
  isolated(session: ClientSession, work: () => void): void {
    try {
      work();
    } catch {
      this.counters.sendFailures++;
      this.remove(session);
      try {
        session.close();
      } catch {
        // Already broken: it is out of the fan-out, which is all that matters here.
      }
    }
  }

  /** Follows a connection outside the sessions (an `/api/stream` socket) for its buffered bytes. */
  trackBuffered(connection: { readonly bufferedAmount: number }): () => void {
    this.streams.add(connection);
    return () => this.streams.delete(connection);
  }

  /** Bytes queued and not yet written, per connected client. */
  *bufferedPerClient(): Iterable<number> {
    for (const session of this.sessions.keys()) yield session.buffered;
    for (const stream of this.streams) yield stream.bufferedAmount;
  }

  /** Whether another connection may open; counts the refusal when not. */
  admit(): boolean {
    const open = TRANSPORTS.reduce((sum, t) => sum + this.counters.connections[t], 0);
    if (open < this.options.maxConnections) return true;
    this.refuse('too_many_connections');
    return false;
  }

  refuse(reason: string): void {
    this.counters.refused[reason] = (this.counters.refused[reason] ?? 0) + 1;
  }

  opened(transport: TransportName): () => void {
    this.counters.connections[transport]++;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.counters.connections[transport]--;
    };
  }

  /** Counts a frame sent outside a session (the `/api/stream` transport). */
  sent(transport: TransportName, bytes: number): void {
    this.counters.framesSent[transport]++;
    this.counters.bytesSent[transport] += bytes;
  }

  createSession(transport: TransportName, sink: FrameSink): ClientSession {
    const session = new ClientSession(
      this.hub,
      sink,
      { clientBufferBytes: this.options.clientBufferBytes, progressMs: this.options.progressMs },
      {
        sent: (bytes) => this.sent(transport, bytes),
        merged: (batches) => (this.counters.mergedBatches += batches),
        behind: (s) => {
          this.counters.slowClients++;
          this.emit('behind', s);
        },
        caughtUp: (s) => this.emit('caught-up', s),
        deliverPending: (s) => this.deliver(s),
      },
    );
    // Whatever it subscribes to starts from the views' state now, which every logged moment is in.
    session.nextSeq = this.log.nextSeq;
    this.sessions.set(session, transport);
    this.tickWhileConnected();
    return session;
  }

  remove(session: ClientSession): void {
    this.sessions.delete(session);
    this.tickWhileConnected();
  }

  /** Stops the fan-out and closes every session (SSE streams live outside node:http's connections). */
  close(): void {
    this.stopMoments();
    this.log.clear();
    for (const session of [...this.sessions.keys()]) this.isolated(session, () => session.close());
    this.sessions.clear();
    this.tickWhileConnected();
  }
}
