/**
 * The pgoutput decoder, the replication stream's messages, LSNs, value conversion and the
 * transaction assembler, on messages built byte by byte as Postgres sends them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ViewcastError } from '../src/core/errors.js';
import { formatLsn, parseLsn } from '../src/sources/postgres/lsn.js';
import { decodePgOutput } from '../src/sources/postgres/pgoutput-decoder.js';
import { decodeStreamMessage, standbyStatus } from '../src/sources/postgres/stream-messages.js';
import { TransactionAssembler } from '../src/sources/postgres/transaction-assembler.js';
import { valueParser } from '../src/sources/postgres/values.js';

/** Builds a message from parts: strings are NUL-terminated, numbers are [value, bytes]. */
function bytes(...parts: Array<string | [number | bigint, 1 | 2 | 4 | 8] | Buffer>): Buffer {
  return Buffer.concat(
    parts.map((part) => {
      if (typeof part === 'string') return Buffer.from(`${part}\0`);
      if (Buffer.isBuffer(part)) return part;
      const [value, size] = part;
      const out = Buffer.alloc(size);
      if (size === 1) out.writeUInt8(Number(value));
      else if (size === 2) out.writeInt16BE(Number(value));
      else if (size === 4) out.writeUInt32BE(Number(value));
      else out.writeBigUInt64BE(BigInt(value));
      return out;
    }),
  );
}
const tag = (t: string): Buffer => Buffer.from(t);
const text = (value: string): Buffer =>
  Buffer.concat([tag('t'), bytes([Buffer.byteLength(value), 4]), Buffer.from(value)]);
const tuple = (...values: Buffer[]): Buffer => Buffer.concat([bytes([values.length, 2]), ...values]);

const relation = (id: number, columns: Array<[string, number]>, identity = 'f'): Buffer =>
  Buffer.concat([
    tag('R'),
    bytes([id, 4], 'public', 'orders'),
    tag(identity),
    bytes([columns.length, 2]),
    ...columns.map(([name, oid]) => bytes([1, 1], name, [oid, 4], [-1 >>> 0, 4])),
  ]);
const begin = (finalLsn: bigint): Buffer => Buffer.concat([tag('B'), bytes([finalLsn, 8], [0n, 8], [7, 4])]);
const commit = (commitLsn: bigint, endLsn: bigint): Buffer =>
  Buffer.concat([tag('C'), bytes([0, 1], [commitLsn, 8], [endLsn, 8], [0n, 8])]);
const insert = (id: number, row: Buffer): Buffer => Buffer.concat([tag('I'), bytes([id, 4]), tag('N'), row]);

const ORDERS = {
  name: 'orders',
  schema: 'public',
  table: 'orders',
  columns: [
    { name: 'id', typeOid: 20, type: 'bigint' },
    { name: 'note', typeOid: 25, type: 'text' },
  ],
};

describe('pgoutput decoding', { timeout: 10_000 }, () => {
  it('reads relation, begin, insert, update, delete, truncate and commit messages', () => {
    const rel = decodePgOutput(
      relation(16384, [
        ['id', 20],
        ['note', 25],
      ]),
    );
    assert.deepEqual(rel, {
      tag: 'relation',
      relationId: 16384,
      schema: 'public',
      name: 'orders',
      replicaIdentity: 'full',
      columns: [
        { name: 'id', typeOid: 20, typeModifier: -1, key: true },
        { name: 'note', typeOid: 25, typeModifier: -1, key: true },
      ],
    });
    assert.deepEqual(decodePgOutput(begin(0x1_0000_0010n)), {
      tag: 'begin',
      finalLsn: 0x1_0000_0010n,
      commitTime: 0n,
      xid: 7,
    });
    assert.deepEqual(decodePgOutput(insert(16384, tuple(text('1'), bytes([0x6e, 1])))), {
      tag: 'insert',
      relationId: 16384,
      row: ['1', null],
    });
    const update = Buffer.concat([
      tag('U'),
      bytes([16384, 4]),
      tag('O'),
      tuple(text('1'), text('é')),
      tag('N'),
      tuple(text('1'), tag('u')),
    ]);
    assert.deepEqual(decodePgOutput(update), {
      tag: 'update',
      relationId: 16384,
      old: { kind: 'full', row: ['1', 'é'] },
      row: ['1', { unchanged: true }],
    });
    const del = Buffer.concat([tag('D'), bytes([16384, 4]), tag('K'), tuple(text('1'))]);
    assert.deepEqual(decodePgOutput(del), {
      tag: 'delete',
      relationId: 16384,
      old: { kind: 'key', row: ['1'] },
    });
    const truncate = Buffer.concat([tag('T'), bytes([2, 4], [1, 1], [16384, 4], [16385, 4])]);
    assert.deepEqual(decodePgOutput(truncate), {
      tag: 'truncate',
      cascade: true,
      restartIdentity: false,
      relationIds: [16384, 16385],
    });
    assert.deepEqual(decodePgOutput(commit(5n, 9n)), {
      tag: 'commit',
      flags: 0,
      commitLsn: 5n,
      endLsn: 9n,
      commitTime: 0n,
    });
    assert.deepEqual(decodePgOutput(Buffer.concat([tag('Y'), bytes([3000, 4], 'public', 'mood')])), {
      tag: 'type',
      typeOid: 3000,
      schema: 'public',
      name: 'mood',
    });
  });

  it('fails clearly on a short or unknown message instead of reading garbage', () => {
    assert.throws(
      () => decodePgOutput(Buffer.from('B\0\0')),
      (e: unknown) => e instanceof ViewcastError && e.code === 'VIEWCAST_PG_PROTOCOL',
    );
    assert.throws(() => decodePgOutput(Buffer.from('Z')), /message type "Z"/);
  });

  it('reads XLogData and keepalives, and writes standby status updates', () => {
    const xlog = Buffer.concat([tag('w'), bytes([10n, 8], [20n, 8], [0n, 8]), begin(1n)]);
    const decoded = decodeStreamMessage(xlog);
    assert.equal(decoded.tag, 'xlog');
    assert.deepEqual(decoded.tag === 'xlog' && decodePgOutput(decoded.data), {
      tag: 'begin',
      finalLsn: 1n,
      commitTime: 0n,
      xid: 7,
    });
    assert.deepEqual(decodeStreamMessage(Buffer.concat([tag('k'), bytes([42n, 8], [0n, 8], [1, 1])])), {
      tag: 'keepalive',
      walEnd: 42n,
      replyRequested: true,
    });
    const status = standbyStatus(0x2_0000_0001n, Date.UTC(2000, 0, 1, 0, 0, 1));
    assert.equal(status.length, 34);
    assert.equal(status.toString('latin1', 0, 1), 'r');
    assert.equal(status.readBigUInt64BE(9), 0x2_0000_0001n);
    assert.equal(status.readBigInt64BE(25), 1_000_000n);
  });

  it('reads and writes LSNs in Postgres text form', () => {
    assert.equal(parseLsn('16/B374D848'), 0x16_b374d848n);
    assert.equal(formatLsn(0x16_b374d848n), '16/B374D848');
    assert.equal(formatLsn(parseLsn('0/0')), '0/0');
    assert.throws(() => parseLsn('nonsense'), /not a Postgres replication position/);
  });

  it('converts text values to what the engine takes', () => {
    assert.equal(valueParser(16)('t'), true);
    assert.equal(valueParser(23)('-42'), -42);
    assert.equal(valueParser(20)('9007199254740991'), 9007199254740991);
    assert.equal(valueParser(20)('9007199254740993'), '9007199254740993');
    assert.equal(valueParser(1700)('0.10'), '0.10');
    assert.deepEqual(valueParser(3802)('{"a": [1]}'), { a: [1] });
    assert.equal(valueParser(1184)('2026-12-01 08:00:00+00'), '2026-12-01 08:00:00+00');
  });
});

describe('transaction assembly', { timeout: 10_000 }, () => {
  it('delivers a transaction at its commit, an update as a retraction and an insertion', () => {
    const assembler = new TransactionAssembler([ORDERS], 0n);
    const feed = (message: Buffer): ReturnType<TransactionAssembler['accept']> =>
      assembler.accept(decodePgOutput(message));
    feed(
      relation(1, [
        ['id', 20],
        ['note', 25],
        ['extra', 23],
      ]),
    );
    assert.equal(feed(begin(100n)), null);
    assert.equal(feed(insert(1, tuple(text('1'), text('long'), text('5')))), null);
    feed(
      Buffer.concat([
        tag('U'),
        bytes([1, 4]),
        tag('O'),
        tuple(text('1'), text('long'), text('5')),
        tag('N'),
        tuple(text('2'), tag('u'), text('6')),
      ]),
    );
    const batch = feed(commit(100n, 120n));
    assert.deepEqual(batch?.changes, [
      { table: 'orders', row: { id: 1, note: 'long' }, diff: 1 },
      { table: 'orders', row: { id: 1, note: 'long' }, diff: -1 },
      { table: 'orders', row: { id: 2, note: 'long' }, diff: 1 },
    ]);
    assert.equal(batch?.position, '0/78');
  });

  it('skips transactions that end at or before the position it resumes from', () => {
    const assembler = new TransactionAssembler([ORDERS], 120n);
    const feed = (message: Buffer): ReturnType<TransactionAssembler['accept']> =>
      assembler.accept(decodePgOutput(message));
    feed(
      relation(1, [
        ['id', 20],
        ['note', 25],
      ]),
    );
    feed(begin(100n));
    feed(insert(1, tuple(text('1'), text('x'))));
    assert.equal(feed(commit(100n, 120n)), null);
    feed(begin(120n)); // starts right where the last delivered one ended: new
    feed(insert(1, tuple(text('2'), text('y'))));
    assert.equal(feed(commit(120n, 140n))?.changes.length, 1);
    feed(begin(140n)); // touched no declared table (Postgres before 15 still sends it): no batch
    assert.equal(feed(commit(140n, 160n)), null);
  });

  it('stops on a type change, a dropped column, a key-only old row or a truncate of a declared table', () => {
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return (error as ViewcastError).code;
      }
      return undefined;
    };
    const fresh = (): TransactionAssembler => new TransactionAssembler([ORDERS], 0n);
    assert.equal(
      codeOf(() =>
        fresh().accept(
          decodePgOutput(
            relation(1, [
              ['id', 23],
              ['note', 25],
            ]),
          ),
        ),
      ),
      'VIEWCAST_PG_SCHEMA_CHANGED',
    );
    assert.equal(
      codeOf(() => fresh().accept(decodePgOutput(relation(1, [['id', 20]])))),
      'VIEWCAST_PG_SCHEMA_CHANGED',
    );
    assert.equal(
      codeOf(() =>
        fresh().accept(
          decodePgOutput(
            relation(
              1,
              [
                ['id', 20],
                ['note', 25],
              ],
              'd',
            ),
          ),
        ),
      ),
      'VIEWCAST_PG_REPLICA_IDENTITY',
    );
    const assembler = fresh();
    assembler.accept(
      decodePgOutput(
        relation(1, [
          ['id', 20],
          ['note', 25],
        ]),
      ),
    );
    assembler.accept(decodePgOutput(begin(10n)));
    const truncate = Buffer.concat([tag('T'), bytes([1, 4], [0, 1], [1, 4])]);
    assert.equal(
      codeOf(() => assembler.accept(decodePgOutput(truncate))),
      'VIEWCAST_PG_TRUNCATE',
    );
  });
});
