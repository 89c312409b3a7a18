/**
 * The browser client: follows views of a viewcast server and keeps each as a multiset with the
 * moment it reflects. The decisions live in pure modules (connection-machine for when and how to
 * connect, view-set for what a frame does to the views); this file only performs them: sockets,
 * timers, listeners.
 */
import { ViewcastError } from '../core/errors.js';
import { BACKOFF_DEFAULTS } from '../core/backoff.js';
import { CLIENT_DEFAULTS, type ClientEvents, type ClientOptions } from './client-options.js';
import {
  connectionStatus,
  initialState,
  step,
  type ConnectionAction,
  type ConnectionInput,
  type ConnectionStatus,
  type MachineOptions,
  type TransportKind,
} from './connection-machine.js';
import { KeyedDecoder } from './keyed-decoder.js';
import { Listeners } from './listeners.js';
import type { LiveView } from './live-view.js';
import { PROTOCOL_VERSION, type ErrorMessage, type ServerMessage, type Timestamp } from './protocol.js';
import { openSse, openWebSocket, type Transport } from './transports.js';
import { ViewSet, type ReceiveResult } from './view-set.js';

/** Ticks without a frame after which a connection counts as dead (see `deadAfterMs`). */
const DEAD_AFTER_TICKS = 5;

export class ViewcastClient {
  private readonly base: string;
  private readonly machineOptions: MachineOptions;
  private readonly staleAfterMs: number;
  private readonly holdMs: number;
  private readonly views = new ViewSet();
  /** Reads keyed frames across reconnects (it keeps each view's form and base); null: seed frames. */
  private readonly decoder: KeyedDecoder | null;
  private state;
  private transport: Transport | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private holdTimer: ReturnType<typeof setTimeout> | null = null;
  private freshnessTimer: ReturnType<typeof setInterval> | null = null;
  /**
   * A connection silent for longer than this is dead, and is dropped and reconnected: the
   * server's hello says its tick (it sends progress at least that often while idle). Null before.
   */
  private deadAfterMs: number | null = null;
  private lastStatus: ConnectionStatus | null = null;
  /** Subscribe requests by `ref`, to know which views a refusal concerns. */
  private readonly requests = new Map<string, string[]>();
  private lastRef = 0;
  private readonly listeners = new Listeners<ClientEvents>();

  constructor(options: ClientOptions = {}) {
    this.base = options.url ?? globalThis.location.href;
    const preference = options.transport ?? CLIENT_DEFAULTS.transport;
    this.machineOptions = {
      transport: preference,
      backoff: { ...BACKOFF_DEFAULTS, ...options.backoff },
      random: Math.random,
    };
    this.staleAfterMs = options.staleAfterMs ?? CLIENT_DEFAULTS.staleAfterMs;
    this.holdMs = options.holdMs ?? CLIENT_DEFAULTS.holdMs;
    this.decoder = (options.format ?? CLIENT_DEFAULTS.format) === 'keyed' ? new KeyedDecoder() : null;
    this.state = initialState(preference);
    this.views.add(options.views ?? []);
    // Listeners attached right after construction see the first status.
    queueMicrotask(() => this.input({ type: 'start' }));
  }

  /** A followed view: its rows (a multiset), columns and timestamp. */
  view(name: string): LiveView | undefined {
    return this.views.get(name);
  }

  /** The moment all followed views reflect. */
  get timestamp(): Timestamp | null {
    return this.views.timestamp;
  }

  get status(): ConnectionStatus {
    return connectionStatus(this.state, Date.now(), this.staleAfterMs);
  }

  on<K extends keyof ClientEvents>(type: K, listener: (event: ClientEvents[K]) => void): () => void {
    return this.listeners.on(type, listener);
  }

  subscribe(names: string[]): void {
    const added = this.views.add(names);
    if (added.length === 0 || this.state.phase !== 'open' || !this.transport) return;
    if (!this.sendSubscribe(added, false)) this.reopen(); // SSE names its views in the URL
  }

  unsubscribe(names: string[]): void {
    const known = names.filter((name) => this.views.get(name));
    this.views.remove(known);
    if (known.length === 0 || this.state.phase !== 'open' || !this.transport) return;
    if (!this.transport.send({ type: 'unsubscribe', views: known })) this.reopen();
  }

  close(): void {
    this.input({ type: 'close' });
  }

  private emit<K extends keyof ClientEvents>(type: K, event: ClientEvents[K]): void {
    this.listeners.emit(type, event);
  }

  private input(input: ConnectionInput): void {
    const { state, action } = step(this.state, input, Date.now(), this.machineOptions);
    this.state = state;
    this.perform(action);
    this.emitStatus();
  }

  private perform(action: ConnectionAction): void {
    if (!action) return;
    switch (action.type) {
      case 'connect':
        this.connect(action.transport);
        return;
      case 'wait':
        this.retryTimer = setTimeout(() => this.input({ type: 'retry' }), action.ms);
        return;
      case 'disconnect':
        this.transport?.close();
        this.transport = null;
        for (const timer of [this.retryTimer, this.holdTimer]) if (timer) clearTimeout(timer);
        if (this.freshnessTimer) clearInterval(this.freshnessTimer);
        return;
    }
  }

  private connect(kind: TransportKind): void {
    const names = this.views.names();
    const handlers = {
      onOpen: () => {
        this.input({ type: 'opened' });
        this.freshnessTimer ??= setInterval(() => {
          this.emitStatus();
          this.dropIfSilent();
        }, 1000);
        this.requests.clear();
        if (kind === 'websocket' && names.length > 0) this.sendSubscribe(names, true);
      },
      onMessage: (message: ServerMessage) => this.receive(message),
      onClose: () => this.lost(),
    };
    if (kind === 'websocket') {
      this.transport = openWebSocket(this.base, handlers, this.decoder ?? undefined);
    } else {
      const since = this.views.beginSubscribe(names, true);
      this.transport = openSse(this.base, names, since, handlers, this.decoder ?? undefined);
      this.armHold();
    }
  }

  private lost(): void {
    this.transport = null;
    this.dropHeld();
    if (this.freshnessTimer) clearInterval(this.freshnessTimer);
    this.freshnessTimer = null;
    this.input({ type: 'lost' });
  }

  /** A server that ticks but has missed a few ticks is gone; reconnect (with backoff). */
  private dropIfSilent(): void {
    const heard = this.state.phase === 'open' ? this.state.lastHeardAt : null;
    if (this.deadAfterMs === null || heard === null || Date.now() - heard <= this.deadAfterMs) return;
    this.transport?.close();
    this.lost();
  }

  /** Sends a subscribe with a `ref`, so that a refusal can be traced to the views it named. */
  private sendSubscribe(names: string[], allowResume: boolean): boolean {
    const since = this.views.beginSubscribe(names, allowResume);
    const ref = `s${++this.lastRef}`;
    this.requests.set(ref, names);
    const sent = this.transport?.send({
      type: 'subscribe',
      views: names,
      ref,
      ...(since === undefined ? {} : { since }),
    });
    this.armHold();
    return sent ?? false;
  }

  /**
   * A refused subscribe subscribed none of its views. A view the server does not have is dropped
   * (and reported); the others of the request are asked for again. Any other refusal drops them all.
   */
  private refused(names: string[], error: ErrorMessage): void {
    const others = names.filter((name) => name !== error.view && this.views.get(name));
    if (error.code === 'UNKNOWN_VIEW' && error.view !== undefined) {
      if (others.length > 0) this.sendSubscribe(others, true);
    } else {
      this.views.remove(others);
      this.deliver(this.views.flush());
    }
  }

  /** Reconnects at once with the current views (SSE cannot change them on an open stream). */
  private reopen(): void {
    this.dropHeld();
    this.transport?.close();
    this.transport = null;
    this.connect(this.state.transport);
  }

  private receive(message: ServerMessage): void {
    this.input({ type: 'heard' });
    if (message.type === 'hello' && message.protocol !== PROTOCOL_VERSION) {
      this.emit(
        'error',
        new ViewcastError(
          'VIEWCAST_PROTOCOL',
          `the server speaks protocol ${message.protocol}, this client ${PROTOCOL_VERSION}: update the page's client library`,
        ),
      );
      this.input({ type: 'lost', fatal: true });
      return;
    }
    if (message.type === 'hello' && typeof message.tick === 'number' && message.tick > 0)
      this.deadAfterMs = Math.max(this.staleAfterMs, DEAD_AFTER_TICKS * message.tick);
    const request = message.type === 'error' && message.ref ? this.requests.get(message.ref) : undefined;
    this.deliver(this.views.receive(message));
    if (request && message.type === 'error' && message.ref) {
      this.requests.delete(message.ref);
      this.refused(request, message);
    }
    this.armHold();
  }

  private deliver(result: ReceiveResult): void {
    if (!this.views.holding && this.holdTimer) {
      clearTimeout(this.holdTimer);
      this.holdTimer = null;
    }
    if (result.error) {
      const { code, message, view } = result.error;
      this.emit('error', ViewcastError.relayed(code, view ? `${message} (view "${view}")` : message));
    }
    if (result.change) this.emit('change', result.change);
    if (result.progress !== undefined) this.emit('progress', result.progress);
  }

  private dropHeld(): void {
    this.views.abandon();
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
  }

  /** A server that never completes a moment must not freeze the page: release after holdMs. */
  private armHold(): void {
    if (this.holdTimer || !this.views.holding) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = null;
      this.deliver(this.views.flush());
    }, this.holdMs);
  }

  private emitStatus(): void {
    const status = this.status;
    if (status === this.lastStatus) return;
    this.lastStatus = status;
    this.emit('status', {
      status,
      transport: this.state.phase === 'open' ? this.state.transport : null,
      timestamp: this.views.timestamp,
    });
  }
}

/** Follows `views` on the server at `url` (default: the page's origin). */
export function connect(options: ClientOptions = {}): ViewcastClient {
  return new ViewcastClient(options);
}
