/**
 * Liveness. WebSockets are pinged every interval; one that has not answered the previous ping by the
 * next is terminated (a peer that vanished without a FIN would otherwise hold its slot for hours).
 * SSE streams get a comment line, which also keeps proxies from timing the stream out.
 */
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

export class Heartbeat {
  private readonly sockets = new Map<WebSocket, boolean>();
  private readonly streams = new Set<ServerResponse>();
  private readonly timer: NodeJS.Timeout;
  /** Sockets terminated for not answering pings. */
  terminated = 0;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => this.beat(), intervalMs);
    this.timer.unref();
  }

  watch(socket: WebSocket): void {
    this.sockets.set(socket, true);
    socket.on('pong', () => this.sockets.set(socket, true));
    socket.on('close', () => this.sockets.delete(socket));
  }

  watchStream(res: ServerResponse): void {
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
  }

  private beat(): void {
    for (const [socket, alive] of this.sockets) {
      if (!alive) {
        this.sockets.delete(socket);
        this.terminated++;
        socket.terminate();
        continue;
      }
      this.sockets.set(socket, false);
      socket.ping();
    }
    for (const res of this.streams) res.write(': keep-alive\n\n');
  }

  close(): void {
    clearInterval(this.timer);
  }
}
