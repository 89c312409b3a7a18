/**
 * On-demand JSON decoding: one validating pass over a document's text that materialises only the
 * fields asked for (a `Selection`), as simdjson's On-Demand does, instead of building the whole tree.
 *
 * The result is by definition `projectJson(parseJson(text), selection)` (parseJson: core/exact-json.ts,
 * integers beyond 2^53 as BigInts): the same values, duplicate keys resolved as `JSON.parse` does (the
 * last wins), and every text `JSON.parse` refuses is refused, with `JSON.parse`'s own message.
 *
 * How it is fast: JavaScript loops over characters are slower than `JSON.parse` itself, but V8's
 * regular expressions run as native code. Each object asked into is walked by one sticky expression
 * that validates and skips every pair nobody wants (strings with their escapes and control
 * characters, numbers, literals, nested values up to SKIP_DEPTH levels) and stops at the next wanted
 * key, capturing its value. A text outside that fast path (a key with an escape, a skipped value nested
 * deeper, any syntax error) is decoded by the exact path instead: parseJson, then the projection. Both
 * give the same answer; the fast path only answers when its grammar has proved the text valid.
 */
import { parseJson } from './exact-json.js';

/** What to take from a JSON value: all of it (`true`) or some keys of an object, each with its own. */
export type Selection = true | SelectedKeys;
export type SelectedKeys = ReadonlyMap<string, Selection>;

/** A selection from key paths, e.g. [['user'], ['meta', 'id']]; a path that is a prefix takes all. */
export function selectionOf(paths: ReadonlyArray<readonly string[]>): Map<string, Selection> {
  const root: Map<string, Selection> = new Map();
  for (const path of paths) {
    let node: Map<string, Selection> = root;
    for (const [i, key] of path.entries()) {
      const existing = node.get(key);
      if (i === path.length - 1 || existing === true) {
        node.set(key, true);
        break;
      }
      const next = (existing as Map<string, Selection> | undefined) ?? new Map<string, Selection>();
      node.set(key, next);
      node = next;
    }
  }
  return root;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property, even one called `__proto__` (as `JSON.parse` does). */
function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/**
 * The meaning of a selection: of an object, a new object with the selected own keys present (each
 * projected); any other value (an array, a string, null...) whole.
 */
export function projectJson(value: unknown, selection: Selection): unknown {
  if (selection === true || !isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of selection)
    if (Object.hasOwn(value, key)) setField(out, key, projectJson(value[key], inner));
  return out;
}

const WS = '[ \\t\\n\\r]*';
const STRING = '"[^"\\\\\\x00-\\x1f]*(?:\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\\\\x00-\\x1f]*)*"';
const NUMBER = '-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?';
/** How deep a skipped value may nest objects and arrays on the fast path (events nest 3 deep). */
const SKIP_DEPTH = 3;

/** The grammar of a JSON value nested at most `depth` levels, as a regular expression. */
function valuePattern(depth: number): string {
  const scalar = `${STRING}|${NUMBER}|true|false|null`;
  if (depth === 0) return `(?:${scalar})`;
  const inner = valuePattern(depth - 1);
  const pair = `${STRING}${WS}:${WS}${inner}`;
  const object = `\\{${WS}(?:${pair}${WS}(?:,${WS}${pair}${WS})*)?\\}`;
  const array = `\\[${WS}(?:${inner}${WS}(?:,${WS}${inner}${WS})*)?\\]`;
  return `(?:${scalar}|${object}|${array})`;
}

const VALUE = valuePattern(SKIP_DEPTH);
/** A scalar the fast path reads from its text alone: a string without escapes, a number, a literal. */
const SCALAR = `(?:"[^"\\\\\\x00-\\x1f]*"|${NUMBER}|true|false|null)`;
/** A value and what follows it: a comma, or (looking ahead) the `}` of its object. */
const THEN = `${WS}(?:,|(?=\\}))`;

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** The regular expression that walks one selected object, and what its wanted keys hold. */
interface ObjectWalker {
  skip: RegExp;
  /** The wanted keys by their length. */
  byLength: Array<string[] | undefined>;
  /** The walkers of keys whose value is an object with keys selected. */
  nested: Map<string, ObjectWalker>;
}

/**
 * `skip` runs from the start of an object's body or from after a comma: it skips every unwanted pair
 * with its comma (no backtracking: a pair is followed by a comma or, looking ahead, by `}`) and ends
 * after the object's `}` (never right after a comma) or after `"<wanted key>":` and, when the value is
 * a scalar (a string without escapes, a number, a literal), after that value and its comma. Only
 * `test` is used, which allocates nothing; the characters where it stopped say which case it was.
 * Keys are matched only in their plain spelling: a key with an escape may spell a wanted key, so it
 * leaves the fast path.
 */
function walkerFor(keys: SelectedKeys): ObjectWalker {
  const names = [...keys.keys()];
  const wanted = names.length > 0 ? names.map(escapeRegExp).join('|') : '(?!)';
  const other = `"(?!(?:${wanted})")[^"\\\\\\x00-\\x1f]*"${WS}:${WS}${VALUE}${WS}(?:,${WS}|(?=\\}))`;
  const stop = `(?<!,${WS})\\}|"(?:${wanted})"${WS}:${WS}(?:${SCALAR}${THEN})?`;
  const nested = new Map<string, ObjectWalker>();
  for (const [key, inner] of keys) if (inner !== true) nested.set(key, walkerFor(inner));
  const byLength: Array<string[] | undefined> = [];
  for (const name of names) (byLength[name.length] ??= []).push(name);
  return { skip: new RegExp(`${WS}(?:${other})*(?:${stop})`, 'y'), byLength, nested };
}

const ANY_VALUE = new RegExp(`${VALUE}${THEN}`, 'y');
const AFTER = new RegExp(THEN, 'y');
const OPEN = /[ \t\n\r]*\{/y;
const END = /[ \t\n\r]*$/y;

/** Thrown inside the fast path when the text leaves it; never escapes this module. */
const LEAVE = Symbol('leave the fast path');

/** The value of one scalar or whole JSON text that the fast path has proved valid. */
function valueOf(text: string): unknown {
  const c = text.charCodeAt(0);
  if (c === 0x22) return JSON.parse(text); // a string with escapes
  if (c === 0x74) return true;
  if (c === 0x66) return false;
  if (c === 0x6e) return null;
  if (c === 0x7b || c === 0x5b) return parseJson(text);
  const n = Number(text);
  // An integer literal that is not a safe integer is read exactly, as parseJson does.
  if (!Number.isSafeInteger(n) && !/[.eE]/.test(text)) return BigInt(text);
  return n;
}

/**
 * The characters from `start` to `end` as a string of their own. V8 makes a longer slice (13
 * characters or more) a view into the whole text, which would keep every event's text alive for as
 * long as one of its values is held (a view's group key, a top-k row): this copies instead.
 */
function detached(text: string, start: number, end: number): string {
  if (end - start < 13) return text.slice(start, end);
  // Slicing a concatenation flattens it into a new string first: the slice then points into that copy.
  return (' ' + text.slice(start, end)).slice(1);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Where the value ends that a match ending at `after` (past its comma, if any) holds. */
function valueEnd(text: string, after: number): number {
  let end = after;
  if (text.charCodeAt(end - 1) === 0x2c) end--;
  while (isSpace(text.charCodeAt(end - 1))) end--;
  return end;
}

/**
 * The wanted key whose `:` precedes the value at `start`. (Character loops here, not lastIndexOf,
 * which V8 runs outside the compiled code and costs more than the whole scan of a short key.)
 */
function keyBefore(text: string, start: number, walker: ObjectWalker): string {
  let close = start - 1;
  while (text.charCodeAt(close) !== 0x22) close--;
  let open = close - 1;
  while (text.charCodeAt(open) !== 0x22) open--; // a plain key has no quote inside
  const keys = walker.byLength[close - open - 1];
  if (keys !== undefined) for (const key of keys) if (text.startsWith(key, open + 1)) return key;
  throw LEAVE; // cannot happen: `skip` matched one of them
}

/** Where the scalar that `skip` read, ending at `end`, starts (a string has no quote inside). */
function scalarStart(text: string, end: number): number {
  let start = end - 1;
  if (text.charCodeAt(start) === 0x22) return text.lastIndexOf('"', start - 1);
  while (start > 0 && text.charCodeAt(start - 1) !== 0x3a && !isSpace(text.charCodeAt(start - 1))) start--;
  return start;
}

/** Walks the object whose body starts at `at`; returns where it ends (after its `}`). */
function walkObject(text: string, at: number, walker: ObjectWalker, out: Record<string, unknown>): number {
  const skip = walker.skip;
  for (;;) {
    skip.lastIndex = at;
    if (!skip.test(text)) throw LEAVE;
    at = skip.lastIndex;
    if (text.charCodeAt(at - 1) === 0x7d) return at; // the object's `}`
    const end = valueEnd(text, at);
    if (text.charCodeAt(end - 1) !== 0x3a) {
      // A scalar, read with its comma (or before the object's `}`).
      const start = scalarStart(text, end);
      const value =
        text.charCodeAt(start) === 0x22
          ? detached(text, start + 1, end - 1)
          : valueOf(text.slice(start, end));
      setField(out, keyBefore(text, start, walker), value);
    } else {
      const key = keyBefore(text, at, walker);
      const inner = text.charCodeAt(at) === 0x7b ? walker.nested.get(key) : undefined;
      if (inner !== undefined) {
        const object: Record<string, unknown> = {};
        AFTER.lastIndex = walkObject(text, at + 1, inner, object);
        setField(out, key, object);
        if (!AFTER.test(text)) throw LEAVE;
        at = AFTER.lastIndex;
      } else {
        ANY_VALUE.lastIndex = at;
        if (!ANY_VALUE.test(text)) throw LEAVE;
        const start = at;
        at = ANY_VALUE.lastIndex;
        setField(out, key, valueOf(text.slice(start, valueEnd(text, at))));
      }
    }
    // Looked ahead at the object's `}` (not after a comma: `{"a":1,}` is no JSON).
    if (text.charCodeAt(at) === 0x7d && text.charCodeAt(at - 1) !== 0x2c) return at + 1;
  }
}

/** Decodes texts into the selected part of their value: `projectJson(parseJson(text), selection)`. */
export type FieldDecoder = (text: string) => unknown;

/** Whether every key is spelled plainly in JSON (no quote, backslash or control character). */
function plainKeys(selection: SelectedKeys): boolean {
  for (const [key, inner] of selection)
    if (JSON.stringify(key) !== `"${key}"` || key.includes('/') || (inner !== true && !plainKeys(inner)))
      return false;
  return true;
}

export function fieldDecoder(selection: SelectedKeys): FieldDecoder {
  // A wanted key that JSON must spell with escapes cannot be matched in the text: the exact path.
  if (!plainKeys(selection)) return (text) => projectJson(parseJson(text), selection);
  const walker = walkerFor(selection);
  return (text) => {
    try {
      let at = 1;
      if (text.charCodeAt(0) !== 0x7b) {
        OPEN.lastIndex = 0;
        if (!OPEN.test(text)) throw LEAVE;
        at = OPEN.lastIndex;
      }
      const out: Record<string, unknown> = {};
      const end = walkObject(text, at, walker, out);
      if (end !== text.length) {
        END.lastIndex = end;
        if (!END.test(text)) throw LEAVE;
      }
      return out;
    } catch {
      // LEAVE, or a regular expression out of backtracking stack on a huge value: the exact path.
    }
    return projectJson(parseJson(text), selection);
  };
}

/** Everything either selection takes. */
export function unionSelection(a: SelectedKeys, b: SelectedKeys): SelectedKeys {
  const out = new Map<string, Selection>(a);
  for (const [key, inner] of b) {
    const mine = out.get(key);
    out.set(
      key,
      mine === undefined ? inner : mine === true || inner === true ? true : unionSelection(mine, inner),
    );
  }
  return out;
}
