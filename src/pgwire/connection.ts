/**
 * One Postgres-wire connection from its first byte: TLS (on SSLRequest, when a certificate is
 * set), the startup message, the connection limit, the password exchange (SCRAM-SHA-256 or MD5),
 * the idle timeout, then its Session.
 */
import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { errorMessage } from '../core/errors.js';
import {
  authenticationOk,
  backendKeyData,
  errorResponse,
  parameterStatus,
  readyForQuery,
} from './backend-messages.js';
import { MAX_MESSAGE_BYTES, MessageFramer } from './message-framer.js';
import { PgError, SQLSTATE } from './pg-error.js';
import type { PgLimits, PgSecurity } from './pg-options.js';
import { md5Exchange, scramExchange, type PasswordExchange, type ScramSecret } from './password-auth.js';
import type { PgServerOptions } from './server.js';
import { Session, type SessionContext } from './session.js';

/**
 * The version of the catalog that answers catalog queries (PGlite's Postgres 18), so that psql
 * and GUI tools send catalog queries it understands (for 9.5, which Materialize reports, psql's
 * \d asks for pg_class.relhasoids, which Postgres 12 removed).
 */
const SERVER_VERSION = '18.6';
const PROTOCOL_3 = 196608;
const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const GSSENC_REQUEST = 80877104;

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

export type Sessions = Map<number, { session: Session; secret: number }>;

export interface Shared {
  options: PgServerOptions;
  settings: PgLimits & PgSecurity;
  sessions: Sessions;
  sockets: Set<Socket>;
  scram: ScramSecret | null;
  tls: SecureContext | null;
  context: SessionContext;
}

/** One socket from its first byte: TLS, start-up and authentication, then its Session. */
export class Connection {
  private readonly framer = new MessageFramer();
  private session: Session | null = null;
  private exchange: PasswordExchange | null = null;
  private user = '';
  private parameters: Record<string, string> = {};
  private readonly secret = randomInt(0, 2 ** 31);
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private socket: Socket,
    private readonly shared: Shared,
    private readonly processId: number,
  ) {
    this.listen(socket);
    this.armIdle();
  }

  private listen(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /** Closes the connection once it has been idle (no message, no statement running) for the limit. */
  private armIdle(): void {
    const ms = this.shared.settings.idleTimeoutMs;
    if (ms <= 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.session?.busy) return this.armIdle();
      this.socket.end(
        errorResponse(
          new PgError(SQLSTATE.idleSessionTimeout, 'terminating connection due to idle-session timeout', {
            severity: 'FATAL',
            hint: `connections idle for ${ms / 1000} s are closed (--pg-idle-timeout).`,
          }),
        ),
      );
    }, ms);
    this.idleTimer.unref();
  }

  receive(chunk: Buffer): void {
    this.armIdle();
    try {
      let messages = this.framer.push(chunk);
      while (messages.length > 0) {
        for (const message of messages) {
          if (this.session) this.session.receive(message);
          else this.startUp(message);
        }
        // Start-up messages come one at a time; the rest of the chunk is read once the mode is known.
        messages = this.socket.destroyed ? [] : this.framer.drain();
      }
    } catch (error) {
      const pgError =
        error instanceof PgError ? error : new PgError(SQLSTATE.protocolViolation, errorMessage(error));
      this.socket.end(errorResponse(pgError));
    }
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.session?.close();
    this.shared.sessions.delete(this.processId);
  }

  private startUp(message: Buffer): void {
    if (!this.framer.started) {
      const code = message.readInt32BE(4);
      if (code === SSL_REQUEST && this.shared.tls && !(this.socket instanceof TLSSocket)) {
        this.startTls(this.shared.tls);
      } else if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write('N'); // no encryption here: the client goes on with a plain startup message
      } else if (code === CANCEL_REQUEST && message.length >= 16) {
        const target = this.shared.sessions.get(message.readInt32BE(8));
        if (target && target.secret === message.readInt32BE(12)) target.session.cancel();
        this.socket.end();
      } else if (code === PROTOCOL_3) {
        this.framer.started = true;
        this.readStartup(message);
      } else {
        fatal(
          SQLSTATE.protocolViolation,
          `unsupported frontend protocol ${code >> 16}.${code & 0xffff}`,
          'use protocol 3.0',
        );
      }
      return;
    }
    if (this.exchange && message[0] === 'p'.charCodeAt(0)) {
      const step = this.exchange.step(message.subarray(5));
      for (const reply of step.reply) this.socket.write(reply);
      if (step.done) this.ready();
      return;
    }
    fatal(SQLSTATE.protocolViolation, 'expected a password message');
  }

  /** 'S', then the same connection speaks TLS: the client sends its startup message encrypted. */
  private startTls(context: SecureContext): void {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.write('S');
    const secure = new TLSSocket(raw, { isServer: true, secureContext: context });
    secure.on('error', () => raw.destroy());
    this.socket = secure;
    this.listen(secure);
  }

  private readStartup(message: Buffer): void {
    const fields = message.subarray(8).toString('utf8').split('\0');
    for (let i = 0; i + 1 < fields.length && fields[i] !== ''; i += 2)
      this.parameters[fields[i] as string] = fields[i + 1] as string;
    this.user = this.parameters['user'] ?? '';
    const { options, settings, sockets } = this.shared;
    if (sockets.size > settings.maxConnections)
      fatal(
        SQLSTATE.tooManyConnections,
        'sorry, too many clients already',
        `at most ${settings.maxConnections} Postgres-wire connections are open at once (--pg-max-connections).`,
      );
    if (!this.user)
      fatal(SQLSTATE.invalidAuthorization, 'no user name given', 'connect as any user, e.g. materialize');
    if (options.password !== null) {
      this.exchange = this.shared.scram
        ? scramExchange(this.user, this.shared.scram)
        : md5Exchange(this.user, options.password);
      this.socket.write(this.exchange.begin());
    } else if (!isLoopback(this.socket.remoteAddress)) {
      fatal(
        SQLSTATE.invalidAuthorization,
        `viewcast accepts Postgres-wire clients from ${this.socket.remoteAddress} only with a password`,
        'start viewcast with --pg-password, or connect from this machine',
      );
    } else {
      this.ready();
    }
  }

  private ready(): void {
    this.framer.limit = MAX_MESSAGE_BYTES;
    const client = this.parameters;
    const parameters: Record<string, string> = {
      server_version: SERVER_VERSION,
      server_encoding: 'UTF8',
      client_encoding: 'UTF8',
      DateStyle: 'ISO, MDY',
      IntervalStyle: 'postgres',
      TimeZone: 'UTC',
      integer_datetimes: 'on',
      standard_conforming_strings: 'on',
      is_superuser: 'off',
      application_name: client['application_name'] ?? '',
      session_authorization: this.user,
    };
    const out: Buffer[] = [authenticationOk()];
    for (const [name, value] of Object.entries(parameters)) out.push(parameterStatus(name, value));
    out.push(backendKeyData(this.processId, this.secret), readyForQuery('I'));
    this.socket.write(Buffer.concat(out));
    const shown: Record<string, string> = {
      transaction_isolation: 'serializable',
      database: client['database'] ?? this.user,
    };
    for (const [name, value] of Object.entries(parameters)) shown[name.toLowerCase()] = value;
    this.session = new Session(this.shared.context, this.socket, shown);
    this.shared.sessions.set(this.processId, { session: this.session, secret: this.secret });
  }
}

function fatal(sqlstate: PgError['sqlstate'], message: string, hint?: string): never {
  throw new PgError(sqlstate, message, { severity: 'FATAL', ...(hint ? { hint } : {}) });
}
