/**
 * Messages from client to server after start-up, read with pg-protocol's BufferReader. The
 * framer (message-framer.ts) hands each whole message over, type byte and length included.
 */
import { BufferReader } from 'pg-protocol/dist/buffer-reader.js';
import { PgError, SQLSTATE } from './pg-error.js';

export type FrontendMessage =
  | { type: 'query'; sql: string }
  | { type: 'parse'; name: string; sql: string; paramTypes: number[] }
  | {
      type: 'bind';
      portal: string;
      statement: string;
      /** Binary parameters stay bytes until the statement's parameter types decode them. */
      params: Array<string | Buffer | null>;
      paramFormats: number[];
      resultFormats: number[];
    }
  | { type: 'describe'; target: 'statement' | 'portal'; name: string }
  | { type: 'execute'; portal: string; maxRows: number }
  | { type: 'close'; target: 'statement' | 'portal'; name: string }
  | { type: 'sync' }
  | { type: 'flush' }
  | { type: 'terminate' }
  | { type: 'copy-in' }
  | { type: 'other'; code: string };

const reader = new BufferReader();

export function readFrontendMessage(data: Uint8Array): FrontendMessage {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const code = String.fromCharCode(buffer[0] ?? 0);
  reader.setBuffer(5, buffer);
  try {
    switch (code) {
      case 'Q':
        return { type: 'query', sql: reader.cstring() };
      case 'P': {
        const name = reader.cstring();
        const sql = reader.cstring();
        const count = reader.int16();
        const paramTypes: number[] = [];
        for (let i = 0; i < count; i++) paramTypes.push(reader.int32());
        return { type: 'parse', name, sql, paramTypes };
      }
      case 'B': {
        const portal = reader.cstring();
        const statement = reader.cstring();
        const paramFormats = int16List(reader.int16());
        const params: Array<string | Buffer | null> = [];
        const count = reader.int16();
        for (let i = 0; i < count; i++) {
          const length = reader.int32();
          const format = paramFormats.length === 1 ? paramFormats[0] : (paramFormats[i] ?? 0);
          if (length === -1) params.push(null);
          else if (format === 1) params.push(Buffer.from(reader.bytes(length)));
          else params.push(reader.string(length));
        }
        const resultFormats = int16List(reader.int16());
        return { type: 'bind', portal, statement, params, paramFormats, resultFormats };
      }
      case 'D':
      case 'C': {
        const target = String.fromCharCode(reader.byte()) === 'S' ? 'statement' : 'portal';
        const name = reader.cstring();
        return code === 'D' ? { type: 'describe', target, name } : { type: 'close', target, name };
      }
      case 'E':
        return { type: 'execute', portal: reader.cstring(), maxRows: reader.int32() };
      case 'S':
        return { type: 'sync' };
      case 'H':
        return { type: 'flush' };
      case 'X':
        return { type: 'terminate' };
      case 'd':
      case 'c':
      case 'f':
        return { type: 'copy-in' };
      default:
        return { type: 'other', code };
    }
  } catch (error) {
    if (error instanceof PgError) throw error;
    throw new PgError(SQLSTATE.protocolViolation, `malformed "${code}" message`, { severity: 'FATAL' });
  }
}

function int16List(count: number): number[] {
  const list: number[] = [];
  for (let i = 0; i < count; i++) list.push(reader.int16());
  return list;
}
