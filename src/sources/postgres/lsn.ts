/**
 * Log sequence numbers: a position in Postgres's write-ahead log, a 64-bit integer that Postgres
 * writes as two hexadecimal halves (`16/B374D848`). Carried as bigint in memory and in Postgres's
 * own text form wherever a position is stored or logged, so that it can be pasted into SQL.
 */
import { ViewcastError } from '../../core/errors.js';

export type Lsn = bigint;

export const ZERO_LSN: Lsn = 0n;

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function parseLsn(text: string): Lsn {
  const match = LSN_TEXT.exec(text.trim());
  if (!match) {
    throw new ViewcastError(
      'VIEWCAST_PG_POSITION',
      `"${text}" is not a Postgres replication position (expected an LSN such as 0/16B3748). ` +
        `The stored position of the postgres source is damaged: start with a fresh data directory.`,
    );
  }
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: Lsn): string {
  const high = (lsn >> 32n).toString(16).toUpperCase();
  const low = (lsn & 0xffffffffn).toString(16).toUpperCase();
  return `${high}/${low}`;
}

export function maxLsn(a: Lsn, b: Lsn): Lsn {
  return a > b ? a : b;
}
