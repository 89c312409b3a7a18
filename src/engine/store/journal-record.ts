/**
 * One transaction's journal record (the format: journal-file.ts), built as its writes come. The
 * operators' values are encoded straight into it (msgpack-writer.ts) and the pending writes keep
 * views of those bytes: a record is written once into a slab of memory that is never written over
 * (the next record follows it; a full slab is left to the garbage collector once no pending write
 * refers to it), so that a value is neither packed into msgpackr's buffer first nor copied out of it.
 */
import { crc32 } from 'node:zlib';
import { MsgpackWriter } from './msgpack-writer.js';
import { packr } from './retained-format.js';

/** Bytes before a record's payload: its length, checksum and sequence. */
export const RECORD_HEADER = 16;
/** The value length that marks a removed key. */
export const DELETED_LENGTH = 0xffffffff;
/** A slab's size: about a second of one-event records at the live rate. */
const SLAB_BYTES = 64 * 1024;
/** The longest bin header (bin32). */
const BIN32 = 5;
/** A burst's record: its arrays of writes are let go rather than kept for the next record. */
const MANY_WRITES = 1024;
/** A slab with less room left than this is not started on (the next record would move at once). */
const SLAB_LEFT = 4096;
/** Below this many bytes the checksum is computed here (zlib's is faster only once its code is warm). */
const SMALL_RECORD = 4096;

const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c;
}

/**
 * CRC-32 (zlib's) of a record's sequence and payload, as a signed 32-bit integer (stored with
 * `writeInt32LE`: the same four bytes as zlib's unsigned value). Unsigned, half the results are above
 * V8's small integers, and the optimised code was left for the interpreter on about 17 calls a second
 * at 40 events/s ("lost precision"). A one-event record's is computed in JavaScript: zlib's, called
 * once every 25 ms with cold caches, took 26 µs (p50) against 17.
 */
export function checksum(bytes: Uint8Array): number {
  if (bytes.length >= SMALL_RECORD) return crc32(bytes) | 0;
  let c = -1;
  for (let i = 0; i < bytes.length; i++)
    c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return c ^ -1;
}

export class RecordBuilder extends MsgpackWriter {
  /** Where the record being built starts in the slab. */
  private start = 0;
  /**
   * The writes' keys, and per write where its value starts and ends from the record's start (-1: a
   * removal), the first `count` of them: the arrays are not emptied (a new backing store for each
   * record's writes was an allocation per transaction).
   */
  private keys: string[] = [];
  private spans: number[] = [];
  count = 0;

  constructor() {
    super(SLAB_BYTES);
    this.at = RECORD_HEADER;
  }

  keyAt(i: number): string {
    return this.keys[i] as string;
  }

  /** The value of the i-th write (a view of the written record), null for a removal. */
  valueAt(i: number): Buffer | null {
    const from = this.spans[2 * i] as number;
    if (from < 0) return null;
    return this.bytes.subarray(this.start + from, this.start + (this.spans[2 * i + 1] as number));
  }

  /** Forgets the writes of a transaction that failed (its bytes are written over). */
  reset(): void {
    this.at = this.start + RECORD_HEADER;
    this.count = 0;
  }

  /**
   * After the record was written and its values taken: the next record follows it, and a slab grown
   * for a large record (a burst's state, a retained chunk) is not written on.
   */
  next(): void {
    if (this.count > MANY_WRITES) {
      this.keys = [];
      this.spans = [];
    }
    this.start = (this.at + 7) & ~7;
    if (this.bytes.length > SLAB_BYTES || this.bytes.length - this.start < SLAB_LEFT) {
      this.bytes = Buffer.allocUnsafe(SLAB_BYTES);
      this.start = 0;
    }
    this.reset();
  }

  /** A key's value, encoded here (or by msgpackr when it is not a plain value: see msgpack-writer.ts). */
  addValue(key: string, value: unknown): void {
    // Where the value's length goes, from the record's start (writing may move the record).
    const from = this.addKey(key);
    if (!this.write(value)) {
      this.at = this.start + from + 4;
      this.copy(packr.pack(value));
    }
    this.endValue(from);
  }

  /**
   * A retained tail entry: msgpack's bin (as msgpackr writes a Buffer) of the event count (u32 LE)
   * and the entry's msgpack, the entry encoded here like any value. Packed by msgpackr first, copied
   * behind its count and packed again as bin, it cost two copies and 40-50 µs of cold encoding per
   * event against 36-41 here. Returns the stored value's length (count and msgpack).
   */
  addTail(key: string, events: number, entry: unknown): number {
    const from = this.addKey(key);
    this.room(BIN32 + 4);
    this.at += BIN32 + 4;
    if (!this.write(entry)) {
      this.at = this.start + from + 4 + BIN32 + 4;
      this.copy(packr.pack(entry));
    }
    // The bin header as msgpackr sizes it: the stored value moves back over the room not needed.
    const value = this.start + from + 4;
    const stored = this.at - value - BIN32;
    const header = stored < 0x100 ? 2 : stored < 0x10000 ? 3 : BIN32;
    const bytes = this.bytes;
    if (header < BIN32) bytes.copyWithin(value + header, value + BIN32, this.at);
    this.at -= BIN32 - header;
    if (header === 2) {
      bytes[value] = 0xc4;
      bytes[value + 1] = stored;
    } else if (header === 3) {
      bytes[value] = 0xc5;
      bytes.writeUInt16BE(stored, value + 1);
    } else {
      bytes[value] = 0xc6;
      bytes.writeUInt32BE(stored, value + 1);
    }
    bytes.writeUInt32LE(events, value + header);
    this.endValue(from);
    return stored;
  }

  /** A key's value already encoded as msgpack, or null for a removal. */
  add(key: string, value: Uint8Array | null): void {
    const from = this.addKey(key);
    if (value === null) {
      this.bytes.writeUInt32LE(DELETED_LENGTH, this.start + from);
      this.spans[2 * this.count] = -1;
      this.spans[2 * this.count++ + 1] = -1;
      return;
    }
    this.copy(value);
    this.endValue(from);
  }

  /**
   * The key and room for its value's length, which is written once the value is: returns where
   * that length goes, from the record's start.
   */
  private addKey(key: string): number {
    // A UTF-16 unit is at most 3 bytes of UTF-8: the key fits without measuring it first.
    this.room(8 + 3 * key.length);
    const keyBytes = this.bytes.write(key, this.at + 4, 'utf8');
    this.bytes.writeUInt32LE(keyBytes, this.at);
    this.at += 4 + keyBytes;
    this.keys[this.count] = key;
    const from = this.at - this.start;
    this.at += 4;
    return from;
  }

  private copy(value: Uint8Array): void {
    this.room(value.length);
    this.bytes.set(value, this.at);
    this.at += value.length;
  }

  /** `from`: where the value's length goes, from the record's start. */
  private endValue(from: number): void {
    const end = this.at - this.start;
    this.bytes.writeUInt32LE(end - from - 4, this.start + from);
    this.spans[2 * this.count] = from + 4;
    this.spans[2 * this.count++ + 1] = end;
  }

  protected origin(): number {
    return this.start;
  }

  /**
   * The record so far moves to a new slab when it does not fit: the earlier records' bytes stay
   * where the pending writes see them.
   */
  protected room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const used = this.at - this.start;
    const grown = Buffer.allocUnsafe(Math.max(SLAB_BYTES, 2 * (used + n)));
    this.bytes.copy(grown, 0, this.start, this.at);
    this.bytes = grown;
    this.start = 0;
    this.at = used;
  }

  /** The record under sequence `seq`: a view of the slab, written at once by the journal. */
  finish(seq: number): Buffer {
    const out = this.bytes.subarray(this.start, this.at);
    out.writeUInt32LE(this.at - this.start - RECORD_HEADER, 0);
    out.writeDoubleLE(seq, 8);
    out.writeInt32LE(checksum(out.subarray(8)), 4);
    return out;
  }
}
