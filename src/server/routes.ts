/**
 * Plain HTTP routes: JSON views and status, SSE streams, health and metrics, and the dashboard's
 * static files. `/api/*` and `/metrics` need the token when the server has one; the page, its assets
 * and the health checks do not.
 */
import { PATHS } from '../core/wire-protocol.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '../hub/hub.js';
import type { Fanout } from './fanout.js';
import { checkAccess, refuseRequest } from './guards.js';
import { handleIngest, type IngestEndpoint } from './ingest-route.js';
import type { Heartbeat } from './heartbeat.js';
import type { ServerMetrics } from './metrics.js';
import { setSecurityHeaders } from './security-headers.js';
import type { ServerOptions } from './server-options.js';
import { serveSse } from './sse.js';
import { serveStatic } from './static-files.js';

export interface RouteContext {
  hub: Hub;
  fanout: Fanout;
  heartbeat: Heartbeat;
  metrics: ServerMetrics;
  options: ServerOptions;
  status: () => unknown;
  ready: () => boolean;
  ingest: IngestEndpoint | null;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  type = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(text);
}

export function viewName(pathname: string, prefix: string): string | null {
  if (!pathname.startsWith(prefix)) return null;
  const name = pathname.slice(prefix.length);
  if (!name || name.includes('/')) return null;
  try {
    return decodeURIComponent(name);
  } catch {
    return null;
  }
}

export async function route(context: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const { pathname } = url;
  setSecurityHeaders(res);
  // Ingest has its own token (--ingest-token): whoever may write need not be able to read.
  if (pathname === PATHS.ingest) return handleIngest(context.ingest, req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, {
      error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed on ${pathname}` },
    });
    return;
  }
  if (pathname === PATHS.healthz) return sendText(res, 200, 'ok\n');
  if (pathname === PATHS.readyz) {
    return context.ready() ? sendText(res, 200, 'ready\n') : sendText(res, 503, 'not ready\n');
  }
  const isApi = pathname.startsWith(PATHS.api);
  if (isApi || pathname === PATHS.metrics) {
    const isSse = pathname === PATHS.sse || pathname.startsWith(PATHS.ssePrefix);
    const refused = checkAccess(req, url, context.options, isSse);
    if (refused) {
      context.fanout.refuse(refused.code.toLowerCase());
      return refuseRequest(res, refused);
    }
    if (isSse) return serveSse(context, req, res, pathname, url);
  }
  if (pathname === PATHS.metrics)
    return sendText(res, 200, await context.metrics.render(), context.metrics.contentType);
  if (pathname === PATHS.views) {
    return sendJson(
      res,
      200,
      context.hub.views.map((c) => ({ name: c.name, columns: c.info.columns, timestamp: c.timestamp })),
    );
  }
  const view = viewName(pathname, PATHS.viewPrefix);
  if (view !== null) {
    const channel = context.hub.channel(view);
    if (!channel) {
      return sendJson(res, 404, { error: { code: 'UNKNOWN_VIEW', message: `unknown view "${view}"` } });
    }
    return sendJson(res, 200, {
      view,
      timestamp: channel.timestamp,
      columns: channel.info.columns.map((c) => c.name),
      rows: channel.rows.rows(),
    });
  }
  if (pathname === PATHS.status) return sendJson(res, 200, context.status());
  if (isApi) return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${pathname}` } });
  if (await serveStatic(req, res, pathname)) return;
  sendText(res, 404, 'not found\n');
}
