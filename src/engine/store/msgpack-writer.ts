/**
 * msgpack of the store's small values (the operators' state entries: objects of counts, sums and
 * keys; the timestamp, positions, the retained log's bookkeeping) written straight into the journal
 * record being built (journal-record.ts), byte for byte as `packr` (retained-format.ts) writes them:
 * LMDB's decoder and `packr.unpack` read them back as before, and a test compares the bytes.
 *
 * Why not `packr.pack`: at the live rate every commit is a dozen such values, each encoded with cold
 * caches. msgpackr's general path (a map header patched after a `for...in` with `hasOwnProperty`,
 * its own buffer and the copy of each value from it into the record, its polymorphic dispatch:
 * deoptimized on `writePlainObject`'s "wrong map") was a sixth of the commit's time. Anything this
 * writer does not handle (bigint, undefined, Date, Map, binary, a nested depth beyond MAX_DEPTH)
 * makes `write` return false, and the caller packs the whole value with `packr` instead.
 */

/** Deeper values are left to msgpackr (the operators' entries are two or three levels deep). */
const MAX_DEPTH = 16;
const hasOwn = Object.prototype.hasOwnProperty;
/** msgpackr's limit of a map's keys with `useRecords: false` (map16 always). */
const MAX_KEYS = 0xffff;

export abstract class MsgpackWriter {
  protected bytes: Buffer;
  protected at = 0;

  constructor(size: number) {
    this.bytes = Buffer.allocUnsafe(size);
  }

  /**
   * Makes room for `n` more bytes at `at`; it may move what is being written (`at`, `bytes` and
   * `origin` change together).
   */
  protected abstract room(n: number): void;

  /** Where what is being written starts in `bytes` (what `room` moves along). */
  protected abstract origin(): number;

  /** Writes `value`'s msgpack at `at`; false (with `at` somewhere after) when it is not handled here. */
  protected write(value: unknown, depth = 0): boolean {
    switch (typeof value) {
      case 'number':
        this.writeNumber(value);
        return true;
      case 'string':
        this.writeString(value);
        return true;
      case 'boolean':
        this.room(1);
        this.bytes[this.at++] = value ? 0xc3 : 0xc2;
        return true;
      case 'object':
        if (value === null) {
          this.room(1);
          this.bytes[this.at++] = 0xc0;
          return true;
        }
        if (depth >= MAX_DEPTH) return false;
        if (value.constructor === Array) return this.writeArray(value as unknown[], depth + 1);
        if (value.constructor === Object)
          return this.writeObject(value as Record<string, unknown>, depth + 1);
        return false;
      default:
        return false;
    }
  }

  private writeArray(array: unknown[], depth: number): boolean {
    const length = array.length;
    this.room(5);
    const bytes = this.bytes;
    if (length < 0x10) bytes[this.at++] = 0x90 | length;
    else if (length < 0x10000) {
      bytes[this.at] = 0xdc;
      bytes.writeUInt16BE(length, this.at + 1);
      this.at += 3;
    } else {
      bytes[this.at] = 0xdd;
      bytes.writeUInt32BE(length, this.at + 1);
      this.at += 5;
    }
    for (let i = 0; i < length; i++) if (!this.write(array[i], depth)) return false;
    return true;
  }

  /**
   * Always map16, its size written after the keys, as msgpackr writes an object without records (a
   * `for...in` uses the object's enumeration cache: `Object.keys` made an array per object).
   */
  private writeObject(object: Record<string, unknown>, depth: number): boolean {
    this.room(3);
    this.bytes[this.at] = 0xde;
    // From the record's start: writing may move the record (`room`).
    const header = this.at - this.origin();
    this.at += 3;
    let length = 0;
    for (const key in object) {
      if (!hasOwn.call(object, key)) continue;
      this.writeString(key);
      if (!this.write(object[key], depth)) return false;
      length++;
    }
    if (length > MAX_KEYS) return false;
    this.bytes.writeUInt16BE(length, this.origin() + header + 1);
    return true;
  }

  private writeNumber(value: number): void {
    this.room(9);
    const bytes = this.bytes;
    if (value >>> 0 === value) {
      if (value < 0x80) bytes[this.at++] = value;
      else if (value < 0x100) {
        bytes[this.at++] = 0xcc;
        bytes[this.at++] = value;
      } else if (value < 0x10000) {
        bytes[this.at] = 0xcd;
        bytes.writeUInt16BE(value, this.at + 1);
        this.at += 3;
      } else {
        bytes[this.at] = 0xce;
        bytes.writeUInt32BE(value, this.at + 1);
        this.at += 5;
      }
    } else if (value >> 0 === value) {
      if (value >= -0x20) bytes[this.at++] = 0x100 + value;
      else if (value >= -0x80) {
        bytes[this.at++] = 0xd0;
        bytes[this.at++] = value + 0x100;
      } else if (value >= -0x8000) {
        bytes[this.at] = 0xd1;
        bytes.writeInt16BE(value, this.at + 1);
        this.at += 3;
      } else {
        bytes[this.at] = 0xd2;
        bytes.writeInt32BE(value, this.at + 1);
        this.at += 5;
      }
    } else {
      bytes[this.at] = 0xcb;
      bytes.writeDoubleBE(value, this.at + 1);
      this.at += 9;
    }
  }

  /**
   * As msgpackr: the header's size guessed from the UTF-16 length, short strings encoded here (lone
   * surrogates as three bytes, as msgpackr does), longer ones by Buffer's UTF-8 writer, and the text
   * moved when its bytes need a longer header than guessed.
   */
  private writeString(value: string): void {
    const units = value.length;
    const header = units < 0x20 ? 1 : units < 0x100 ? 2 : units < 0x10000 ? 3 : 5;
    this.room(header + 3 * units);
    const bytes = this.bytes;
    const start = this.at + header;
    let length: number;
    if (units < 0x40) {
      let p = start;
      for (let i = 0; i < units; i++) {
        let c1 = value.charCodeAt(i);
        let c2: number;
        if (c1 < 0x80) bytes[p++] = c1;
        else if (c1 < 0x800) {
          bytes[p++] = (c1 >> 6) | 0xc0;
          bytes[p++] = (c1 & 0x3f) | 0x80;
        } else if ((c1 & 0xfc00) === 0xd800 && ((c2 = value.charCodeAt(i + 1)) & 0xfc00) === 0xdc00) {
          c1 = 0x10000 + ((c1 & 0x03ff) << 10) + (c2 & 0x03ff);
          i++;
          bytes[p++] = (c1 >> 18) | 0xf0;
          bytes[p++] = ((c1 >> 12) & 0x3f) | 0x80;
          bytes[p++] = ((c1 >> 6) & 0x3f) | 0x80;
          bytes[p++] = (c1 & 0x3f) | 0x80;
        } else {
          bytes[p++] = (c1 >> 12) | 0xe0;
          bytes[p++] = ((c1 >> 6) & 0x3f) | 0x80;
          bytes[p++] = (c1 & 0x3f) | 0x80;
        }
      }
      length = p - start;
    } else length = bytes.write(value, start, 'utf8');
    let at = this.at;
    if (length < 0x20) bytes[at++] = 0xa0 | length;
    else if (length < 0x100) {
      if (header < 2) bytes.copyWithin(at + 2, at + 1, at + 1 + length);
      bytes[at++] = 0xd9;
      bytes[at++] = length;
    } else if (length < 0x10000) {
      if (header < 3) bytes.copyWithin(at + 3, at + header, at + header + length);
      bytes[at] = 0xda;
      bytes.writeUInt16BE(length, at + 1);
      at += 3;
    } else {
      if (header < 5) bytes.copyWithin(at + 5, at + header, at + header + length);
      bytes[at] = 0xdb;
      bytes.writeUInt32BE(length, at + 1);
      at += 5;
    }
    this.at = at + length;
  }
}
