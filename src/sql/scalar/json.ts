/**
 * jsonb as Postgres keeps it: the canonical text (object keys sorted by length then bytes, the last
 * of duplicate keys kept, one space after ':' and ',', numbers as numeric text: 1.50 stays 1.50,
 * 1e2 becomes 100). Text input is parsed here rather than by JSON.parse, which would turn every
 * number into a double.
 */
import { SqlEvalError } from './interface.js';
import { parseNumericText } from './numeric.js';
import { compareText, checkText } from './text.js';

function jsonString(s: string): string {
  checkText(s);
  // JSON.stringify escapes what Postgres's escape_json escapes (quotes, backslash, control characters).
  return JSON.stringify(s);
}

function keyOrder(a: string, b: string): number {
  const la = Buffer.byteLength(a);
  const lb = Buffer.byteLength(b);
  return la !== lb ? la - lb : compareText(a, b);
}

function objectText(entries: Array<[string, string]>): string {
  const byKey = new Map<string, string>();
  for (const [k, v] of entries) byKey.set(k, v);
  const sorted = [...byKey].sort(([a], [b]) => keyOrder(a, b));
  return `{${sorted.map(([k, v]) => `${jsonString(k)}: ${v}`).join(', ')}}`;
}

/** The canonical jsonb text of a JSON-like JavaScript value (an input row's object or array). */
export function jsonbText(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new SqlEvalError('22P02', 'invalid input syntax for type json');
      return parseNumericText(String(v));
    case 'bigint':
      return v.toString();
    case 'string':
      return jsonString(v);
    default:
      break;
  }
  if (Array.isArray(v)) return `[${v.map(jsonbText).join(', ')}]`;
  return objectText(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonbText(x)]));
}

// JSON forbids raw control characters inside strings: the class must name them.
/* eslint-disable no-control-regex */
const TOKEN =
  /\s*(?:(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)|("(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*")|(true|false|null)|([[\]{}:,]))/y;
/* eslint-enable no-control-regex */

/** jsonb input from text, numbers kept exact. */
export function parseJsonbText(text: string): string {
  const bad = (): SqlEvalError => new SqlEvalError('22P02', 'invalid input syntax for type json');
  let pos = 0;
  const next = (): RegExpExecArray => {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw bad();
    pos = TOKEN.lastIndex;
    return m;
  };
  const value = (m: RegExpExecArray): string => {
    if (m[1] !== undefined) return parseNumericText(m[1]);
    if (m[2] !== undefined) {
      if (/\\u0000/i.test(m[2])) throw new SqlEvalError('22P05', 'unsupported Unicode escape sequence');
      return jsonString(JSON.parse(m[2]) as string);
    }
    if (m[3] !== undefined) return m[3];
    if (m[4] === '[') {
      const items: string[] = [];
      let t = next();
      if (t[4] === ']') return '[]';
      for (;;) {
        items.push(value(t));
        t = next();
        if (t[4] === ']') return `[${items.join(', ')}]`;
        if (t[4] !== ',') throw bad();
        t = next();
      }
    }
    if (m[4] === '{') {
      const entries: Array<[string, string]> = [];
      let t = next();
      if (t[4] === '}') return '{}';
      for (;;) {
        if (t[2] === undefined) throw bad();
        const key = JSON.parse(t[2]) as string;
        if (next()[4] !== ':') throw bad();
        entries.push([key, value(next())]);
        t = next();
        if (t[4] === '}') return objectText(entries);
        if (t[4] !== ',') throw bad();
        t = next();
      }
    }
    throw bad();
  };
  const result = value(next());
  if (text.slice(pos).trim() !== '') throw bad();
  return result;
}
