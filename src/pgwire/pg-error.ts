/**
 * Errors the Postgres-wire server reports to its clients: a SQLSTATE that drivers match on, and a
 * message that says what to do instead.
 */
import { ViewcastError } from '../core/errors.js';

/** The SQLSTATEs this server uses (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const SQLSTATE = {
  syntaxError: '42601',
  undefinedTable: '42P01',
  undefinedColumn: '42703',
  undefinedObject: '42704',
  groupingError: '42803',
  datatypeMismatch: '42804',
  featureNotSupported: '0A000',
  readOnlyTransaction: '25006',
  noActiveTransaction: '25P01',
  inFailedTransaction: '25P02',
  invalidCursorName: '34000',
  duplicateCursor: '42P03',
  duplicatePreparedStatement: '42P05',
  invalidPreparedStatement: '26000',
  invalidParameterValue: '22023',
  invalidTextRepresentation: '22P02',
  protocolViolation: '08P01',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  invalidPassword: '28P01',
  invalidAuthorization: '28000',
  programLimitExceeded: '54000',
  internalError: 'XX000',
  tooManyConnections: '53300',
  idleSessionTimeout: '57P05',
  duplicateTable: '42P07',
  insufficientPrivilege: '42501',
} as const;

export type Sqlstate = (typeof SQLSTATE)[keyof typeof SQLSTATE];

export class PgError extends ViewcastError {
  readonly position: number | undefined;
  readonly hint: string | undefined;
  readonly severity: 'ERROR' | 'FATAL';

  constructor(
    readonly sqlstate: Sqlstate,
    message: string,
    options: { position?: number; hint?: string; severity?: 'ERROR' | 'FATAL' } = {},
  ) {
    super(`VIEWCAST_SQL_${sqlstate}`, message);
    this.name = 'PgError';
    this.position = options.position;
    this.hint = options.hint;
    this.severity = options.severity ?? 'ERROR';
  }
}

export function readOnly(what: string): PgError {
  return new PgError(SQLSTATE.readOnlyTransaction, `cannot execute ${what} in a read-only transaction`, {
    hint: 'viewcast serves views read-only; events enter through its sources (--source).',
  });
}

export function unknownView(name: string, known: string[]): PgError {
  return new PgError(SQLSTATE.undefinedTable, `unknown catalog item '${name}'`, {
    hint: `the views served here are: ${known.join(', ') || 'none'}`,
  });
}

export function canceled(): PgError {
  return new PgError(SQLSTATE.queryCanceled, 'canceling statement due to user request');
}
