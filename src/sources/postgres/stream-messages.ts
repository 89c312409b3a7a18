/**
 * The replication stream's own messages, carried in CopyData once START_REPLICATION has begun:
 * XLogData (`w`, wrapping one pgoutput message) and the primary keepalive (`k`) from the server, and
 * the standby status update (`r`) that viewcast sends to acknowledge what it has committed.
 * Reference: https://www.postgresql.org/docs/current/protocol-replication.html
 */
import { ViewcastError } from '../../core/errors.js';
import type { Lsn } from './lsn.js';

export type StreamMessage =
  | { tag: 'xlog'; walStart: Lsn; walEnd: Lsn; data: Buffer }
  | { tag: 'keepalive'; walEnd: Lsn; replyRequested: boolean };

/** Microseconds between the Unix epoch and Postgres's epoch (2000-01-01 UTC). */
const POSTGRES_EPOCH_US = 946_684_800_000_000n;

export function decodeStreamMessage(chunk: Buffer): StreamMessage {
  const tag = String.fromCharCode(chunk[0] ?? 0);
  if (tag === 'w' && chunk.length >= 25) {
    return {
      tag: 'xlog',
      walStart: chunk.readBigUInt64BE(1),
      walEnd: chunk.readBigUInt64BE(9),
      data: chunk.subarray(25),
    };
  }
  if (tag === 'k' && chunk.length >= 18) {
    return { tag: 'keepalive', walEnd: chunk.readBigUInt64BE(1), replyRequested: chunk[17] === 1 };
  }
  throw new ViewcastError(
    'VIEWCAST_PG_PROTOCOL',
    `The replication stream sent an unknown message ("${tag}", ${chunk.length} bytes). This is a bug ` +
      `or an unsupported server: report it with the Postgres version.`,
  );
}

/**
 * A standby status update that reports `flushed` as written, flushed and applied: Postgres may
 * then recycle the WAL before it, and a restarted stream starts after it. Only positions viewcast
 * has committed are ever passed here.
 */
export function standbyStatus(flushed: Lsn, nowMs: number, replyRequested = false): Buffer {
  const message = Buffer.alloc(34);
  message.write('r', 0, 'latin1');
  message.writeBigUInt64BE(flushed, 1);
  message.writeBigUInt64BE(flushed, 9);
  message.writeBigUInt64BE(flushed, 17);
  message.writeBigInt64BE(BigInt(Math.round(nowMs)) * 1000n - POSTGRES_EPOCH_US, 25);
  message.writeUInt8(replyRequested ? 1 : 0, 33);
  return message;
}
