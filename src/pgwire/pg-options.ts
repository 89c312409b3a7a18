/**
 * The Postgres-wire server's limits and security settings, their defaults, and the flags that set
 * them (`viewcast serve --pg-*`). Merged as `{...PG_DEFAULTS, ...given}`.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { AUTH_METHODS, type AuthMethod } from './password-auth.js';

export interface PgLimits {
  /** Most open connections; one more is refused with 53300, as Postgres does. */
  maxConnections: number;
  /** A connection with no statement running and no message for this long is closed (57P05). 0: never. */
  idleTimeoutMs: number;
  /** Messages a client may queue behind a running statement (a streaming SUBSCRIBE) before it is closed. */
  maxQueuedMessages: number;
  /** Bytes a client may queue behind a running statement. */
  maxQueuedBytes: number;
  /** Most rows a SELECT may return; more is refused with 54000. */
  maxRows: number;
  /** Longest a SELECT (or one re-evaluation of a SUBSCRIBE over a query) may run. */
  statementTimeoutMs: number;
}

export interface PgSecurity {
  /** How a password is checked when one is set. */
  auth: AuthMethod;
  /** PEM certificate and key: TLS is offered to clients that ask (sslmode=require). */
  tls: { cert: Buffer; key: Buffer } | null;
}

export const PG_DEFAULTS: PgLimits & PgSecurity = {
  maxConnections: 100,
  idleTimeoutMs: 10 * 60_000,
  maxQueuedMessages: 1000,
  maxQueuedBytes: 32 * 1024 * 1024,
  maxRows: 100_000,
  statementTimeoutMs: 10_000,
  auth: 'scram-sha-256',
  tls: null,
};

/** `parseArgs` option specs of the --pg-* flags (beside --pg-port and --pg-password). */
export const PG_FLAGS = {
  'pg-max-connections': { type: 'string' },
  'pg-idle-timeout': { type: 'string' },
  'pg-max-rows': { type: 'string' },
  'pg-statement-timeout': { type: 'string' },
  'pg-auth': { type: 'string' },
  'pg-tls-cert': { type: 'string' },
  'pg-tls-key': { type: 'string' },
} as const;

export const PG_HELP = `  --pg-max-connections N  most open Postgres-wire connections [${PG_DEFAULTS.maxConnections}]
  --pg-idle-timeout S  close a Postgres-wire connection idle this many seconds; 0 never [600]
  --pg-max-rows N      most rows one SELECT returns [${PG_DEFAULTS.maxRows}]
  --pg-statement-timeout S  longest a SELECT runs, in seconds [10]
  --pg-auth METHOD     password check: scram-sha-256 or md5 (for old clients) [scram-sha-256]
  --pg-tls-cert FILE   PEM certificate; with --pg-tls-key, clients may use TLS (sslmode=require)
  --pg-tls-key FILE    PEM private key of --pg-tls-cert
`;

type Values = Partial<Record<keyof typeof PG_FLAGS, string>>;

function whole(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min)
    throw new UsageError(`--${flag} takes a number of at least ${min}, not "${text}".`);
  return value;
}

export function pgSettings(values: Values): PgLimits & PgSecurity {
  const auth = (values['pg-auth'] ?? PG_DEFAULTS.auth) as AuthMethod;
  if (!AUTH_METHODS.includes(auth))
    throw new UsageError(`--pg-auth takes ${AUTH_METHODS.join(' or ')}, not "${values['pg-auth']}".`);
  const cert = values['pg-tls-cert'];
  const key = values['pg-tls-key'];
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('--pg-tls-cert and --pg-tls-key go together: give both files, or neither.');
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new UsageError(`--${flag} ${file} cannot be read: ${(error as Error).message}`);
    }
  };
  return {
    maxConnections: Math.floor(
      whole('pg-max-connections', values['pg-max-connections'], PG_DEFAULTS.maxConnections, 1),
    ),
    idleTimeoutMs:
      whole('pg-idle-timeout', values['pg-idle-timeout'], PG_DEFAULTS.idleTimeoutMs / 1000, 0) * 1000,
    maxQueuedMessages: PG_DEFAULTS.maxQueuedMessages,
    maxQueuedBytes: PG_DEFAULTS.maxQueuedBytes,
    maxRows: Math.floor(whole('pg-max-rows', values['pg-max-rows'], PG_DEFAULTS.maxRows, 1)),
    statementTimeoutMs:
      whole(
        'pg-statement-timeout',
        values['pg-statement-timeout'],
        PG_DEFAULTS.statementTimeoutMs / 1000,
        0.001,
      ) * 1000,
    auth,
    tls: cert && key ? { cert: read('pg-tls-cert', cert), key: read('pg-tls-key', key) } : null,
  };
}
