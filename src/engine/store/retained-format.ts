/**
 * The stored form of the retained event log (retained-log.ts): what one transaction's input is, how
 * transactions are framed into a chunk's bytes before compression, tail entries, and key stamps.
 */
import { promisify } from 'node:util';
import { brotliCompress, constants, createBrotliCompress, type BrotliOptions } from 'node:zlib';
import { Packr, RESERVE_START_SPACE, RESET_BUFFER_MODE } from 'msgpackr';
import type { InputChange } from '../delta/interface.js';
import type { Timestamp } from '../types.js';

/**
 * One transaction's input: raw events of the input table (`e`), or changes of any table (`c`). An
 * event is its parsed object, or its JSON text as a source read it (stored as is: cheaper than
 * encoding the parsed object, and smaller once compressed); data format 4 held objects only.
 */
export interface RetainedEntry {
  e?: Array<Record<string, unknown> | string>;
  c?: InputChange[];
}

export interface Chunk {
  first: Timestamp;
  last: Timestamp;
  events: number;
  /** brotli of the framed transactions (`frame`). */
  z: Uint8Array;
}

/** Most events in one compressed chunk, and the longest time span one chunk covers. */
export const CHUNK_EVENTS = 1024;
export const CHUNK_SPAN_MS = 60_000;
/** A transaction of this many events or more is compressed on its own. */
export const DIRECT_EVENTS = 64;
/** Tail entries are compacted once this many events wait (or the oldest is CHUNK_SPAN_MS old). */
export const COMPACT_AT_EVENTS = CHUNK_EVENTS;
/** Chunks dropped per store transaction while pruning. */
export const PRUNE_SLICE = 16;
/**
 * Chunks compacted from the tail (a live stream, off the ingest path): quality 4, about 133 bytes per
 * recorded event at 65 µs each. A large transaction compressed on its own while the operators run
 * (a replay, a burst): quality 1, about 166 bytes at 18 µs, so that retaining keeps up with ingest.
 */
export const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } };
export const BROTLI_FAST = { [constants.BROTLI_PARAM_QUALITY]: 1 };
export const compress = promisify(brotliCompress);

export const packr = new Packr({ useBigIntExtension: true, useRecords: false } as never);
/** Fixed width, so that LMDB's key order is time order. */
export function stamp(ts: Timestamp): string {
  return String(Math.max(0, Math.floor(ts))).padStart(16, '0');
}

export function entryEvents(entry: RetainedEntry): number {
  return (entry.e?.length ?? 0) + (entry.c?.length ?? 0);
}

/** Transactions as a chunk's plain bytes: per transaction its timestamp, length and msgpack. */
export function frame(parts: Array<[Timestamp, Uint8Array]>): Buffer {
  const out = Buffer.allocUnsafe(parts.reduce((sum, [, p]) => sum + FRAME_HEADER + p.length, 0));
  let at = 0;
  for (const [ts, packed] of parts) {
    out.writeDoubleLE(ts, at);
    out.writeUInt32LE(packed.length, at + 8);
    out.set(packed, at + FRAME_HEADER);
    at += FRAME_HEADER + packed.length;
  }
  return out;
}

export function* unframe(plain: Buffer): Iterable<[Timestamp, RetainedEntry]> {
  for (let at = 0; at < plain.length;) {
    const length = plain.readUInt32LE(at + 8);
    yield [plain.readDoubleLE(at), packr.unpack(plain.subarray(at + 12, at + 12 + length)) as RetainedEntry];
    at += 12 + length;
  }
}

/** A tail entry: its event count, then the transaction's msgpack. */
function tailValue(packed: Uint8Array, events: number): Buffer {
  const out = Buffer.allocUnsafe(4 + packed.length);
  out.writeUInt32LE(events, 0);
  out.set(packed, 4);
  return out;
}

/**
 * A transaction's tail entry. msgpackr packs into one shared buffer, each pack after the last, and
 * allocates a new one (4 MiB and more once a transaction of a few hundred events was packed) each
 * time it fills up; the entry is copied out at once, so its bytes may be overwritten by the next
 * pack (RESET_BUFFER_MODE) and the shared buffer is reused instead of replaced.
 */
export function tailEntry(entry: RetainedEntry, events: number): Buffer {
  return tailValue(packr.pack(entry, RESET_BUFFER_MODE), events);
}

/** Bytes before each transaction in a chunk's plain bytes (`frame`): its timestamp and length. */
const FRAME_HEADER = 12;

/**
 * A transaction alone as a chunk's plain bytes, the same as `frame([[timestamp, packed]])`, in pieces
 * (`compressPieces` takes them in order). Raw events are written by `frameEvents`; changes are packed
 * behind room for the header instead of copied behind one.
 */
export function frameAlone(timestamp: Timestamp, entry: RetainedEntry): Buffer[] {
  if (entry.e && !entry.c) return frameEvents(timestamp, entry.e);
  const framed = packr.pack(entry, RESERVE_START_SPACE | FRAME_HEADER);
  framed.writeDoubleLE(timestamp, 0);
  framed.writeUInt32LE(framed.length - FRAME_HEADER, 8);
  return [framed];
}

/** msgpack's headers of a map of one entry, a one-letter string, an array32 and a str32. */
const MAP1 = 0x81;
const FIXSTR1 = 0xa1;
const ARRAY32 = 0xdd;
const STR32 = 0xdb;
/** Room of a piece of `frameEvents`: below glibc's 1 MiB threshold (bin/viewcast.js), so reused. */
const PIECE_BYTES = 512 * 1024;

/**
 * `{ e: events }` framed as msgpack, written here rather than by msgpackr, into pieces each sized for
 * the worst case of its texts (3 bytes per UTF-16 unit) and cut where the text ended. msgpackr grows
 * one buffer by copying, and the exact UTF-8 lengths first cost a second pass: for a thousand
 * recorded events (mostly two-byte strings) 9.6 ms and 3.4 ms of the main thread, these pieces 0.8
 * ms. One buffer of the whole (1.4 MB) was above glibc's mmap threshold as `viewcast serve` sets it:
 * mapped anew for every transaction, its page faults took 12-14 ms. Unpacks to the same entry.
 */
function frameEvents(timestamp: Timestamp, events: Array<Record<string, unknown> | string>): Buffer[] {
  const pieces: Buffer[] = [];
  let piece = Buffer.allocUnsafe(PIECE_BYTES);
  piece.writeDoubleLE(timestamp, 0);
  let at = FRAME_HEADER;
  piece[at++] = MAP1;
  piece[at++] = FIXSTR1;
  piece[at++] = 0x65; // 'e'
  piece[at] = ARRAY32;
  piece.writeUInt32BE(events.length, at + 1);
  at += 5;
  let total = at - FRAME_HEADER;
  const room = (bytes: number): void => {
    if (at + bytes <= piece.length) return;
    pieces.push(piece.subarray(0, at));
    piece = Buffer.allocUnsafe(Math.max(PIECE_BYTES, bytes));
    at = 0;
  };
  for (const event of events) {
    let written: number;
    if (typeof event === 'string') {
      room(5 + 3 * event.length);
      const bytes = piece.write(event, at + 5, 'utf8');
      piece[at] = STR32;
      piece.writeUInt32BE(bytes, at + 1);
      written = 5 + bytes;
    } else {
      const bytes = packr.pack(event);
      room(bytes.length);
      piece.set(bytes, at);
      written = bytes.length;
    }
    at += written;
    total += written;
  }
  pieces.push(piece.subarray(0, at));
  (pieces[0] as Buffer).writeUInt32LE(total, 8);
  return pieces;
}

/**
 * Brotli of the pieces in order, as one stream, in zlib's thread pool. Its output comes in pieces of
 * an eighth of the input (16-512 KiB) rather than zlib's 16 KiB: each is a round trip between the
 * thread pool and the main thread, and ten of them per thousand events cost 6.5 ms of CPU against 4.1
 * ms in one. The result is copied out of them, not kept as a view of a larger one.
 */
export function compressPieces(pieces: Buffer[], params: BrotliOptions['params']): Promise<Buffer> {
  const bytes = pieces.reduce((sum, piece) => sum + piece.length, 0);
  const chunkSize = Math.min(512 * 1024, Math.max(16 * 1024, bytes >> 3));
  return new Promise((resolve, reject) => {
    const stream = createBrotliCompress({ params, chunkSize });
    const out: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => out.push(chunk));
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(out)));
    for (const piece of pieces) stream.write(piece);
    stream.end();
  });
}
