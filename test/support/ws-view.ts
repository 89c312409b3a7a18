/** A WebSocket client of `/api/stream/:view` that applies every message to a multiset. */
import WebSocket from 'ws';
import { LiveView, type StreamMessage } from '../../src/client/live-view.js';

export interface StreamedView {
  view: LiveView;
  messages: StreamMessage[];
  socket: WebSocket;
  /** Resolves when the view's timestamp reaches `timestamp`. */
  reach(timestamp: number): Promise<void>;
  close(): void;
}

export async function streamView(baseUrl: string, name: string): Promise<StreamedView> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/stream/${encodeURIComponent(name)}`);
  const view = new LiveView();
  const messages: StreamMessage[] = [];
  const waiters: Array<{ timestamp: number; resolve: () => void }> = [];
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as StreamMessage;
    messages.push(message);
    view.apply(message);
    for (const waiter of [...waiters]) {
      if ((view.timestamp ?? 0) >= waiter.timestamp) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('message', () => resolve());
    socket.once('error', reject);
  });
  return {
    view,
    messages,
    socket,
    reach: (timestamp) =>
      (view.timestamp ?? 0) >= timestamp
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ timestamp, resolve })),
    close: () => socket.close(),
  };
}
