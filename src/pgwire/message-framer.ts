/**
 * Cuts a connection's byte stream into whole protocol messages. The first message of a connection
 * (startup, SSLRequest, CancelRequest) has no type byte, only a length; every later one is a type
 * byte and a length that counts itself but not the type byte.
 */
import { PgError, SQLSTATE } from './pg-error.js';

/** Larger messages are refused: nothing this server accepts comes near it. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Until a client is authenticated its messages (start-up, password) may be no longer than Postgres
 * allows a start-up packet, so that nobody can make the server hold megabytes without logging in.
 */
export const MAX_UNAUTHENTICATED_BYTES = 10_000;

export class MessageFramer {
  private buffer: Buffer = Buffer.alloc(0);
  /** Until the startup message has been read, messages have no type byte. */
  started = false;
  /** The longest message accepted now; raised to MAX_MESSAGE_BYTES once the client is authenticated. */
  limit = MAX_UNAUTHENTICATED_BYTES;

  /** Adds bytes; returns the complete messages they finish, each a copy the caller may keep. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const head = this.started ? 1 : 0;
      if (this.buffer.length - offset < head + 4) break;
      const length = this.buffer.readInt32BE(offset + head);
      if (length < 4 || length > this.limit) {
        throw new PgError(
          SQLSTATE.protocolViolation,
          this.started ? `invalid message length ${length}` : `invalid length of startup packet ${length}`,
          { severity: 'FATAL' },
        );
      }
      const end = offset + head + length;
      if (this.buffer.length < end) break;
      messages.push(Buffer.from(this.buffer.subarray(offset, end)));
      offset = end;
      // Only one message can come before the type bytes start; the caller flips `started` after it.
      if (!this.started) break;
    }
    this.buffer = this.buffer.subarray(offset);
    return messages;
  }

  /** Messages left in the buffer after the first one, once `started` was set. */
  drain(): Buffer[] {
    return this.push(Buffer.alloc(0));
  }
}
