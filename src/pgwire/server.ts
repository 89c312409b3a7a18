/**
 * The Postgres-wire SUBSCRIBE server: connection start-up (SSL and GSSAPI refusal, the startup
 * message, password exchange, cancel requests), then every message goes to the connection's Session.
 * Messages are (de)serialized with node-postgres' pg-protocol reader and writer. (pg-gateway was
 * the first choice for start-up, but its stable 0.2 release slices every message after the first
 * in a TCP packet wrongly, which breaks pipelining clients such as psycopg and node-postgres.)
 *
 * Who may connect: with `--pg-password`, anyone who gives it (MD5 exchange); without one, only
 * clients on the loopback interface (trust), so that `--host 0.0.0.0` never opens the views to the
 * network by accident.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from '../core/log.js';
import type { Hub } from '../hub/hub.js';
import { errorMessage, ViewcastError } from '../core/errors.js';
import {
  authenticationMd5,
  authenticationOk,
  backendKeyData,
  errorResponse,
  parameterStatus,
  readyForQuery,
} from './backend-messages.js';
import { MAX_MESSAGE_BYTES, MessageFramer } from './message-framer.js';
import { PgError, SQLSTATE } from './pg-error.js';
import { Session } from './session.js';

export interface PgServerOptions {
  hub: Hub;
  host: string;
  port: number;
  /** Null: trust loopback clients and refuse all others. */
  password: string | null;
  log: Logger;
}

export interface RunningPgServer {
  port: number;
  /** A connection URL for psql and drivers. */
  url: string;
  /** Open client sessions. */
  readonly sessions: number;
  /** Resolves once no more than `count` sessions are open (a closed connection frees its subscriptions). */
  whenSessions(count: number): Promise<void>;
  close(): Promise<void>;
}

/** What Materialize reports, so that tools written for it see the same server. */
const SERVER_VERSION = '9.5.0';
const PROTOCOL_3 = 196608;
const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const GSSENC_REQUEST = 80877104;

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

export async function startPgServer(options: PgServerOptions): Promise<RunningPgServer> {
  const sessions = new Map<number, { session: Session; secret: number }>();
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  let nextProcessId = 1;

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000); // a client that vanished without a FIN still frees its subscriptions
    socket.on('error', () => undefined); // a client that vanished; 'close' cleans up
    const connection = new Connection(socket, options, sessions, nextProcessId++);
    socket.on('data', (chunk: Buffer) => connection.receive(chunk));
    socket.on('close', () => {
      sockets.delete(socket);
      connection.close();
      for (const waiter of [...waiters]) waiter();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new ViewcastError(
          'VIEWCAST_PG_LISTEN',
          `Cannot listen for Postgres-wire clients on ${options.host}:${options.port}: ${error.code ?? error.message}. ` +
            'Choose another --pg-port, or 0 to turn the Postgres-wire server off.',
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    port,
    url: `postgresql://materialize@${host}:${port}/materialize`,
    get sessions() {
      return sessions.size;
    },
    whenSessions: (count) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (sessions.size > count) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const { session } of sessions.values()) session.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

type Sessions = Map<number, { session: Session; secret: number }>;

/** One socket from its first byte: start-up and authentication, then its Session. */
class Connection {
  private readonly framer = new MessageFramer();
  private session: Session | null = null;
  private salt: Buffer | null = null;
  private user = '';
  private parameters: Record<string, string> = {};
  private readonly secret = randomInt(0, 2 ** 31);

  constructor(
    private readonly socket: Socket,
    private readonly options: PgServerOptions,
    private readonly sessions: Sessions,
    private readonly processId: number,
  ) {}

  receive(chunk: Buffer): void {
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
    this.session?.close();
    this.sessions.delete(this.processId);
  }

  private startUp(message: Buffer): void {
    if (!this.framer.started) {
      const code = message.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
        this.socket.write('N'); // no encryption here: the client goes on with a plain startup message
      } else if (code === CANCEL_REQUEST && message.length >= 16) {
        const target = this.sessions.get(message.readInt32BE(8));
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
    if (this.salt && message[0] === 'p'.charCodeAt(0)) {
      const given = message.subarray(5, message.indexOf(0, 5)).toString('utf8');
      const expected = md5Password(this.user, this.options.password ?? '', this.salt);
      if (!equal(given, expected))
        fatal(SQLSTATE.invalidPassword, `password authentication failed for user "${this.user}"`);
      this.ready();
      return;
    }
    fatal(SQLSTATE.protocolViolation, 'expected a password message');
  }

  private readStartup(message: Buffer): void {
    const fields = message.subarray(8).toString('utf8').split('\0');
    for (let i = 0; i + 1 < fields.length && fields[i] !== ''; i += 2)
      this.parameters[fields[i] as string] = fields[i + 1] as string;
    this.user = this.parameters['user'] ?? '';
    if (!this.user)
      fatal(SQLSTATE.invalidAuthorization, 'no user name given', 'connect as any user, e.g. materialize');
    if (this.options.password !== null) {
      this.salt = randomBytes(4);
      this.socket.write(authenticationMd5(this.salt));
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
    this.session = new Session(this.options.hub, this.socket, shown, (error) =>
      this.options.log.error(`pg wire: ${errorMessage(error)}`),
    );
    this.sessions.set(this.processId, { session: this.session, secret: this.secret });
  }
}

function fatal(sqlstate: PgError['sqlstate'], message: string, hint?: string): never {
  throw new PgError(sqlstate, message, { severity: 'FATAL', ...(hint ? { hint } : {}) });
}

/** The MD5 exchange: 'md5' + md5(md5(password + user) + salt), in hex. */
export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5')
    .update(password + user)
    .digest('hex');
  return `md5${createHash('md5')
    .update(Buffer.concat([Buffer.from(inner), salt]))
    .digest('hex')}`;
}
