/**
 * Writing one shared buffer to many sockets at the cost of the write itself. `socket.write` runs
 * Node's Writable state machine for every call (length accounting, a write request, an after-write
 * callback scheduled for the next tick, 'drain' bookkeeping): about 4 µs of CPU per call here, a
 * third of a fan-out send. When the socket has nothing queued, the buffer goes straight to the
 * socket's own `_write` (the stream implementation's method, the one Writable calls itself): the
 * same libuv write, in order with everything before and after it, since libuv queues a write that
 * cannot complete at once behind earlier ones and Writable's own later writes go to the same queue.
 *
 * Bytes of such a write that the kernel did not take at once are not in `writableLength`: each
 * socket counts its direct writes until their callbacks (libuv completes writes in order; one the
 * kernel took whole calls back at once), and `pendingBytes` adds them, so a per-client buffer bound
 * sees every unsent byte. (The handle's `writeQueueSize` says the same, but reading it is a call
 * into C++ per socket per frame.)
 */
import type { Socket } from 'node:net';

/** The parts of a connected `net.Socket` the direct write relies on (Node 20). */
interface SocketInternals {
  _handle?: { writeQueueSize?: number } | null;
  connecting?: boolean;
  [DIRECT]?: DirectWrites;
}

const DIRECT = Symbol('viewcast.directWrites');
/** Writable's own encoding name for buffer chunks. */
const BUFFER = 'buffer' as BufferEncoding;

/** A socket's direct writes not yet completed, made once per socket on its first direct write. */
class DirectWrites {
  /** Bytes written directly and not yet called back. */
  pending = 0;
  /** Sizes of those writes, oldest first (usually none: the kernel takes a frame at once). */
  private readonly sizes: number[] = [];
  /** The one callback of every direct write: a failure destroys the socket, as `write`'s would. */
  readonly written: (error?: Error | null) => void;

  constructor(socket: Socket) {
    this.written = (error) => {
      this.pending -= this.sizes.shift() ?? 0;
      if (error) socket.destroy(error);
    };
  }

  started(bytes: number): void {
    this.pending += bytes;
    this.sizes.push(bytes);
  }
}

/** Writes `bytes` (possibly shared by thousands of sockets; never copied) after what is queued. */
export function writeShared(socket: Socket, bytes: Buffer): void {
  const internals = socket as Socket & SocketInternals;
  if (socket.writableLength === 0 && internals.connecting !== true && socket.writable) {
    let direct = internals[DIRECT];
    if (direct === undefined) {
      // A socket whose handle is not a libuv stream (TLS, a test double) keeps Node's own write.
      if (internals._handle?.writeQueueSize === undefined) {
        socket.write(bytes);
        return;
      }
      direct = internals[DIRECT] = new DirectWrites(socket);
    }
    direct.started(bytes.length);
    socket._write(bytes, BUFFER, direct.written);
    return;
  }
  socket.write(bytes);
}

/** Bytes written to `socket` and not yet handed to the kernel: the per-client buffer's size. */
export function pendingBytes(socket: Socket): number {
  return socket.writableLength + ((socket as Socket & SocketInternals)[DIRECT]?.pending ?? 0);
}
