/**
 * The HTTP server: routes (routes.ts) and WebSocket upgrades. Plain node:http keeps the hot path
 * free of framework overhead. Every check of an upgrade (path, origin, token) happens before a
 * WebSocket exists, answered with an HTTP status.
 */
import { PATHS, STREAM_FORMAT_PARAM, STREAM_FORMAT_POSITIONAL } from '../core/wire-protocol.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Hub } from '../hub/hub.js';
import { Fanout } from './fanout.js';
import { checkAccess, refuseUpgrade } from './guards.js';
import { Heartbeat } from './heartbeat.js';
import { ServerMetrics } from './metrics.js';
import type { IngestEndpoint } from './ingest-route.js';
import { route, sendJson, viewName, type RouteContext } from './routes.js';
import { SERVER_DEFAULTS, type ServerOptions } from './server-options.js';
import { serveStream } from './stream-socket.js';
import { serveSubscribe } from './subscribe-socket.js';

export interface ServerContext {
  hub: Hub;
  status: () => unknown;
  /** Whether the app can serve (for /readyz); defaults to "the hub has a timestamp". */
  ready?: () => boolean;
  options?: Partial<ServerOptions>;
  /** `POST /api/ingest`, when turned on with --ingest-token. */
  ingest?: IngestEndpoint | null;
}

export interface RunningServer {
  server: Server;
  url: string;
  fanout: Fanout;
  heartbeat: Heartbeat;
  /** The Prometheus registry behind /metrics; the app reports commits to it. */
  metrics: ServerMetrics;
  close(): Promise<void>;
}

/** Policy violation: sent right after the upgrade to a socket over the connection limit. */
const CLOSE_POLICY = 1008;

export async function startServer(
  context: ServerContext,
  host: string,
  port: number,
): Promise<RunningServer> {
  const options: ServerOptions = { ...SERVER_DEFAULTS, ...context.options };
  const { hub } = context;
  const fanout = new Fanout(hub, options);
  const heartbeat = new Heartbeat(options.heartbeatMs);
  const metrics = new ServerMetrics(hub, fanout, heartbeat);
  let closing = false;
  const routes: RouteContext = {
    hub,
    fanout,
    heartbeat,
    metrics,
    options,
    status: context.status,
    ingest: context.ingest ?? null,
    ready: () => !closing && (context.ready?.() ?? hub.timestamp !== null),
  };
  const server = createServer((req, res) => {
    route(routes, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: String(error) } });
      else res.destroy();
    });
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const view = viewName(url.pathname, PATHS.streamPrefix);
    if (view === null && url.pathname !== PATHS.subscribe) {
      refuseUpgrade(socket, { status: 404, code: 'NOT_FOUND', message: `no WebSocket at ${url.pathname}` });
      return;
    }
    const refused = checkAccess(req, url, options, true);
    if (refused) {
      fanout.refuse(refused.code.toLowerCase());
      refuseUpgrade(socket, refused);
      return;
    }
    const admitted = fanout.admit();
    sockets.handleUpgrade(req, socket, head, (ws) => {
      if (!admitted) {
        ws.close(CLOSE_POLICY, `too many connections (--max-connections ${options.maxConnections})`);
        return;
      }
      heartbeat.watch(ws);
      if (view === null) {
        serveSubscribe(ws, hub, fanout, options);
        return;
      }
      const closed = fanout.opened('stream');
      const untrack = fanout.trackBuffered(ws);
      ws.on('close', () => {
        closed();
        untrack();
      });
      const positional = url.searchParams.get(STREAM_FORMAT_PARAM) === STREAM_FORMAT_POSITIONAL;
      serveStream(
        ws,
        hub,
        view,
        (bytes) => fanout.sent('stream', bytes),
        options.clientBufferBytes,
        positional ? 'positional' : 'seed',
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    fanout,
    heartbeat,
    metrics,
    close: async () => {
      closing = true;
      fanout.close();
      metrics.close();
      heartbeat.close();
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
