/**
 * A viewcast gateway: `viewcast serve --engine postgres://...`. The views come from a remote
 * engine (Materialize or another viewcast) and are served to browsers and Postgres-wire clients
 * exactly as the embedded engine's are. No sources run here: the remote owns ingest.
 */
import { RemoteEngine, type RemoteEngineStatus } from '../engine/remote/remote-engine.js';
import { Hub } from '../hub/hub.js';
import type { RunningPgServer } from '../pgwire/server.js';
import { startServer, type RunningServer } from '../server/http-server.js';
import { startPgWire } from './start-pg-wire.js';
import { remoteQueries } from '../pgwire/remote-queries.js';
import { PassedThroughQueries } from '../pgwire/remote-query-views.js';
import type { Logger } from '../core/log.js';
import type { ServeOptions } from './options.js';

export interface RemoteApp {
  url: string;
  engine: RemoteEngine;
  hub: Hub;
  server: RunningServer;
  pg: RunningPgServer | null;
  status(): RemoteAppStatus;
  close(): Promise<void>;
}

/** What stands in for a source on a gateway: the engine it follows (the dashboard shows its kind). */
export interface RemoteSourceReport {
  kind: 'remote engine';
  description: string;
}

export interface RemoteAppStatus {
  source: RemoteSourceReport;
  sources: RemoteSourceReport[];
  engine: RemoteEngineStatus & { timestamp: number | null };
  views: Record<string, { timestamp: number | null; rows: number; resets: number }>;
}

export async function startRemoteApp(options: ServeOptions, log: Logger): Promise<RemoteApp> {
  const engine = new RemoteEngine({ url: options.engine, log });
  log.info(`engine: remote, ${engine.target.display} (no sources run here: the engine owns ingest)`);
  await engine.start();
  log.info(`views from the engine: ${engine.views.map((v) => v.name).join(', ')}`);
  const hub = new Hub(engine, { retention: options.retention });
  await hub.start();
  const upstream: RemoteSourceReport = {
    kind: 'remote engine',
    description: `the views of the engine at ${engine.target.display}, which owns ingest`,
  };
  const status = (): RemoteAppStatus => ({
    source: upstream,
    sources: [upstream],
    engine: { ...engine.status(), timestamp: hub.timestamp },
    views: Object.fromEntries(
      hub.views.map((c) => [c.name, { timestamp: c.timestamp, rows: c.rows.size, resets: c.resets }]),
    ),
  });
  const server = await startServer({ hub, status, options: options.server }, options.host, options.port);
  // SELECTs from Postgres-wire clients go to the remote engine, which owns the data.
  const remote = remoteQueries(engine.target.connectionString, options.pg.statementTimeoutMs);
  // SUBSCRIBE of a query is passed through too: the remote maintains it, the gateway re-runs nothing.
  const queryViews = new PassedThroughQueries(engine, remote, (message) => log.warn(`pg wire: ${message}`));
  const pg = await startPgWire(hub, options, log, {}, remote, queryViews);
  let closing: Promise<void> | null = null;
  return {
    url: server.url,
    engine,
    hub,
    server,
    pg,
    status,
    close: () => {
      closing ??= (async () => {
        await server.close();
        await pg?.close();
        await remote.close();
        hub.close();
        await engine.close();
      })();
      return closing;
    },
  };
}
