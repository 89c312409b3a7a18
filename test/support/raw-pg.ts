/**
 * Raw TCP conversations with the Postgres-wire server, for fuzzing: send bytes in given chunks, read
 * everything the server answers until it closes, and take the answer apart into messages.
 */
import { connect } from 'node:net';

export interface BackendMessage {
  type: string;
  body: Buffer;
}

export interface Answer {
  /** 'N' bytes the server sent for SSL/GSS requests before any message. */
  refusals: number;
  messages: BackendMessage[];
  /** Bytes that did not form a whole message (there must be none). */
  leftover: number;
}

export const PROTOCOL_3 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/** A StartupMessage with the given parameters (user, database, ...). */
export function startupMessage(parameters: Record<string, string>, code = PROTOCOL_3): Buffer {
  const pairs = Object.entries(parameters).flatMap(([k, v]) => [k, v]);
  const body = Buffer.from(`${pairs.join('\0')}\0\0`);
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(code, 4);
  return Buffer.concat([head, body]);
}

/** A typed frontend message: type byte, length (correct unless given), body. */
export function frontendMessage(type: number, body: Buffer, length = body.length + 4): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(type, 0);
  head.writeInt32BE(length, 1);
  return Buffer.concat([head, body]);
}

/**
 * Opens a connection, writes `chunks` one after another, half-closes when `end` (so that a server
 * waiting for more bytes sees the end), and resolves with everything it answered once it closed.
 */
export function converse(port: number, chunks: Buffer[], end = true): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (data) => received.push(data));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may close while we still write: that is an answer, not a failure.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => resolve(Buffer.concat(received)));
    socket.on('connect', () => {
      for (const chunk of chunks) if (!socket.destroyed) socket.write(chunk);
      if (end) socket.end();
    });
  });
}

/** Splits a server's answer into 'N' refusals (only before the first message) and messages. */
export function parseAnswer(bytes: Buffer): Answer {
  let offset = 0;
  let refusals = 0;
  while (bytes[offset] === 0x4e && (bytes.length - offset === 1 || isMessageStart(bytes, offset + 1))) {
    refusals++;
    offset++;
  }
  const messages: BackendMessage[] = [];
  while (bytes.length - offset >= 5) {
    const length = bytes.readInt32BE(offset + 1);
    if (length < 4 || offset + 1 + length > bytes.length) break;
    messages.push({
      type: String.fromCharCode(bytes[offset] as number),
      body: bytes.subarray(offset + 5, offset + 1 + length),
    });
    offset += 1 + length;
  }
  return { refusals, messages, leftover: bytes.length - offset };
}

function isMessageStart(bytes: Buffer, offset: number): boolean {
  return bytes.length - offset >= 5 && /[A-Za-z]/.test(String.fromCharCode(bytes[offset] as number));
}

/** The fields of an ErrorResponse or NoticeResponse: S severity, C SQLSTATE, M message, H hint. */
export function errorFields(body: Buffer): Record<string, string> {
  const fields: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const code = String.fromCharCode(body[offset] as number);
    const end = body.indexOf(0, offset + 1);
    if (end === -1) break;
    fields[code] = body.subarray(offset + 1, end).toString('utf8');
    offset = end + 1;
  }
  return fields;
}
