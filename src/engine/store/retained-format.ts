/**
 * The stored form of the retained event log (retained-log.ts): what one transaction's input is, how
 * transactions are framed into a chunk's bytes before compression, tail entries, and key stamps.
 */
import { constants } from 'node:zlib';
import { Packr } from 'msgpackr';
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
 * Chunks compacted from the tail (a live stream, off the ingest path): quality 4, about 131 bytes per
 * recorded event at 6.7 µs each on a quiet machine. A large transaction compressed on its own while
 * the operators run (a replay, a burst): quality 1, about 168 bytes at 2.4 µs, so that retaining
 * keeps up with ingest (BENCHMARKS.md, "CPU at 40 events/s, twelfth pass").
 */
export const BROTLI = { [constants.BROTLI_PARAM_QUALITY]: 4 };
export const BROTLI_FAST = { [constants.BROTLI_PARAM_QUALITY]: 1 };

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

/** Bytes before each transaction in a chunk's plain bytes (`frame`): its timestamp and length. */
export const FRAME_HEADER = 12;
