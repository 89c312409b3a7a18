/**
 * The binary format of the common types, for parameters and result columns that a client asks for
 * in binary (psycopg sends Python ints as binary int2/int4/int8; `cursor(binary=True)` reads binary).
 * Values travel through the server as Postgres text; these functions convert at the edge, so every
 * statement kind (SELECT, SUBSCRIBE, FETCH) gets binary for free.
 * https://www.postgresql.org/docs/current/protocol-overview.html#PROTOCOL-FORMAT-CODES
 */
import { PgError, SQLSTATE } from './pg-error.js';

/** Microseconds between 1970-01-01 and Postgres's epoch, 2000-01-01. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const DAY_MS = 86_400_000;

export const BINARY_OIDS = new Set([
  16, 17, 20, 21, 23, 25, 114, 700, 701, 1043, 1082, 1114, 1184, 1700, 3802, 19, 26, 18, 1042,
]);

function unsupported(oid: number): PgError {
  return new PgError(SQLSTATE.featureNotSupported, `binary format of type ${oid} is not supported`, {
    hint: 'ask for this column or parameter in text format.',
  });
}

/** A binary parameter of type `oid` as Postgres text. */
export function binaryToText(oid: number, data: Buffer): string {
  switch (oid) {
    case 16:
      return data[0] ? 't' : 'f';
    case 21:
      return String(data.readInt16BE(0));
    case 23:
    case 26:
      return oid === 26 ? String(data.readUInt32BE(0)) : String(data.readInt32BE(0));
    case 20:
      return data.readBigInt64BE(0).toString();
    case 700:
      return String(data.readFloatBE(0));
    case 701:
      return String(data.readDoubleBE(0));
    case 0:
    case 25:
    case 1043:
    case 19:
    case 18:
    case 1042:
    case 114:
      return data.toString('utf8');
    case 3802:
      return data.subarray(1).toString('utf8'); // version byte 1, then the JSON text
    case 17:
      return `\\x${data.toString('hex')}`;
    case 1082:
      return new Date(PG_EPOCH_MS + data.readInt32BE(0) * DAY_MS).toISOString().slice(0, 10);
    case 1114:
    case 1184: {
      const micros = data.readBigInt64BE(0);
      const ms = Number(micros / 1000n);
      const rest = Number(((micros % 1000n) + 1000n) % 1000n);
      const iso = new Date(PG_EPOCH_MS + ms).toISOString();
      const fraction = `${iso.slice(20, 23)}${String(rest).padStart(3, '0')}`.replace(/0+$/, '');
      const text = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}`;
      return oid === 1184 ? `${text}+00` : text;
    }
    case 1700:
      return numericFromBinary(data);
    default:
      throw unsupported(oid);
  }
}

/** A Postgres text value of type `oid` in the binary format. */
export function textToBinary(oid: number, text: string): Buffer {
  switch (oid) {
    case 16:
      return Buffer.from([text === 't' || text === 'true' ? 1 : 0]);
    case 21:
      return int(2, (b) => b.writeInt16BE(Number(text)));
    case 23:
      return int(4, (b) => b.writeInt32BE(Number(text)));
    case 26:
      return int(4, (b) => b.writeUInt32BE(Number(text)));
    case 20:
      return int(8, (b) => b.writeBigInt64BE(BigInt(text)));
    case 700:
      return int(4, (b) => b.writeFloatBE(Number(text)));
    case 701:
      return int(8, (b) => b.writeDoubleBE(Number(text)));
    case 25:
    case 1043:
    case 19:
    case 18:
    case 1042:
    case 114:
      return Buffer.from(text, 'utf8');
    case 3802:
      return Buffer.concat([Buffer.from([1]), Buffer.from(text, 'utf8')]);
    case 17:
      return Buffer.from(text.slice(2), 'hex');
    case 1082:
      return int(4, (b) =>
        b.writeInt32BE(Math.round((Date.parse(`${text}T00:00:00Z`) - PG_EPOCH_MS) / DAY_MS)),
      );
    case 1114:
    case 1184:
      return int(8, (b) => b.writeBigInt64BE(timestampMicros(text)));
    case 1700:
      return numericToBinary(text);
    default:
      throw unsupported(oid);
  }
}

function int(size: number, write: (b: Buffer) => void): Buffer {
  const buffer = Buffer.alloc(size);
  write(buffer);
  return buffer;
}

/** `2026-05-05 12:00:00.123456+00` (or without zone) as microseconds since 2000-01-01 UTC. */
function timestampMicros(text: string): bigint {
  const match = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?([+-]\d\d(?::?\d\d)?)?$/.exec(text);
  if (!match) throw unsupported(1114);
  const zone = match[4] ? (match[4].length === 3 ? `${match[4]}:00` : match[4]) : 'Z';
  const seconds = Date.parse(`${match[1]}T${match[2]}${zone}`);
  const micros = BigInt((match[3] ?? '').padEnd(6, '0') || '0');
  return BigInt(seconds - PG_EPOCH_MS) * 1000n + micros;
}

const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;

/** numeric: ndigits, weight, sign, dscale, then base-10000 digits. */
function numericToBinary(text: string): Buffer {
  if (text === 'NaN') return header(0, 0, NUMERIC_NAN, 0, []);
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = text.replace(/^[-+]/, '').split('.');
  const intPart = whole.replace(/^0+/, '');
  const padInt = intPart.padStart(Math.ceil(intPart.length / 4) * 4, '0');
  const padFrac = fraction.padEnd(Math.ceil(fraction.length / 4) * 4, '0');
  const digits: number[] = [];
  for (let i = 0; i < padInt.length; i += 4) digits.push(Number(padInt.slice(i, i + 4)));
  for (let i = 0; i < padFrac.length; i += 4) digits.push(Number(padFrac.slice(i, i + 4)));
  let weight = padInt.length / 4 - 1;
  while (digits.length > 0 && digits[0] === 0) {
    digits.shift();
    weight -= 1;
  }
  while (digits.length > 0 && digits[digits.length - 1] === 0) digits.pop();
  if (digits.length === 0) weight = 0;
  return header(
    digits.length,
    weight,
    negative && digits.length > 0 ? NUMERIC_NEG : 0,
    fraction.length,
    digits,
  );
}

function header(ndigits: number, weight: number, sign: number, dscale: number, digits: number[]): Buffer {
  const buffer = Buffer.alloc(8 + 2 * ndigits);
  buffer.writeInt16BE(ndigits, 0);
  buffer.writeInt16BE(weight, 2);
  buffer.writeUInt16BE(sign, 4);
  buffer.writeInt16BE(dscale, 6);
  digits.forEach((d, i) => buffer.writeInt16BE(d, 8 + 2 * i));
  return buffer;
}

function numericFromBinary(data: Buffer): string {
  const ndigits = data.readInt16BE(0);
  const weight = data.readInt16BE(2);
  const sign = data.readUInt16BE(4);
  const dscale = data.readInt16BE(6);
  if (sign === NUMERIC_NAN) return 'NaN';
  const digits = Array.from({ length: ndigits }, (_, i) => data.readInt16BE(8 + 2 * i));
  let whole = '';
  for (let w = 0; w <= weight; w++) whole += String(digits[w] ?? 0).padStart(4, '0');
  let fraction = '';
  for (let w = Math.max(weight + 1, 0); w < ndigits; w++) fraction += String(digits[w] ?? 0).padStart(4, '0');
  if (weight < -1) fraction = '0'.repeat(4 * (-1 - weight)) + fraction;
  whole = whole.replace(/^0+/, '') || '0';
  fraction = fraction.padEnd(dscale, '0').slice(0, dscale);
  return `${sign === NUMERIC_NEG ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}
