/**
 * Decodes the messages of Postgres's `pgoutput` plugin (protocol version 1), as they arrive inside
 * the XLogData of a logical replication stream. Values stay in Postgres's text format here; what
 * they become is up to `values.ts`, which knows the column types from the Relation message.
 * Reference: https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 */
import { ViewcastError } from '../../core/errors.js';
import type { Lsn } from './lsn.js';

/** One column of a tuple: SQL NULL, a TOASTed value that did not change (not sent), or text. */
export type TupleValue = null | { unchanged: true } | string;

export interface RelationColumn {
  name: string;
  typeOid: number;
  typeModifier: number;
  /** Part of the replica identity (the key sent with updates and deletes). */
  key: boolean;
}

export type ReplicaIdentity = 'default' | 'nothing' | 'full' | 'index';

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: Lsn; commitTime: bigint; xid: number }
  | { tag: 'commit'; flags: number; commitLsn: Lsn; endLsn: Lsn; commitTime: bigint }
  | { tag: 'origin'; lsn: Lsn; name: string }
  | {
      tag: 'relation';
      relationId: number;
      schema: string;
      name: string;
      replicaIdentity: ReplicaIdentity;
      columns: RelationColumn[];
    }
  | { tag: 'type'; typeOid: number; schema: string; name: string }
  | { tag: 'insert'; relationId: number; row: TupleValue[] }
  | {
      tag: 'update';
      relationId: number;
      /** The old row: all columns with REPLICA IDENTITY FULL (`O`), only the key otherwise (`K`). */
      old: { kind: 'full' | 'key'; row: TupleValue[] } | null;
      row: TupleValue[];
    }
  | { tag: 'delete'; relationId: number; old: { kind: 'full' | 'key'; row: TupleValue[] } }
  | { tag: 'truncate'; cascade: boolean; restartIdentity: boolean; relationIds: number[] }
  | { tag: 'message'; transactional: boolean; lsn: Lsn; prefix: string; content: Buffer };

const IDENTITIES: Record<string, ReplicaIdentity> = { d: 'default', n: 'nothing', f: 'full', i: 'index' };

/** A cursor over one message's bytes; every read checks the length so a short message fails clearly. */
class Reader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}

  private need(count: number): void {
    if (this.at + count > this.bytes.length) throw malformed(`message ends after ${this.bytes.length} bytes`);
  }
  int8(): number {
    this.need(1);
    return this.bytes.readUInt8(this.at++);
  }
  int16(): number {
    this.need(2);
    const value = this.bytes.readInt16BE(this.at);
    this.at += 2;
    return value;
  }
  int32(): number {
    this.need(4);
    const value = this.bytes.readInt32BE(this.at);
    this.at += 4;
    return value;
  }
  uint32(): number {
    this.need(4);
    const value = this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }
  int64(): bigint {
    this.need(8);
    const value = this.bytes.readBigInt64BE(this.at);
    this.at += 8;
    return value;
  }
  lsn(): Lsn {
    this.need(8);
    const value = this.bytes.readBigUInt64BE(this.at);
    this.at += 8;
    return value;
  }
  char(): string {
    return String.fromCharCode(this.int8());
  }
  string(): string {
    const end = this.bytes.indexOf(0, this.at);
    if (end === -1) throw malformed('a string is not terminated');
    const value = this.bytes.toString('utf8', this.at, end);
    this.at = end + 1;
    return value;
  }
  bytesOf(count: number): Buffer {
    this.need(count);
    const value = this.bytes.subarray(this.at, this.at + count);
    this.at += count;
    return value;
  }
}

function malformed(reason: string): ViewcastError {
  return new ViewcastError(
    'VIEWCAST_PG_PROTOCOL',
    `A logical replication message from Postgres could not be read (${reason}). This is a bug or an ` +
      `unsupported server: report it with the Postgres version.`,
  );
}

function tuple(reader: Reader): TupleValue[] {
  const count = reader.int16();
  const values: TupleValue[] = [];
  for (let i = 0; i < count; i++) {
    const kind = reader.char();
    if (kind === 'n') values.push(null);
    else if (kind === 'u') values.push({ unchanged: true });
    else if (kind === 't') values.push(reader.bytesOf(reader.int32()).toString('utf8'));
    else throw malformed(`tuple column kind "${kind}" (binary values are not requested)`);
  }
  return values;
}

function oldTuple(reader: Reader, kind: string): { kind: 'full' | 'key'; row: TupleValue[] } {
  if (kind === 'O') return { kind: 'full', row: tuple(reader) };
  if (kind === 'K') return { kind: 'key', row: tuple(reader) };
  throw malformed(`old tuple marker "${kind}"`);
}

export function decodePgOutput(bytes: Buffer): PgOutputMessage {
  const reader = new Reader(bytes);
  const tag = reader.char();
  switch (tag) {
    case 'B':
      return { tag: 'begin', finalLsn: reader.lsn(), commitTime: reader.int64(), xid: reader.uint32() };
    case 'C':
      return {
        tag: 'commit',
        flags: reader.int8(),
        commitLsn: reader.lsn(),
        endLsn: reader.lsn(),
        commitTime: reader.int64(),
      };
    case 'O':
      return { tag: 'origin', lsn: reader.lsn(), name: reader.string() };
    case 'R': {
      const relationId = reader.uint32();
      const schema = reader.string();
      const name = reader.string();
      const identity = reader.char();
      const columns: RelationColumn[] = [];
      for (let i = reader.int16(); i > 0; i--) {
        const flags = reader.int8();
        columns.push({
          name: reader.string(),
          typeOid: reader.uint32(),
          typeModifier: reader.int32(),
          key: (flags & 1) === 1,
        });
      }
      return {
        tag: 'relation',
        relationId,
        schema,
        name,
        replicaIdentity: IDENTITIES[identity] ?? 'default',
        columns,
      };
    }
    case 'Y':
      return { tag: 'type', typeOid: reader.uint32(), schema: reader.string(), name: reader.string() };
    case 'I': {
      const relationId = reader.uint32();
      const marker = reader.char();
      if (marker !== 'N') throw malformed(`insert tuple marker "${marker}"`);
      return { tag: 'insert', relationId, row: tuple(reader) };
    }
    case 'U': {
      const relationId = reader.uint32();
      let marker = reader.char();
      let old: { kind: 'full' | 'key'; row: TupleValue[] } | null = null;
      if (marker === 'O' || marker === 'K') {
        old = oldTuple(reader, marker);
        marker = reader.char();
      }
      if (marker !== 'N') throw malformed(`update tuple marker "${marker}"`);
      return { tag: 'update', relationId, old, row: tuple(reader) };
    }
    case 'D': {
      const relationId = reader.uint32();
      return { tag: 'delete', relationId, old: oldTuple(reader, reader.char()) };
    }
    case 'T': {
      const count = reader.uint32();
      const options = reader.int8();
      const relationIds: number[] = [];
      for (let i = 0; i < count; i++) relationIds.push(reader.uint32());
      return {
        tag: 'truncate',
        cascade: (options & 1) === 1,
        restartIdentity: (options & 2) === 2,
        relationIds,
      };
    }
    case 'M': {
      const flags = reader.int8();
      const lsn = reader.lsn();
      const prefix = reader.string();
      return {
        tag: 'message',
        transactional: (flags & 1) === 1,
        lsn,
        prefix,
        content: reader.bytesOf(reader.int32()),
      };
    }
    default:
      throw malformed(`message type "${tag}"`);
  }
}
