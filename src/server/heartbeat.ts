/**
 * Liveness. WebSockets are pinged every interval; one that has not answered the previous ping by the
 * next is terminated (a peer that vanished without a FIN would otherwise hold its slot for hours).
 * SSE streams get a comment line, which also keeps proxies from timing the stream out.
 */
import type { WebSocket } from 'ws';

/** An SSE stream, as the heartbeat sees it. */
export interface KeepAliveStream {
  /** Writes a comment that keeps the stream and any proxy on its way alive. */
  keepAlive(): void;
}

export class Heartbeat {
  private readonly sockets = new Map<WebSocket, boolean>();
  private readonly streams = new Set<KeepAliveStream>();
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

  /** Follows an SSE stream until `unwatchStream`: the stream calls that when it closes. */
  watchStream(stream: KeepAliveStream): void {
    this.streams.add(stream);
  }

  unwatchStream(stream: KeepAliveStream): void {
    this.streams.delete(stream);
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
    for (const stream of this.streams) stream.keepAlive();
  }

  close(): void {
    clearInterval(this.timer);
  }
}
