/**
 * Plain HTTP routes: JSON views and status, SSE streams, health and metrics, and the dashboard's
 * static files. `/api/*` and `/metrics` need the token when the server has one; the page, its assets
 * and the health checks do not.
 */
import { PATHS } from '../core/wire-protocol.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringifyJson } from '../core/exact-json.js';
import type { Hub } from '../hub/hub.js';
import { summarizeHealth } from '../hub/view-health.js';
import { viewError } from './view-errors.js';
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
  const text = stringifyJson(body); // rows may hold integers beyond 2^53 (BigInts), written exactly
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
  if (pathname === PATHS.readyz) return readyz(context, res);
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
      context.hub.views.map(({ name, info, timestamp }) => ({
        name,
        columns: info.columns,
        timestamp,
        // Which engine path maintains the view, and why when it is not the delta path.
        path: info.path ?? 'delta',
        ...(info.path !== undefined && info.path !== 'delta' && info.reason ? { reason: info.reason } : {}),
        // The view's unique key (`[]`: at most one row), when the engine knows one: null otherwise.
        key: info.key ?? null,
      })),
    );
  }
  const view = viewName(pathname, PATHS.viewPrefix);
  if (view !== null) {
    const channel = context.hub.channel(view);
    if (!channel) {
      return sendJson(res, 404, { error: { code: 'UNKNOWN_VIEW', message: `unknown view "${view}"` } });
    }
    // --- view status: a view in error answers 409 naming the reason ---
    const error = viewError(context.hub, view);
    if (error) return sendJson(res, 409, { error });
    return sendJson(res, 200, {
      view,
      timestamp: channel.timestamp,
      columns: channel.info.columns.map((c) => c.name),
      rows: channel.rows.rows(),
    });
  }
  if (pathname === PATHS.status) {
    const status = context.status();
    const views = summarizeHealth(context.hub.statuses());
    return sendJson(
      res,
      200,
      typeof status === 'object' && status !== null ? { ...status, viewHealth: views } : status,
    );
  }
  if (isApi) return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${pathname}` } });
  if (await serveStatic(req, res, pathname)) return;
  sendText(res, 404, 'not found\n');
}

/**
 * Ready while the hub serves; the views that are not ok are named in the body. Only when no view at
 * all can be served fresh (every one stuck, reconnecting or failed) is the gateway not ready.
 */
function readyz(context: RouteContext, res: ServerResponse): void {
  if (!context.ready()) return sendText(res, 503, 'not ready\n');
  const statuses = context.hub.statuses();
  const health = summarizeHealth(statuses);
  const lines = [
    ...health.error.map((e) => `view ${e.view}: error (${e.code})`),
    ...health.stuck.map((view) => `view ${view}: stuck`),
    ...health.reconnecting.map((view) => `view ${view}: reconnecting`),
  ];
  const live = Object.values(statuses).filter(
    (s) => s.state === 'ok' || (s.state === 'error' && s.code === 'VIEWCAST_VIEW_ERROR'),
  );
  const ready = live.length > 0 || Object.keys(statuses).length === 0;
  sendText(
    res,
    ready ? 200 : 503,
    `${ready ? 'ready' : 'not ready'}\n${lines.map((l) => `${l}\n`).join('')}`,
  );
}
