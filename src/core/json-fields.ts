/**
 * On-demand JSON decoding: one validating pass over a document's text that materialises only the
 * fields asked for (a `Selection`), as simdjson's On-Demand does, instead of building the whole tree.
 *
 * The result is by definition `projectJson(parseJson(text), selection)` (parseJson: core/exact-json.ts,
 * integers beyond 2^53 as BigInts): the same values, duplicate keys resolved as `JSON.parse` does (the
 * last wins), and every text `JSON.parse` refuses is refused, with `JSON.parse`'s own message.
 *
 * How it is fast (core/json-walk.ts): JavaScript loops over characters are slower than `JSON.parse`
 * itself, but V8's regular expressions run as native code. Each object asked into is walked by one
 * sticky expression that validates and skips every pair nobody wants and stops at the next wanted key;
 * JavaScript reads only the few characters of each wanted value. A text outside that fast path (a key
 * with an escape, a skipped value nested deeper, any syntax error) is decoded by the exact path
 * instead: parseJson, then the projection. Both give the same answer, keys in the selection's order;
 * the fast path only answers when its grammar has proved the text valid.
 */
import { parseJson } from './exact-json.js';
import { clearWalker, setField, walkerFor, walkText } from './json-walk.js';

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

/** Decodes texts into the selected part of their value: `projectJson(parseJson(text), selection)`. */
export type FieldDecoder = (text: string) => unknown;

/** Whether every key is spelled plainly in JSON (no quote, backslash or control character). */
function plainKeys(selection: SelectedKeys): boolean {
  for (const [key, inner] of selection)
    if (JSON.stringify(key) !== `"${key}"` || key.includes('/') || (inner !== true && !plainKeys(inner)))
      return false;
  return true;
}

/**
 * `transient`: keys of the selection (at any depth) whose values the caller reads and drops: their
 * strings may stay views into the text, where every other long string is copied out of it so that
 * a value held (a group key, a deduplicated id) does not keep the whole text alive.
 */
export function fieldDecoder(selection: SelectedKeys, transient?: SelectedKeys): FieldDecoder {
  // A wanted key that JSON must spell with escapes cannot be matched in the text: the exact path.
  if (!plainKeys(selection)) return (text) => projectJson(parseJson(text), selection);
  const walker = walkerFor(selection, transient);
  return (text) => {
    try {
      return walkText(text, walker);
    } catch {
      // LEAVE, or a regular expression out of backtracking stack on a huge value: the exact path.
      clearWalker(walker);
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
