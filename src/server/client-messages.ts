/**
 * Parses and validates what clients send on `/api/subscribe` (docs/PROTOCOL.md, "Client messages").
 * Every refusal carries a stable code and a message that says what was expected.
 */
import type { Timestamp } from '../engine/types.js';

export type ErrorCode = 'BAD_MESSAGE' | 'UNKNOWN_VIEW' | 'TOO_MANY_SUBSCRIPTIONS' | 'NOT_SUBSCRIBED';

export type ValidRequest =
  | { type: 'subscribe'; views: string[]; since: Timestamp | null; ref: unknown }
  | { type: 'unsubscribe'; views: string[]; ref: unknown };

export interface Refusal {
  code: ErrorCode;
  message: string;
  ref?: unknown;
  view?: string;
}

export function isRefusal(value: ValidRequest | Refusal): value is Refusal {
  return 'code' in value;
}

/** Parses `since` as given in a message, a query string or a `Last-Event-ID` header. */
export function parseSince(value: unknown): Timestamp | null | undefined {
  if (value === undefined || value === null || value === '') return null;
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) return undefined;
  return number;
}

export function parseClientMessage(text: string): ValidRequest | Refusal {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {
      code: 'BAD_MESSAGE',
      message: 'a message must be JSON, e.g. {"type":"subscribe","views":["top10"]}',
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { code: 'BAD_MESSAGE', message: 'a message must be a JSON object with a "type"' };
  }
  const message = parsed as Record<string, unknown>;
  const ref = message['ref'];
  const withRef = (refusal: Refusal): Refusal => (ref === undefined ? refusal : { ...refusal, ref });
  const type = message['type'];
  if (type !== 'subscribe' && type !== 'unsubscribe') {
    return withRef({
      code: 'BAD_MESSAGE',
      message: `unknown message type ${JSON.stringify(type)}; expected "subscribe" or "unsubscribe"`,
    });
  }
  let views = message['views'];
  if (views === undefined && typeof message['view'] === 'string') views = [message['view']];
  if (!Array.isArray(views) || views.length === 0 || !views.every((v) => typeof v === 'string')) {
    return withRef({
      code: 'BAD_MESSAGE',
      message: `"${type}" needs "views": a non-empty array of view names (or "view": a name)`,
    });
  }
  const unique = [...new Set(views as string[])];
  if (type === 'unsubscribe') return { type, views: unique, ref };
  const since = parseSince(message['since']);
  if (since === undefined) {
    return withRef({
      code: 'BAD_MESSAGE',
      message: `"since" must be a timestamp (a whole number of milliseconds), not ${JSON.stringify(message['since'])}`,
    });
  }
  return { type, views: unique, since, ref };
}
