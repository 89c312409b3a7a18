/**
 * `POST /api/ingest`: recentchange events as a JSON array or as JSON lines, for programs that push
 * events instead of being read from. Off unless a token is configured. Every event of a request is
 * checked before any is handed over, so a 400 means nothing of that request was applied; a 200
 * comes once the accepted events are committed by the engine.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJson } from '../core/exact-json.js';
import { parseEvent, schemaProblems } from '../sources/event-schema.js';
import type { IngestResult } from '../sources/http-ingest.js';
import type { RawEvent } from '../sources/types.js';

export interface IngestEndpoint {
  token: string;
  maxBytes: number;
  /** Hands the events over and resolves once they are committed; throws when ingest is not running. */
  submit(events: RawEvent[]): Promise<IngestResult>;
}

/** A bad body names its first bad line (JSON lines) or array item (a JSON array). */
export type ParsedBody = { events: RawEvent[] } | { line?: number; item?: number; message: string };

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, code: string, message: string, extra: object = {}): void {
  send(
    res,
    status,
    { error: { code, message, ...extra } },
    status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {},
  );
}

function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function checked(event: RawEvent, where: string): string | null {
  const problems = schemaProblems(event);
  return problems.length > 0 ? `${where}: ${problems.join('; ')}` : null;
}

/** The events of a body, or the first bad line (1-based) and what is wrong with it. */
export function parseIngestBody(text: string): ParsedBody {
  const start = text.search(/\S/);
  if (start === -1) return { events: [] };
  if (text[start] === '[') {
    let items: unknown;
    try {
      items = parseJson(text); // exact integers beyond 2^53
    } catch (error) {
      const at = /position (\d+)/.exec((error as Error).message);
      const line = at ? text.slice(0, Number(at[1])).split('\n').length : 1;
      return { line, message: `line ${line}: the JSON array does not parse (${(error as Error).message})` };
    }
    const events: RawEvent[] = [];
    for (const [index, item] of (items as unknown[]).entries()) {
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        return { item: index + 1, message: `array item ${index + 1} is not a JSON object` };
      const problem = checked(item as RawEvent, `array item ${index + 1}`);
      if (problem) return { item: index + 1, message: problem };
      events.push(item as RawEvent);
    }
    return { events };
  }
  const events: RawEvent[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const parsed = parseEvent(line);
    if ('reason' in parsed)
      return {
        line: index + 1,
        message: `line ${index + 1}: ${parsed.reason === 'malformed-json' ? `not valid JSON (${parsed.detail})` : `not a JSON object (${parsed.detail})`}`,
      };
    const problem = checked(parsed.event, `line ${index + 1}`);
    if (problem) return { line: index + 1, message: problem };
    events.push(parsed.event);
  }
  return { events };
}

/** Reads the body up to `maxBytes`; null when it is longer (the rest is not read). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.pause();
        resolve(null);
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export async function handleIngest(
  endpoint: IngestEndpoint | null,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!endpoint) {
    fail(
      res,
      404,
      'INGEST_OFF',
      'POST /api/ingest is off: start viewcast with --ingest-token TOKEN to turn it on',
    );
    return;
  }
  if (req.method !== 'POST') {
    fail(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on /api/ingest; use POST`);
    return;
  }
  const auth = req.headers.authorization ?? '';
  const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim() ?? '';
  if (!token || !sameToken(token, endpoint.token)) {
    fail(res, 401, 'UNAUTHORIZED', 'send the ingest token as "Authorization: Bearer TOKEN"');
    return;
  }
  const tooLarge = (): void => {
    res.setHeader('Connection', 'close');
    fail(
      res,
      413,
      'TOO_LARGE',
      `the body is larger than the limit of ${endpoint.maxBytes} bytes (--ingest-max-bytes)`,
    );
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > endpoint.maxBytes) {
    tooLarge();
    return;
  }
  const body = await readBody(req, endpoint.maxBytes);
  if (body === null) {
    tooLarge();
    return;
  }
  const parsed = parseIngestBody(body.toString('utf8'));
  if ('message' in parsed) {
    const { message, ...where } = parsed;
    fail(res, 400, 'BAD_EVENT', `${message}; nothing from this request was applied`, where);
    return;
  }
  let result: IngestResult;
  try {
    result = await endpoint.submit(parsed.events);
  } catch (error) {
    fail(res, 503, 'INGEST_UNAVAILABLE', `events cannot be taken now: ${(error as Error).message}`);
    return;
  }
  send(res, 200, { received: parsed.events.length, ...result });
}
