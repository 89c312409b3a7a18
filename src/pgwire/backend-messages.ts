/**
 * Messages from server to client, serialized with node-postgres' own protocol writer
 * (pg-protocol), so that the framing is the one every Postgres driver is tested against.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import { Writer } from 'pg-protocol/dist/buffer-writer.js';
import { typeSize } from '../core/pg-types.js';
import type { PgError } from './pg-error.js';
import { textToBinary } from './binary-format.js';

const writer = new Writer();
const code = (c: string): number => c.charCodeAt(0);

export interface Field {
  name: string;
  oid: number;
}

export type TransactionStatus = 'I' | 'T' | 'E';

/**
 * Per result column: null for text, or the type OID to encode it with in binary. Null for the
 * whole list: every column in text.
 */
export type BinaryColumns = Array<number | null> | null;

/** The columns a Bind's result format codes ask for in binary (none, one code for all, or one per column). */
export function binaryColumns(fields: Field[] | null, formats: number[]): BinaryColumns {
  if (!fields || formats.every((f) => f === 0)) return null;
  return fields.map((field, i) =>
    (formats.length === 1 ? formats[0] : formats[i]) === 1 ? field.oid : null,
  );
}

export function rowDescription(fields: Field[], binary: BinaryColumns = null): Buffer {
  writer.addInt16(fields.length);
  for (const [i, field] of fields.entries()) {
    writer
      .addCString(field.name)
      .addInt32(0) // table OID: not a table column
      .addInt16(0)
      .addInt32(field.oid)
      .addInt16(typeSize(field.oid))
      .addInt32(-1) // type modifier
      .addInt16(binary?.[i] != null ? 1 : 0);
  }
  return writer.flush(code('T'));
}

export function dataRow(values: Array<string | null>, binary: BinaryColumns = null): Buffer {
  writer.addInt16(values.length);
  for (const [i, value] of values.entries()) {
    const oid = binary?.[i];
    if (value === null) writer.addInt32(-1);
    else if (oid != null) {
      const bytes = textToBinary(oid, value);
      writer.addInt32(bytes.length).add(bytes);
    } else {
      const bytes = Buffer.from(value, 'utf8');
      writer.addInt32(bytes.length).add(bytes);
    }
  }
  return writer.flush(code('D'));
}

export function commandComplete(tag: string): Buffer {
  return writer.addCString(tag).flush(code('C'));
}

export function readyForQuery(status: TransactionStatus): Buffer {
  return writer.addString(status).flush(code('Z'));
}

function addNoticeFields(error: {
  severity: string;
  sqlstate: string;
  message: string;
  hint?: string | undefined;
  position?: number | undefined;
}): void {
  writer.addString('S').addCString(error.severity);
  writer.addString('V').addCString(error.severity);
  writer.addString('C').addCString(error.sqlstate);
  writer.addString('M').addCString(error.message);
  if (error.hint) writer.addString('H').addCString(error.hint);
  if (error.position !== undefined) writer.addString('P').addCString(String(error.position));
  writer.addCString('');
}

export function errorResponse(error: PgError): Buffer {
  addNoticeFields(error);
  return writer.flush(code('E'));
}

export function noticeResponse(message: string, details: { sqlstate?: string; hint?: string } = {}): Buffer {
  addNoticeFields({ severity: 'NOTICE', sqlstate: details.sqlstate ?? '00000', message, hint: details.hint });
  return writer.flush(code('N'));
}

export function copyOutResponse(columns: number): Buffer {
  writer.addString('\0'); // overall text format
  writer.addInt16(columns);
  for (let i = 0; i < columns; i++) writer.addInt16(0);
  return writer.flush(code('H'));
}

export function copyData(line: string): Buffer {
  return writer.add(Buffer.from(line, 'utf8')).flush(code('d'));
}

export const copyDone = (): Buffer => writer.flush(code('c'));
export const parseComplete = (): Buffer => writer.flush(code('1'));
export const bindComplete = (): Buffer => writer.flush(code('2'));
export const closeComplete = (): Buffer => writer.flush(code('3'));
export const noData = (): Buffer => writer.flush(code('n'));
export const portalSuspended = (): Buffer => writer.flush(code('s'));
export const emptyQueryResponse = (): Buffer => writer.flush(code('I'));

export function parameterDescription(oids: number[]): Buffer {
  writer.addInt16(oids.length);
  for (const oid of oids) writer.addInt32(oid);
  return writer.flush(code('t'));
}

export function parameterStatus(name: string, value: string): Buffer {
  return writer.addCString(name).addCString(value).flush(code('S'));
}

export function backendKeyData(processId: number, secret: number): Buffer {
  return writer.addInt32(processId).addInt32(secret).flush(code('K'));
}

export function authenticationMd5(salt: Buffer): Buffer {
  return writer.addInt32(5).add(salt).flush(code('R'));
}

/** SASL (SCRAM) exchange: 10 offers mechanisms, 11 continues, 12 ends with the server's proof. */
export function authenticationSasl(mechanisms: string[]): Buffer {
  writer.addInt32(10);
  for (const mechanism of mechanisms) writer.addCString(mechanism);
  return writer.addCString('').flush(code('R'));
}

export function authenticationSaslStep(step: 11 | 12, data: string): Buffer {
  return writer.addInt32(step).addString(data).flush(code('R'));
}

export function authenticationOk(): Buffer {
  return writer.addInt32(0).flush(code('R'));
}

/** One row of COPY's text format: tab-separated, `\N` for NULL, backslash escapes. */
export function copyTextLine(values: Array<string | null>): string {
  return `${values.map((v) => (v === null ? '\\N' : escapeCopy(v))).join('\t')}\n`;
}

function escapeCopy(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}
