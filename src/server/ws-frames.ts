/**
 * The WebSocket fast path: a data frame (header and payload) is encoded once per payload and the
 * same bytes are written to every socket that should get it. `ws` would frame every client's copy
 * again (a header buffer, a cork, a two-buffer write: about 10 µs of CPU per send); here a send is
 * one write of a cached buffer.
 *
 * `ws` keeps everything else: the handshake, pings, pongs, close frames, reading. Writing beside it
 * on its socket is safe only while its sender has nothing queued (it queues while compressing or
 * reading a Blob, neither of which the server does): otherwise the frame goes through `ws.send`, so
 * order is always kept. Bytes written here count in `ws.bufferedAmount` (it reads the socket's
 * writable length), so the per-client buffer bound keeps working unchanged.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** The parts of a `ws` WebSocket the fast path relies on (ws 8: `_socket`, `_sender`). */
interface WsInternals {
  _socket?: Socket | null;
  _sender?: { _state: number; _queue: unknown[] } | null;
}

/** FIN and the text opcode: every frame the server sends is one whole text message. */
const FIN_TEXT = 0x81;
/** `ws`'s sender state in which it writes through at once (not compressing, not reading a Blob). */
const SENDER_IDLE = 0;
/** `WebSocket.OPEN`, read once rather than through every socket's prototype. */
const OPEN = 1;

const encoded = new WeakMap<Buffer, Buffer>();

/** An unmasked server-to-client text frame carrying `payload`, header and payload in one buffer. */
export function encodeTextFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = FIN_TEXT;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 0x10000) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, header);
  return frame;
}

/**
 * The encoded frame of `payload`, made once per payload buffer: payloads are cached per moment and
 * view combination upstream, so thousands of sockets share one frame, freed with the payload.
 */
export function textFrame(payload: Buffer): Buffer {
  let frame = encoded.get(payload);
  if (frame === undefined) {
    frame = encodeTextFrame(payload);
    encoded.set(payload, frame);
  }
  return frame;
}

/** Sends `payload` as one text message on an open socket (nothing on a closing or closed one). */
export function writeText(ws: WebSocket, payload: Buffer): void {
  writeFrame(ws, payload, null);
}

/**
 * Sends `payload` as one text message, `frame` being its encoded frame when the caller already has
 * it (a fan-out loop looks the frame up once for all its sockets, not once per socket).
 */
export function writeFrame(ws: WebSocket, payload: Buffer, frame: Buffer | null): void {
  if (ws.readyState !== OPEN) return;
  const { _socket: socket, _sender: sender } = ws as unknown as WsInternals;
  if (!socket || !sender || sender._state !== SENDER_IDLE || sender._queue.length > 0 || !socket.writable) {
    ws.send(payload, { binary: false });
    return;
  }
  socket.write(frame ?? textFrame(payload));
}

/** Runs `write` with the socket corked, so several frames leave in one system call. */
export function corked(ws: WebSocket, write: () => void): void {
  const socket = (ws as unknown as WsInternals)._socket;
  if (!socket) {
    write();
    return;
  }
  socket.cork();
  try {
    write();
  } finally {
    socket.uncork();
  }
}
