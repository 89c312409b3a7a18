/**
 * The Postgres-wire SUBSCRIBE server: connection start-up (TLS on SSLRequest when a certificate is
 * set, GSSAPI refusal, the startup message, the password exchange, cancel requests), then every
 * message goes to the connection's Session. Messages are (de)serialized with node-postgres'
 * pg-protocol reader and writer. (pg-gateway was the first choice for start-up, but its stable 0.2
 * release slices every message after the first in a TCP packet wrongly, which breaks pipelining
 * clients such as psycopg and node-postgres.)
 *
 * Who may connect: with `--pg-password`, anyone who gives it (SCRAM-SHA-256, or MD5 with
 * `--pg-auth md5`); without one, only clients on the loopback interface (trust), so that
 * `--host 0.0.0.0` never opens the views to the network by accident. At most
 * `--pg-max-connections` at once; a connection idle for `--pg-idle-timeout` is closed.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Connection, type Sessions, type Shared } from './connection.js';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../core/log.js';
import type { Hub } from '../hub/hub.js';
import { errorMessage, ViewcastError } from '../core/errors.js';
import { PG_DEFAULTS, type PgLimits, type PgSecurity } from './pg-options.js';
import { scramSecret } from './password-auth.js';
import { QueryService, type RemoteQueries } from './query-service.js';
import { IncrementalQueries, ReevaluatedQueries, type QueryMaintainer } from './query-views.js';

export { md5Password } from './password-auth.js';
export { isLoopback } from './connection.js';

export interface PgServerOptions {
  hub: Hub;
  host: string;
  port: number;
  /** Null: trust loopback clients and refuse all others. */
  password: string | null;
  log: Logger;
  /** Limits and security; each missing field takes its PG_DEFAULTS value. */
  settings?: Partial<PgLimits & PgSecurity>;
  /** The relation events enter through, and the sources viewcast runs (for set-up scripts' notices). */
  setup?: { inputRelation?: string; sources?: string[] };
  /** On a gateway: SELECTs are answered by the remote engine. */
  remote?: RemoteQueries;
  /** On a gateway: SUBSCRIBE of a query is passed through to the remote engine (PassedThroughQueries). */
  maintainer?: QueryMaintainer;
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

export async function startPgServer(options: PgServerOptions): Promise<RunningPgServer> {
  const settings = { ...PG_DEFAULTS, ...options.settings };
  const sessions: Sessions = new Map();
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  let nextProcessId = 1;
  const queries = new QueryService(options.hub, settings, options.remote ?? null);
  const onInternalError = (error: unknown): void => options.log.error(`pg wire: ${errorMessage(error)}`);
  const shared: Shared = {
    options,
    settings,
    sessions,
    sockets,
    scram:
      options.password !== null && settings.auth === 'scram-sha-256' ? scramSecret(options.password) : null,
    tls: settings.tls ? createSecureContext({ cert: settings.tls.cert, key: settings.tls.key }) : null,
    context: {
      hub: options.hub,
      limits: settings,
      queries,
      maintainer:
        options.maintainer ??
        new IncrementalQueries(
          options.hub,
          new ReevaluatedQueries(options.hub, queries, onInternalError),
          (message) => options.log.info(`pg wire: ${message}`),
        ),
      setup: options.setup ?? {},
      onInternalError,
    },
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000); // a client that vanished without a FIN still frees its subscriptions
    socket.on('error', () => undefined); // a client that vanished; 'close' cleans up
    const connection = new Connection(socket, shared, nextProcessId++);
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
        void queries.close();
      }),
  };
}
