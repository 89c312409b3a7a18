/**
 * A client of the multiplexed protocol (`/api/subscribe`) for tests: records every frame as it
 * arrived (text and parsed) and applies snapshots, resets and batches to one multiset per view.
 */
import WebSocket from 'ws';
import { Multiset, type Row } from '../../src/core/multiset.js';

export interface Frame {
  type: 'hello' | 'snapshot' | 'batch' | 'reset' | 'progress' | 'error';
  timestamp?: number;
  view?: string;
  views?: Record<string, { inserted: Row[]; deleted: Row[] }> | string[];
  columns?: string[];
  rows?: Row[];
  merged?: number;
  reason?: string;
  code?: string;
  message?: string;
  ref?: unknown;
  text: string;
}

export interface LocalView {
  rows: Multiset;
  timestamp: number;
}

export interface OpenOptions {
  token?: string;
  origin?: string;
}

export function wsUrl(baseUrl: string, path: string, token?: string): string {
  const url = new URL(path, baseUrl.replace(/^http/, 'ws'));
  if (token) url.searchParams.set('token', token);
  return url.href;
}

export class MuxClient {
  readonly frames: Frame[] = [];
  readonly views = new Map<string, LocalView>();
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = String(data);
      const frame = { ...(JSON.parse(text) as Omit<Frame, 'text'>), text };
      this.frames.push(frame);
      this.apply(frame);
      for (const waiter of [...this.waiters]) waiter();
    });
    socket.on('close', () => {
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  static async open(baseUrl: string, options: OpenOptions = {}): Promise<MuxClient> {
    const socket = new WebSocket(wsUrl(baseUrl, '/api/subscribe', options.token), {
      ...(options.origin ? { origin: options.origin } : {}),
    });
    const client = new MuxClient(socket);
    await client.until(() => client.frames.length > 0);
    return client;
  }

  private apply(frame: Frame): void {
    if ((frame.type === 'snapshot' || frame.type === 'reset') && frame.view) {
      const rows = new Multiset();
      for (const row of frame.rows ?? []) rows.apply(row, 1);
      this.views.set(frame.view, { rows, timestamp: frame.timestamp ?? 0 });
    } else if (frame.type === 'batch' && frame.views && !Array.isArray(frame.views)) {
      for (const [name, changes] of Object.entries(frame.views)) {
        const view = this.views.get(name);
        if (!view) throw new Error(`batch for ${name} before its snapshot`);
        for (const row of changes.deleted) view.rows.apply(row, -1);
        for (const row of changes.inserted) view.rows.apply(row, 1);
      }
      for (const view of this.views.values()) view.timestamp = frame.timestamp ?? view.timestamp;
    }
  }

  /** Starts from the views another client holds, as a client that reconnects with `since` does. */
  adopt(other: MuxClient): void {
    for (const [name, view] of other.views) {
      const rows = new Multiset();
      rows.applyAll(view.rows.counted());
      this.views.set(name, { rows, timestamp: view.timestamp });
    }
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  subscribe(views: string[], since?: number): void {
    this.send({ type: 'subscribe', views, ...(since === undefined ? {} : { since }) });
  }

  /** Resolves once `condition` holds, checked after every frame; rejects if the socket closes first. */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (condition()) {
          this.waiters.delete(check);
          resolve();
        } else if (this.socket.readyState === WebSocket.CLOSED) {
          this.waiters.delete(check);
          reject(
            new Error(
              `socket closed; last frames: ${this.frames
                .slice(-3)
                .map((f) => f.text)
                .join('\n')}`,
            ),
          );
        }
      };
      this.waiters.add(check);
    });
  }

  /** Resolves once every followed view is at `timestamp` or later. */
  reach(timestamp: number, views: string[]): Promise<void> {
    return this.until(() => views.every((v) => (this.views.get(v)?.timestamp ?? -1) >= timestamp));
  }

  batches(): Frame[] {
    return this.frames.filter((f) => f.type === 'batch');
  }

  rows(view: string): Row[] {
    return (this.views.get(view)?.rows.rows() ?? []).sort(compareRows);
  }

  /**
   * Closes the socket; resolves once the close handshake is over. Frames the server sent before it
   * saw the close still arrive (and are applied) until then.
   */
  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.close();
    return closed;
  }
}

export function compareRows(a: Row, b: Row): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The HTTP status of a refused WebSocket upgrade. */
export function upgradeStatus(url: string, options: { origin?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.origin ? { origin: options.origin } : {});
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    socket.on('open', () => {
      socket.close();
      reject(new Error(`${url} was accepted`));
    });
    socket.on('error', () => undefined);
  });
}
