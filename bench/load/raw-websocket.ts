/**
 * A measuring WebSocket client that costs the load core as little as a client can: after the
 * HTTP upgrade it is a plain TCP socket whose reads land in one buffer shared by every client of the
 * process (`onread`: no Buffer, no stream machinery per read), and it parses only frame headers.
 * A `ws` client spends several microseconds per message on its stream, parser and events; at 10,000
 * clients and 100k+ frames/s that saturated the load core before the servers under test.
 *
 * It is still a correct client for the frames servers send: unmasked frames of any length class,
 * split across reads or several in one read, pings answered with pongs (servers drop clients that do
 * not answer), close frames ending the connection. Fragmented messages are counted as protocol errors:
 * none of the servers measured sends them.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const FIN = 0x80;
const MASKED = 0x80;

/** One read's worth: every client's reads land here in turn and are parsed before the next. */
const shared = Buffer.allocUnsafe(256 * 1024);

/** Called once per whole message: its payload is `buffer[start, end)`, valid only during the call. */
export type OnMessage = (buffer: Buffer, start: number, end: number, at: number) => void;

export interface RawClientEvents {
  /** Every text or binary message, with the wall-clock time (ms) of the read that completed it. */
  message: OnMessage;
  /** The socket failed or closed; `opened` says whether the upgrade had succeeded. */
  closed: (reason: string, opened: boolean) => void;
  /** The server answered the upgrade with 101. */
  opened: () => void;
}

/** A masked pong carrying `payload` (mask 0: the payload goes as is; any key is valid). */
function pongFrame(payload: Buffer): Buffer {
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = FIN | 0xa;
  frame[1] = MASKED | payload.length;
  payload.copy(frame, 6);
  return frame;
}

export class RawWebSocket {
  /** Bytes of an incomplete head or frame, kept until the next read completes it. */
  private pending: Buffer | null = null;
  private upgraded = false;
  private ended = false;
  readonly socket: Socket;
  /** Frames the client could not read as whole text or binary messages. */
  protocolErrors = 0;

  constructor(
    url: string,
    private readonly events: RawClientEvents,
    private readonly now: () => number,
  ) {
    const target = new URL(url);
    const origin = target.origin.replace(/^ws/, 'http');
    this.socket = connect({
      host: target.hostname,
      port: Number(target.port),
      onread: {
        buffer: shared,
        callback: (n: number, buffer: Uint8Array) => this.onRead(n, buffer as Buffer),
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          `Sec-WebSocket-Version: 13\r\nOrigin: ${origin}\r\n\r\n`,
      );
    });
    this.socket.on('error', (error) => this.end(error.message));
    this.socket.on('close', () => this.end('closed'));
  }

  terminate(): void {
    this.ended = true;
    this.socket.destroy();
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.destroy();
    this.events.closed(reason, this.upgraded);
  }

  private onRead(length: number, buffer: Buffer): boolean {
    const at = this.now();
    let bytes = buffer;
    let end = length;
    if (this.pending) {
      bytes = Buffer.concat([this.pending, buffer.subarray(0, length)]);
      end = bytes.length;
      this.pending = null;
    }
    let offset = this.upgraded ? 0 : this.readHead(bytes, end);
    if (offset < 0) return true;
    while (offset < end && !this.ended) {
      const next = this.readFrame(bytes, offset, end, at);
      if (next < 0) {
        this.pending = Buffer.from(bytes.subarray(offset, end));
        break;
      }
      offset = next;
    }
    return true;
  }

  /** The upgrade answer: where the frames start, or -1 while the head is incomplete. */
  private readHead(bytes: Buffer, end: number): number {
    const headEnd = bytes.subarray(0, end).indexOf('\r\n\r\n');
    if (headEnd < 0) {
      this.pending = Buffer.from(bytes.subarray(0, end));
      return -1;
    }
    const status = bytes.toString('latin1', 0, Math.min(headEnd, 64));
    if (!/^HTTP\/1\.1 101 /.test(status)) {
      this.end(`upgrade refused: ${status.split('\r\n')[0] ?? ''}`);
      return -1;
    }
    this.upgraded = true;
    this.events.opened();
    return headEnd + 4;
  }

  /** Reads one frame at `offset`; the offset after it, or -1 when it is not all there yet. */
  private readFrame(bytes: Buffer, offset: number, end: number, at: number): number {
    if (end - offset < 2) return -1;
    const first = bytes[offset] as number;
    const second = bytes[offset + 1] as number;
    let length = second & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      if (end - offset < 4) return -1;
      length = bytes.readUInt16BE(offset + 2);
      start = offset + 4;
    } else if (length === 127) {
      if (end - offset < 10) return -1;
      length = bytes.readUInt32BE(offset + 2) * 0x100000000 + bytes.readUInt32BE(offset + 6);
      start = offset + 10;
    }
    if (second & MASKED) start += 4; // servers never mask; counted below as an error
    const stop = start + length;
    if (stop > end) return -1;
    const opcode = first & 0x0f;
    if ((first & FIN) === 0 || second & MASKED) this.protocolErrors++;
    else if (opcode === OP_TEXT || opcode === OP_BINARY) this.events.message(bytes, start, stop, at);
    else if (opcode === OP_PING) this.socket.write(pongFrame(Buffer.from(bytes.subarray(start, stop))));
    else if (opcode === OP_CLOSE) this.end('close frame');
    else if (opcode === 0) this.protocolErrors++;
    return stop;
  }
}

/** The number after the last `:` of a JSON text ending in `...:T}` (the frame's timestamp), or NaN. */
export function trailingNumber(buffer: Buffer, start: number, end: number): number {
  let i = end - 1;
  while (i >= start && buffer[i] !== 0x7d) i--; // '}'
  const close = i;
  while (i >= start && buffer[i] !== 0x3a) i--; // ':'
  if (i < start || close <= i + 1) return NaN;
  let value = 0;
  for (let j = i + 1; j < close; j++) {
    const digit = (buffer[j] as number) - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}
