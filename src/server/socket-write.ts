/**
 * Writing one shared buffer to many sockets at the cost of the write itself. `socket.write` runs
 * Node's Writable state machine for every call (length accounting, a write request, an after-write
 * callback scheduled for the next tick, 'drain' bookkeeping): about 4 µs of CPU per call here, a
 * third of a fan-out send. When the socket has nothing queued, the buffer goes straight to the
 * socket's own `_write` (the stream implementation's method, the one Writable calls itself): the
 * same libuv write, in order with everything before and after it, since libuv queues a write that
 * cannot complete at once behind earlier ones and Writable's own later writes go to the same queue.
 *
 * Bytes libuv has queued for such a write are not in `writableLength`: `pendingBytes` adds the
 * handle's `writeQueueSize`, so a per-client buffer bound sees every unsent byte.
 */
import type { Socket } from 'node:net';

/** The parts of a connected `net.Socket` the direct write relies on (Node 20). */
interface SocketInternals {
  _handle?: { writeQueueSize?: number } | null;
  connecting?: boolean;
  [WRITTEN]?: (error?: Error | null) => void;
}

const WRITTEN = Symbol('viewcast.written');
/** Writable's own encoding name for buffer chunks. */
const BUFFER = 'buffer' as BufferEncoding;

/** Per socket, once: a failed direct write destroys the socket, as a failed `write` would. */
function writtenCallback(socket: Socket & SocketInternals): (error?: Error | null) => void {
  let callback = socket[WRITTEN];
  if (callback === undefined) {
    callback = (error) => {
      if (error) socket.destroy(error);
    };
    socket[WRITTEN] = callback;
  }
  return callback;
}

/** Writes `bytes` (possibly shared by thousands of sockets; never copied) after what is queued. */
export function writeShared(socket: Socket, bytes: Buffer): void {
  const internals = socket as Socket & SocketInternals;
  if (
    socket.writableLength === 0 &&
    internals._handle?.writeQueueSize !== undefined &&
    internals.connecting !== true &&
    socket.writable
  ) {
    socket._write(bytes, BUFFER, writtenCallback(internals));
    return;
  }
  socket.write(bytes);
}

/** Bytes written to `socket` and not yet handed to the kernel: the per-client buffer's size. */
export function pendingBytes(socket: Socket): number {
  return socket.writableLength + ((socket as Socket & SocketInternals)._handle?.writeQueueSize ?? 0);
}
