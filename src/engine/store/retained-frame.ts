/**
 * A large transaction's input as a chunk of the retained log (retained-log.ts) of its own: framed
 * as `frame([[timestamp, msgpack]])` would frame it (retained-format.ts), in pieces, and compressed
 * as one brotli stream in zlib's thread pool. The commit awaits it while the operators run. Framed
 * in slices, a turn of the event loop each, the events' text lived through more scavenges: GC pauses
 * 676-966 ms per run at full speed against 430-644 ms framed at once (BENCHMARKS.md).
 */
import { createBrotliCompress, type BrotliOptions } from 'node:zlib';
import { RESERVE_START_SPACE } from 'msgpackr';
import type { Timestamp } from '../types.js';
import { FRAME_HEADER, packr, type RetainedEntry } from './retained-format.js';

/** msgpack's headers of a map of one entry, a one-letter string, an array32 and a str32. */
const MAP1 = 0x81;
const FIXSTR1 = 0xa1;
const ARRAY32 = 0xdd;
const STR32 = 0xdb;
/** Room of a piece: below glibc's 1 MiB mmap threshold (bin/viewcast.js), so reused, not mapped anew. */
const PIECE_BYTES = 512 * 1024;

type ArrivedEvent = Record<string, unknown> | string;

/**
 * `{ e: events }` framed as msgpack, written here rather than by msgpackr, into pieces each sized for
 * the worst case of its texts (3 bytes per UTF-16 unit) and cut where the text ended. msgpackr grows
 * one buffer by copying, and the exact UTF-8 lengths first cost a second pass: for a thousand
 * recorded events (mostly two-byte strings) 9.6 ms and 3.4 ms of the main thread, these pieces 0.8
 * ms. One buffer of the whole (1.4 MB) was above glibc's mmap threshold as `viewcast serve` sets it:
 * mapped anew for every transaction, its page faults took 12-14 ms. Unpacks to the same entry.
 */
class EventFrame {
  private readonly pieces: Buffer[] = [];
  private piece = Buffer.allocUnsafe(PIECE_BYTES);
  private at = FRAME_HEADER;

  constructor(timestamp: Timestamp, count: number) {
    const piece = this.piece;
    piece.writeDoubleLE(timestamp, 0);
    piece[this.at++] = MAP1;
    piece[this.at++] = FIXSTR1;
    piece[this.at++] = 0x65; // 'e'
    piece[this.at] = ARRAY32;
    piece.writeUInt32BE(count, this.at + 1);
    this.at += 5;
  }

  add(event: ArrivedEvent): void {
    if (typeof event === 'string') {
      this.room(5 + 3 * event.length);
      const bytes = this.piece.write(event, this.at + 5, 'utf8');
      this.piece[this.at] = STR32;
      this.piece.writeUInt32BE(bytes, this.at + 1);
      this.at += 5 + bytes;
    } else {
      const bytes = packr.pack(event);
      this.room(bytes.length);
      this.piece.set(bytes, this.at);
      this.at += bytes.length;
    }
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.piece.length) return;
    this.pieces.push(this.piece.subarray(0, this.at));
    this.piece = Buffer.allocUnsafe(Math.max(PIECE_BYTES, bytes));
    this.at = 0;
  }

  finish(): Buffer[] {
    const pieces = [...this.pieces, this.piece.subarray(0, this.at)];
    const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
    (pieces[0] as Buffer).writeUInt32LE(total - FRAME_HEADER, 8);
    return pieces;
  }
}

/**
 * A transaction alone as a chunk's plain bytes, in pieces (`compressPieces` takes them in order).
 * Changes are packed by msgpackr behind room for the header instead of copied behind one.
 */
export function frameAlone(timestamp: Timestamp, entry: RetainedEntry): Buffer[] {
  if (entry.e && !entry.c) {
    const frame = new EventFrame(timestamp, entry.e.length);
    for (const event of entry.e) frame.add(event);
    return frame.finish();
  }
  const framed = packr.pack(entry, RESERVE_START_SPACE | FRAME_HEADER);
  framed.writeDoubleLE(timestamp, 0);
  framed.writeUInt32LE(framed.length - FRAME_HEADER, 8);
  return [framed];
}

/**
 * Brotli of the pieces in order, as one stream, in zlib's thread pool: a large transaction's chunk,
 * and the tail's compaction (one piece). Its output comes in pieces of
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
