/**
 * The Postgres-wire SUBSCRIBE server of `serve` and of a gateway (`--engine`), with the set-up
 * relations a client may CREATE ... IF NOT EXISTS (the views file's input table).
 */
import type { Hub } from '../hub/hub.js';
import type { Logger } from '../core/log.js';
import { startPgServer, type PgServerOptions, type RunningPgServer } from '../pgwire/server.js';
import type { ServeOptions } from './options.js';

/** The Postgres-wire SUBSCRIBE server on --pg-port (0: off), serving from the hub. */
export async function startPgWire(
  hub: Hub,
  options: ServeOptions,
  log: Logger,
  setup: PgServerOptions['setup'] = {},
  remote?: PgServerOptions['remote'],
  maintainer?: PgServerOptions['maintainer'],
): Promise<RunningPgServer | null> {
  if (options.pgPort === 0) return null;
  const pg = await startPgServer({
    hub,
    host: options.host,
    port: options.pgPort,
    password: options.pgPassword,
    log,
    settings: options.pg,
    setup,
    ...(remote ? { remote } : {}),
    ...(maintainer ? { maintainer } : {}),
  });
  const auth = options.pgPassword === null ? 'trust on loopback' : `password, ${options.pg.auth}`;
  log.info(`Postgres wire: ${pg.url} (${auth}${options.pg.tls ? ', TLS offered' : ''})`);
  return pg;
}
