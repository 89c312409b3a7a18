/**
 * A connection's outgoing messages: gathered while one client message is handled and written to
 * the socket in one piece, so that a FETCH of a thousand rows is one write, not a thousand.
 */
import type { Socket } from 'node:net';
import { canceled } from './pg-error.js';

/** Pending bytes after which a streaming query waits for the socket to drain. */
const FLUSH_BYTES = 64 * 1024;

export class Output {
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly socket: Socket) {}

  send(message: Buffer): void {
    this.chunks.push(message);
    this.bytes += message.length;
  }

  get pending(): number {
    return this.bytes;
  }

  get shouldFlush(): boolean {
    return this.bytes >= FLUSH_BYTES;
  }

  /** Writes what is pending; false when the socket's buffer is full (wait for `drained`). */
  flush(): boolean {
    if (this.chunks.length === 0) return !this.socket.writableNeedDrain;
    const data =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.bytes);
    this.chunks = [];
    this.bytes = 0;
    if (this.socket.destroyed || !this.socket.writable) return true;
    return this.socket.write(data);
  }

  /** Flushes, then waits until the client has taken the data (a slow reader slows only itself). */
  async flushAndDrain(signal: AbortSignal): Promise<void> {
    if (this.flush()) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        signal.removeEventListener('abort', done);
        if (signal.aborted) reject(canceled());
        else resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
      signal.addEventListener('abort', done);
    });
  }
}
