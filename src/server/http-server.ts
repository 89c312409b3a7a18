/**
 * The HTTP server: JSON routes, the dashboard's static files, and WebSocket upgrades. Plain
 * node:http keeps the hot path free of framework overhead.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Hub } from '../hub/hub.js';
import { handleIngest, type IngestEndpoint } from './ingest-route.js';
import { serveStatic } from './static-files.js';
import { serveStream } from './stream-socket.js';

export interface ServerContext {
  hub: Hub;
  status: () => unknown;
  /** `POST /api/ingest`, when turned on with --ingest-token. */
  ingest?: IngestEndpoint | null;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function viewName(pathname: string, prefix: string): string | null {
  if (!pathname.startsWith(prefix)) return null;
  const name = pathname.slice(prefix.length);
  if (!name || name.includes('/')) return null;
  try {
    return decodeURIComponent(name);
  } catch {
    return null;
  }
}

async function route(context: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const { pathname } = url;
  if (pathname === '/api/ingest') {
    await handleIngest(context.ingest ?? null, req, res);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, {
      error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed on ${pathname}` },
    });
    return;
  }
  if (pathname === '/api/views') {
    sendJson(
      res,
      200,
      context.hub.views.map((c) => ({ name: c.name, columns: c.info.columns, timestamp: c.timestamp })),
    );
    return;
  }
  const view = viewName(pathname, '/api/views/');
  if (view !== null) {
    const channel = context.hub.channel(view);
    if (!channel) {
      sendJson(res, 404, { error: { code: 'UNKNOWN_VIEW', message: `unknown view "${view}"` } });
      return;
    }
    sendJson(res, 200, {
      view,
      timestamp: channel.timestamp,
      columns: channel.info.columns.map((c) => c.name),
      rows: channel.rows.rows(),
    });
    return;
  }
  if (pathname === '/api/status') {
    sendJson(res, 200, context.status());
    return;
  }
  if (pathname.startsWith('/api/')) {
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${pathname}` } });
    return;
  }
  if (await serveStatic(req, res, pathname)) return;
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end('not found\n');
}

export async function startServer(
  context: ServerContext,
  host: string,
  port: number,
): Promise<RunningServer> {
  const server = createServer((req, res) => {
    route(context, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: String(error) } });
      else res.destroy();
    });
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    const view = viewName(pathname, '/api/stream/');
    if (view === null) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => serveStream(ws, context.hub, view));
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
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
