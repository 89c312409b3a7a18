/**
 * The regular expressions of on-demand decoding's walk (core/json-walk.ts): JSON's grammar written
 * out for V8's regular expressions, which run as native code and validate text faster than any loop
 * over characters in JavaScript.
 */
/** Whitespace between tokens; events as the stream sends them have none, which `skip` expects. */
export const WS = '[ \\t\\n\\r]*';
const STRING = '"[^"\\\\\\x00-\\x1f]*(?:\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\\\\x00-\\x1f]*)*"';
const NUMBER = '-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?';
/** How deep a skipped value may nest objects and arrays on the fast path (events nest 3 deep). */
const SKIP_DEPTH = 3;

/** The grammar of a JSON value nested at most `depth` levels, with `ws` between tokens. */
function valuePattern(depth: number, ws: string): string {
  const scalar = `${STRING}|${NUMBER}|true|false|null`;
  if (depth === 0) return `(?:${scalar})`;
  const inner = valuePattern(depth - 1, ws);
  const pair = `${STRING}${ws}:${ws}${inner}`;
  const object = `\\{${ws}(?:${pair}${ws}(?:,${ws}${pair}${ws})*)?\\}`;
  const array = `\\[${ws}(?:${inner}${ws}(?:,${ws}${inner}${ws})*)?\\]`;
  return `(?:${scalar}|${object}|${array})`;
}

/** A scalar the walk reads from its text alone: a string without escapes, a number, a literal. */
const SCALAR = `(?:"[^"\\\\\\x00-\\x1f]*"|${NUMBER}|true|false|null)`;

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/**
 * `skip` runs from the start of an object's body or from after a comma: it skips every unwanted pair
 * with its comma (no backtracking: a pair is followed by a comma or, looking ahead, by `}`) and stops
 * at one of three places, which the character before `lastIndex` tells apart (only `test` is used,
 * which allocates nothing):
 * - after the object's `}` (never right after a comma);
 * - after the opening quote of a wanted key whose value is a scalar read from its text alone (a
 *   string without escapes, a number, a literal), then a comma or the object's `}`: all checked;
 * - before the opening quote of any other wanted key and its colon (a nested value, a string with
 *   escapes).
 * Keys are matched only in their plain spelling: a key with an escape may spell a wanted key, so it
 * leaves the fast path.
 */
export function skipPattern(keys: string[], ws: string): RegExp {
  const wanted = keys.length > 0 ? keys.map(escapeRegExp).join('|') : '(?!)';
  const value = valuePattern(SKIP_DEPTH, ws);
  const then = `${ws}(?:,${ws}|(?=\\}))`;
  const other = `"(?!(?:${wanted})")[^"\\\\\\x00-\\x1f]*"${ws}:${ws}${value}${then}`;
  const scalar = `"(?=(?:${wanted})"${ws}:${ws}${SCALAR}${then})`;
  const key = `(?="(?:${wanted})"${ws}:)`;
  return new RegExp(`${ws}(?:${other})*(?:(?<!,${ws})\\}|${scalar}|${key})`, 'y');
}

/** Any value, whitespace allowed: a wanted value that `skip` leaves to the walk (nested, escaped). */
export const ANY_VALUE = new RegExp(valuePattern(SKIP_DEPTH, WS), 'y');
/** Up to a document's opening brace. */
export const OPEN = /[ \t\n\r]*\{/y;
/** Nothing but whitespace after the document. */
export const END = /[ \t\n\r]*$/y;
