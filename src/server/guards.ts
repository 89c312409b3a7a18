/**
 * Who may connect: the `Origin` allow-list (browsers send it; a page of another site must not read
 * our views with its visitors' access) and the optional bearer token. Both are checked before a
 * WebSocket exists or an SSE stream starts, and answered with a plain HTTP status and a JSON body.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface Refused {
  status: 401 | 403 | 404 | 400 | 503;
  code: string;
  message: string;
}

/**
 * Requests without an `Origin` header come from non-browser clients (curl, `viewcast tail`), which
 * can send any header they like: the token, not the origin, is what protects against them.
 */
export function originAllowed(req: IncomingMessage, allow: string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allow.includes('*') || allow.includes(origin)) return true;
  try {
    const { host, protocol } = new URL(origin);
    return (protocol === 'http:' || protocol === 'https:') && host === req.headers.host?.toLowerCase();
  } catch {
    return false;
  }
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The token from `Authorization: Bearer <token>` or the `token` query parameter. */
export function tokenAccepted(req: IncomingMessage, url: URL, token: string | null): boolean {
  if (token === null) return true;
  const header = req.headers.authorization;
  const given = header?.startsWith('Bearer ') ? header.slice(7).trim() : url.searchParams.get('token');
  if (given === null || given === undefined) return false;
  return timingSafeEqual(digest(given), digest(token));
}

export function checkAccess(
  req: IncomingMessage,
  url: URL,
  options: { allowOrigins: string[]; authToken: string | null },
  checkOrigin: boolean,
): Refused | null {
  if (checkOrigin && !originAllowed(req, options.allowOrigins)) {
    return {
      status: 403,
      code: 'FORBIDDEN_ORIGIN',
      message: `origin ${req.headers.origin ?? ''} is not allowed; start the server with --allow-origin ${req.headers.origin ?? ''} to allow it`,
    };
  }
  if (!tokenAccepted(req, url, options.authToken)) {
    return {
      status: 401,
      code: 'UNAUTHORIZED',
      message: 'this server needs a token: send "Authorization: Bearer <token>" or add ?token=<token>',
    };
  }
  return null;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  503: 'Service Unavailable',
};

function errorBody(refused: Refused): string {
  return JSON.stringify({ error: { code: refused.code, message: refused.message } });
}

/** Answers an upgrade request with an HTTP error: no WebSocket is ever created. */
export function refuseUpgrade(socket: Duplex, refused: Refused): void {
  const body = errorBody(refused);
  const extra = refused.status === 401 ? 'WWW-Authenticate: Bearer\r\n' : '';
  socket.end(
    `HTTP/1.1 ${refused.status} ${REASONS[refused.status] ?? ''}\r\nConnection: close\r\n` +
      `Content-Type: application/json; charset=utf-8\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function refuseRequest(res: ServerResponse, refused: Refused): void {
  const body = errorBody(refused);
  res.writeHead(refused.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...(refused.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}),
  });
  res.end(body);
}
