/**
 * The engine store's redo journal (journaled-kv.ts): two files in the LMDB directory, `journal-a`
 * and `journal-b`, one of them taking the records of new commits while the other holds the records
 * a checkpoint is copying into LMDB. A checkpoint switches files; once LMDB holds every record of the
 * old file, the old file is emptied, so the next switch always finds it empty. Both files exist from
 * the first open on (their directory entries made durable then), so a switch creates nothing.
 *
 * A record is one write: a 16-byte header (payload length u32, CRC-32 of sequence and payload u32,
 * sequence f64), then the payload: per key written its UTF-8 length (u32), the key, the length of
 * its msgpack value (u32; DELETED_LENGTH for a removal) and the value. Sequences are consecutive
 * across both files: at open, records are replayed from the checkpointed sequence on while each is
 * whole, its checksum matches and its sequence is the next one; the first that is not ends the
 * journal (a write torn by a crash, or an older record left behind an emptying a power cut undid).
 */
import {
  closeSync,
  constants,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { checksum, DELETED_LENGTH, RECORD_HEADER as HEADER } from './journal-record.js';

/** One key's write in a record: its msgpack value, or null when the key is removed. */
export type JournalWrite = [key: string, value: Buffer | null];

export interface JournalRecord {
  seq: number;
  writes: JournalWrite[];
}

/** The whole, intact records of a file's bytes, and where the intact part ends. */
export function decodeRecords(bytes: Buffer): { records: JournalRecord[]; end: number } {
  const records: JournalRecord[] = [];
  let at = 0;
  while (at + HEADER <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    const last = at + HEADER + length;
    if (last > bytes.length || checksum(bytes.subarray(at + 8, last)) !== bytes.readInt32LE(at + 4)) break;
    const writes: JournalWrite[] = [];
    for (let p = at + HEADER; p < last;) {
      const keyLength = bytes.readUInt32LE(p);
      const key = bytes.toString('utf8', p + 4, p + 4 + keyLength);
      const valueLength = bytes.readUInt32LE(p + 4 + keyLength);
      p += 8 + keyLength;
      if (valueLength === DELETED_LENGTH) writes.push([key, null]);
      else {
        writes.push([key, bytes.subarray(p, p + valueLength)]);
        p += valueLength;
      }
    }
    records.push({ seq: bytes.readDoubleLE(at + 8), writes });
    at = last;
  }
  return { records, end: at };
}

interface OpenFile {
  fd: number;
  path: string;
  /** Where the next record goes. */
  size: number;
}

export class JournalFiles {
  private readonly files: [OpenFile, OpenFile];
  private active = 0;

  constructor(dir: string) {
    const file = (name: string): OpenFile => {
      const path = join(dir, name);
      // Not O_APPEND: each record is written at the size tracked here, so that what follows an
      // emptying is written from offset 0 whatever the file held.
      const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
      return { fd, path, size: fstatSync(fd).size };
    };
    this.files = [file('journal-a'), file('journal-b')];
    // The files' directory entries are durable before any record relies on them.
    const dirFd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  /** Every intact record of both files, in sequence order; `torn` names what was cut off. */
  readAll(): { records: JournalRecord[]; torn: string[] } {
    const records: JournalRecord[] = [];
    const torn: string[] = [];
    for (const file of this.files) {
      const bytes = Buffer.allocUnsafe(file.size);
      let got = 0;
      while (got < file.size) got += readSync(file.fd, bytes, got, file.size - got, got);
      const read = decodeRecords(bytes);
      records.push(...read.records);
      if (read.end < file.size)
        torn.push(`${file.path}: ${file.size - read.end} bytes after offset ${read.end}`);
    }
    records.sort((a, b) => a.seq - b.seq);
    return { records, torn };
  }

  /** Appends a record to the active file with one write (it is then in the kernel's page cache). */
  append(record: Buffer): void {
    const file = this.files[this.active] as OpenFile;
    let written = 0;
    while (written < record.length)
      written += writeSync(file.fd, record, written, record.length - written, file.size + written);
    file.size += record.length;
  }

  /** Resolves once a file's records (the active file's by default) are on the disk (fdatasync in libuv's thread pool). */
  sync(which = this.active): Promise<void> {
    const fd = (this.files[which] as OpenFile).fd;
    return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
  }

  /** Bytes in the active file. */
  get size(): number {
    return (this.files[this.active] as OpenFile).size;
  }

  /** New records go to the other (empty) file from now on; returns the file to empty later. */
  switchFiles(): number {
    const old = this.active;
    this.active = 1 - old;
    return old;
  }

  /**
   * Empties a file whose every record LMDB holds. `durably`: at open, where records after a gap are
   * dropped whose sequences the next records reuse: were the emptying undone by a power cut, such an
   * old record could otherwise follow the new ones as if it were the next.
   */
  empty(which: number, durably = false): void {
    const file = this.files[which] as OpenFile;
    if (file.size === 0) return;
    ftruncateSync(file.fd, 0);
    if (durably) fdatasyncSync(file.fd);
    file.size = 0;
  }

  close(): void {
    for (const file of this.files) closeSync(file.fd);
  }
}
