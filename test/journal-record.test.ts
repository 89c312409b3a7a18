/**
 * The journal record's builder (src/engine/store/journal-record.ts): the values it encodes itself are
 * the bytes msgpackr writes, so LMDB's decoder and the journal's replay read them as before; records
 * decode to their writes whatever slab they were built in, and a record's values stay as they were
 * while later records are built.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { decodeRecords } from '../src/engine/store/journal-file.js';
import { checksum, RecordBuilder } from '../src/engine/store/journal-record.js';
import { packr } from '../src/engine/store/retained-format.js';
import { fuzz } from './support/fuzz.js';

/** Values as operators store them, plus what only msgpackr handles (bigint, undefined, Date, bytes). */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.integer(),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    fc.double(),
    fc.constantFrom(0, 127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129, -32768, -32769, 2 ** 32, -0),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc.string({ unit: 'binary-ascii', minLength: 250, maxLength: 70_000 }),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt(),
    fc.constant(undefined),
    fc.constant(new Date(5)),
    fc.constant(Buffer.from([1, 2])),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 20 }),
  object: fc.dictionary(fc.string({ unit: 'binary', maxLength: 40 }), tie('node'), { maxKeys: 20 }),
})).node;

/** The value's bytes as the record holds them. */
function encoded(v: unknown): Buffer {
  const record = new RecordBuilder();
  record.addValue('k', v);
  return Buffer.from(record.valueAt(0) as Buffer);
}

describe('journal record', { timeout: 120_000 }, () => {
  it('encodes values byte for byte as msgpackr does', () => {
    fc.assert(
      fc.property(value, (v) => {
        assert.deepEqual(encoded(v), packr.pack(v));
      }),
      fuzz(2000),
    );
    // Strings whose UTF-8 needs a longer header than their UTF-16 length suggests, lone surrogates,
    // and a large object (the record moves to a larger slab while it is written).
    const strings = [
      'é'.repeat(31),
      'é'.repeat(100),
      '日'.repeat(30),
      '日'.repeat(0x5600),
      '\ud800x',
      'x\udc00',
      '😀',
    ];
    for (const s of strings) assert.deepEqual(encoded(s), packr.pack(s), s.slice(0, 4));
    const large = Object.fromEntries(
      Array.from({ length: 5000 }, (_, i) => [`key ${i}`, { n: i, a: [i, -i, i / 3] }]),
    );
    assert.deepEqual(encoded(large), packr.pack(large));
    const deep: unknown[] = [];
    let at = deep;
    for (let i = 0; i < 40; i++) at.push((at = []));
    assert.deepEqual(encoded(deep), packr.pack(deep));
  });

  it('writes records that decode to their writes, each value kept as written', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.tuple(fc.string({ maxLength: 30 }), fc.option(value, { nil: null }), fc.boolean()), {
            maxLength: 12,
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (transactions) => {
          const record = new RecordBuilder();
          const files: Buffer[] = [];
          const kept: Array<[Buffer | null, Buffer | null]> = [];
          transactions.forEach((writes, t) => {
            record.reset();
            for (const [key, v, removal] of writes) {
              if (removal) record.add(key, null);
              else if (v === null) record.add(key, packr.pack(['pre-encoded', key]));
              else record.addValue(key, v);
            }
            if (record.count === 0) return;
            const bytes = record.finish(t + 1);
            files.push(Buffer.from(bytes));
            const { records } = decodeRecords(bytes);
            assert.equal(records.length, 1);
            assert.equal(records[0]?.seq, t + 1);
            assert.deepEqual(
              records[0]?.writes.map(([k]) => k),
              writes.map(([k]) => k),
            );
            for (let i = 0; i < record.count; i++) {
              const view = record.valueAt(i);
              kept.push([view, view && Buffer.from(view)]);
              assert.deepEqual(view && Buffer.from(view), records[0]?.writes[i]?.[1] ?? null);
            }
            record.next();
          });
          // Later records did not write over earlier values.
          for (const [view, copy] of kept) assert.deepEqual(view && Buffer.from(view), copy);
          assert.equal(decodeRecords(Buffer.concat(files)).records.length, files.length);
        },
      ),
      fuzz(100),
    );
  });

  it('writes a retained tail entry as the bin of its event count and msgpack', () => {
    for (const length of [0, 200, 300, 70_000]) {
      const entry = { e: ['z'.repeat(length), { user: 'bob', n: 12 }] };
      const withBigint = { c: [{ table: 't', row: { a: 1n, s: 'z'.repeat(length) }, diff: -1 }] };
      for (const e of [entry, withBigint]) {
        const record = new RecordBuilder();
        record.addValue('before', 1);
        const stored = record.addTail('tail', 2, e);
        record.addValue('after', { n: 2 });
        const expected = Buffer.concat([Buffer.from([2, 0, 0, 0]), packr.pack(e)]);
        assert.equal(stored, expected.length);
        assert.deepEqual(Buffer.from(record.valueAt(1) as Buffer), packr.pack(expected));
        const { records } = decodeRecords(record.finish(1));
        assert.deepEqual(
          records[0]?.writes.map(([key]) => key),
          ['before', 'tail', 'after'],
        );
        assert.deepEqual(packr.unpack(records[0]?.writes[2]?.[1] as Buffer), { n: 2 });
      }
    }
  });

  it('a failed transaction leaves nothing in the next record', () => {
    const record = new RecordBuilder();
    record.addValue('lost', { n: 1 });
    record.reset();
    record.addValue('kept', { n: 2 });
    const { records } = decodeRecords(record.finish(7));
    assert.deepEqual(records[0]?.writes, [['kept', packr.pack({ n: 2 })]]);
  });

  it('builds the records the journal held before (old data directories replay the same)', () => {
    // A record as it was built before values were encoded in place: msgpackr's bytes of each value
    // behind its key, and zlib's CRC-32.
    const writes: Array<[string, unknown]> = [
      ['s\x1fevents/reduce\x1f=g', { k: [], n: 250, a: [250], c: [250], o: { r: [250] } }],
      [
        's\x1fedit_sizes/reduce\x1f=g0\0',
        { k: [0], n: 59, a: [59, 3995, null, null], o: { r: [0, '67.71', -5181] } },
      ],
      ['s\x1fsums/reduce\x1f=gé\0', { k: ['é'], a: [12n, 2 ** 53 + 2] }],
      ['t', 1796187297492],
      ['p\x1fwikimedia', '["2026-05-05T10:00:00Z",[{"topic":"x","offset":12}]]'],
      ['r\x1fs', { since: 0, bytes: 213098, events: 250, oldest: 1796187297219 }],
    ];
    const parts: Buffer[] = [];
    for (const [key, v] of writes) {
      const keyBytes = Buffer.from(key);
      const packed = packr.pack(v);
      const lengths = Buffer.alloc(4);
      lengths.writeUInt32LE(keyBytes.length);
      const valueLength = Buffer.alloc(4);
      valueLength.writeUInt32LE(packed.length);
      parts.push(lengths, keyBytes, valueLength, packed);
    }
    const payload = Buffer.concat(parts);
    const before = Buffer.alloc(16 + payload.length);
    before.writeUInt32LE(payload.length, 0);
    before.writeDoubleLE(9, 8);
    payload.copy(before, 16);
    before.writeUInt32LE(crc32(before.subarray(8)), 4);
    const record = new RecordBuilder();
    for (const [key, v] of writes) record.addValue(key, v);
    assert.deepEqual(Buffer.from(record.finish(9)), before);
  });

  it("computes zlib's CRC-32 (as a signed 32-bit integer)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), (bytes) => {
        assert.equal(checksum(bytes), crc32(bytes) | 0);
      }),
      fuzz(300),
    );
  });
});
