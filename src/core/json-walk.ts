/**
 * The fast path of on-demand decoding (core/json-fields.ts): walking a JSON object's text with V8's
 * regular expressions, which run as native code, and reading in JavaScript only the few characters
 * around each wanted value.
 *
 * Each object asked into has one sticky expression (core/json-grammar.ts) that validates and skips
 * every pair nobody wants (strings with their escapes and control characters, numbers, literals,
 * nested values a few levels deep) and stops at the next wanted key. The values found go into the
 * walker's slots, by key, and one function per object builds the result from them: every decoded
 * object of a selection then has its keys in the same order, the selection's, as `projectJson` gives
 * them, and so the same hidden class. Whatever the walk cannot prove valid throws LEAVE, and the
 * caller takes the exact path.
 */
import { parseJson } from './exact-json.js';
import type { SelectedKeys } from './json-fields.js';
import { ANY_VALUE, END, OPEN, skipPattern, WS } from './json-grammar.js';

/** Sets an own property, even one called `__proto__` (as `JSON.parse` does). */
export function setField(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}

/**
 * The wanted keys (their indexes) that start with one character, and how to tell them apart: the
 * code of the character at `at` (the closing quote where a key ends there), or, with `at` -1, by
 * comparing each; with one key, `at` is 0.
 */
interface KeyChoice {
  keys: number[];
  at: number;
  byCode: Array<number | undefined>;
}

/** A key's character at `at`, or its closing quote. */
function codeAt(key: string, at: number): number {
  return at === key.length ? 0x22 : key.charCodeAt(at);
}

function choiceOf(keys: string[], indexes: number[]): KeyChoice {
  if (indexes.length === 1) return { keys: indexes, at: 0, byCode: [] };
  const shortest = Math.min(...indexes.map((i) => (keys[i] as string).length));
  for (let at = 1; at <= shortest; at++) {
    const codes = new Set(indexes.map((i) => codeAt(keys[i] as string, at)));
    if (codes.size < indexes.length) continue;
    const byCode: Array<number | undefined> = [];
    for (const i of indexes) byCode[codeAt(keys[i] as string, at)] = i;
    return { keys: indexes, at, byCode };
  }
  return { keys: indexes, at: -1, byCode: [] };
}

/** Marks a slot whose key the object did not hold. */
const ABSENT = Symbol('absent');

/** How to walk one selected object, and where the values found go until its result is built. */
export interface ObjectWalker {
  /** Skips to the next stop in a text without whitespace between tokens (faster: no loops for it). */
  skip: RegExp;
  /** The same with whitespace anywhere JSON allows it: where `skip` fails, the walk tries this. */
  spaced: RegExp;
  /** The wanted keys, in the selection's order; a key's index is its slot. */
  keys: string[];
  lengths: number[];
  /** The wanted keys by the code of their first character (a quote for the empty key). */
  byFirst: Array<KeyChoice | undefined>;
  /** By key index, the walker of a key whose value is an object with keys selected. */
  nested: Array<ObjectWalker | undefined>;
  slots: unknown[];
  /**
   * By key index, whether a string value is copied out of the text (`detached`): not for the keys
   * the caller reads and drops (`walkerFor`'s `transient`), which need no copy.
   */
  held: boolean[];
  /** The result from the slots, which it empties again (a key repeated in the text walks twice). */
  build: (slots: unknown[]) => Record<string, unknown>;
}

/**
 * A function that builds the object of these keys from slots. It is compiled from its own text so
 * that each key is stored by a property name the engine knows in advance, in the same order every
 * time; the keys enter it only as JSON string literals.
 */
function builderFor(keys: string[]): (slots: unknown[]) => Record<string, unknown> {
  const lines = keys.map((key, i) => {
    const name = JSON.stringify(key);
    const store = key === '__proto__' ? `define(o, ${name}, v)` : `o[${name}] = v`;
    return `if ((v = s[${i}]) !== absent) { ${store}; s[${i}] = absent; }`;
  });
  const body = `return (s) => { const o = {}; let v;\n${lines.join('\n')}\nreturn o; };`;
  const factory = new Function('absent', 'define', body) as (
    absent: symbol,
    define: typeof setField,
  ) => (slots: unknown[]) => Record<string, unknown>;
  return factory(ABSENT, setField);
}

/** `transient`: the selected keys whose values are read and dropped, never held (see `held`). */
export function walkerFor(selection: SelectedKeys, transient?: SelectedKeys): ObjectWalker {
  const keys = [...selection.keys()];
  const starting: Array<number[] | undefined> = [];
  for (const [i, key] of keys.entries()) (starting[key.length > 0 ? key.charCodeAt(0) : 0x22] ??= []).push(i);
  const byFirst = starting.map((indexes) => (indexes === undefined ? undefined : choiceOf(keys, indexes)));
  const inner = [...selection.values()];
  return {
    skip: skipPattern(keys, ''),
    spaced: skipPattern(keys, WS),
    keys,
    lengths: keys.map((key) => key.length),
    byFirst,
    nested: inner.map((inner, i) => {
      if (inner === true) return undefined;
      const dropped = transient?.get(keys[i] as string);
      return walkerFor(inner, dropped === undefined || dropped === true ? undefined : dropped);
    }),
    slots: keys.map(() => ABSENT),
    held: keys.map((key) => transient?.get(key) !== true),
    build: builderFor(keys),
  };
}

/** Empties the slots of a walk that was left half way. */
export function clearWalker(walker: ObjectWalker): void {
  walker.slots.fill(ABSENT);
  for (const inner of walker.nested) if (inner !== undefined) clearWalker(inner);
}

/** Thrown inside the fast path when the text leaves it; never escapes this module's caller. */
export const LEAVE = Symbol('leave the fast path');

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

/** Where the scalar read by `scalarAt` ended (a module variable: returning a pair would allocate). */
let scalarEnd = 0;

/**
 * The value of the scalar at `at`, which `skip` has proved valid: a string without escapes (a copy
 * when `held`), a literal, or a number (one of at most 15 digits without fraction or exponent is
 * summed here, exactly as `Number` reads it; any other goes through `valueOf`).
 */
function scalarAt(text: string, at: number, held: boolean): unknown {
  const c = text.charCodeAt(at);
  if (c === 0x22) {
    scalarEnd = text.indexOf('"', at + 1) + 1; // `skip` has proved it plain: no quote inside
    return held ? detached(text, at + 1, scalarEnd - 1) : text.slice(at + 1, scalarEnd - 1);
  }
  if (c === 0x74 || c === 0x6e) {
    scalarEnd = at + 4;
    return c === 0x74 ? true : null;
  }
  if (c === 0x66) {
    scalarEnd = at + 5;
    return false;
  }
  const digits = c === 0x2d ? at + 1 : at;
  let i = digits;
  let n = 0;
  for (let d = text.charCodeAt(i) - 0x30; d >= 0 && d <= 9; d = text.charCodeAt(++i) - 0x30) n = n * 10 + d;
  const next = text.charCodeAt(i);
  if (next !== 0x2e && next !== 0x65 && next !== 0x45 && i - digits <= 15) {
    scalarEnd = i;
    return c === 0x2d ? -n : n;
  }
  while (i < text.length && '+-.0123456789eE'.includes(text.charAt(i))) i++;
  scalarEnd = i;
  return valueOf(text.slice(at, i));
}

/** Whether the key at `start` is `key` (its characters, then the closing quote). */
function keyIs(text: string, start: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (text.charCodeAt(start + i) !== key.charCodeAt(i)) return false;
  return text.charCodeAt(start + key.length) === 0x22;
}

/**
 * The index of the wanted key that starts at `start`. `skip` has matched one, so its first character
 * tells it, or one more character (`title`, `type`, `timestamp`: the third), without a scan.
 */
function wantedAt(text: string, start: number, walker: ObjectWalker): number {
  const choice = walker.byFirst[text.charCodeAt(start)];
  if (choice !== undefined) {
    if (choice.at === 0) return choice.keys[0] as number;
    if (choice.at > 0) {
      const index = choice.byCode[text.charCodeAt(start + choice.at)];
      if (index !== undefined) return index;
    } else for (const i of choice.keys) if (keyIs(text, start, walker.keys[i] as string)) return i;
  }
  throw LEAVE; // cannot happen: `skip` matched one of them
}

/** Walks the object whose body starts at `at` into the walker's slots; returns where it ends. */
function walkObject(text: string, at: number, walker: ObjectWalker): number {
  const { skip, slots } = walker;
  for (;;) {
    skip.lastIndex = at;
    const compact = skip.test(text);
    if (compact) at = skip.lastIndex;
    else {
      // Whitespace (or no JSON): the slower expression decides, from the same place.
      walker.spaced.lastIndex = at;
      if (!walker.spaced.test(text)) throw LEAVE;
      at = walker.spaced.lastIndex;
    }
    const stop = text.charCodeAt(at - 1);
    if (stop === 0x7d) return at; // the object's `}`
    const keyStart = stop === 0x22 ? at : at + 1;
    const index = wantedAt(text, keyStart, walker);
    // Past the key's closing quote and the colon: `skip` has matched them with nothing between.
    let i = keyStart + (walker.lengths[index] as number) + 2;
    if (!compact) {
      for (i--; isSpace(text.charCodeAt(i));) i++;
      for (i++; isSpace(text.charCodeAt(i));) i++;
    }
    if (stop === 0x22) {
      slots[index] = scalarAt(text, i, walker.held[index] as boolean);
      i = scalarEnd;
    } else {
      const inner = text.charCodeAt(i) === 0x7b ? walker.nested[index] : undefined;
      if (inner !== undefined) {
        i = walkObject(text, i + 1, inner);
        slots[index] = inner.build(inner.slots);
      } else {
        ANY_VALUE.lastIndex = i;
        if (!ANY_VALUE.test(text)) throw LEAVE;
        slots[index] = valueOf(text.slice(i, ANY_VALUE.lastIndex));
        i = ANY_VALUE.lastIndex;
      }
    }
    let after = text.charCodeAt(i);
    while (isSpace(after)) after = text.charCodeAt(++i);
    if (after === 0x7d) return i + 1;
    if (after !== 0x2c) throw LEAVE;
    at = i + 1;
  }
}

/**
 * The selected part of a text that holds one JSON object, with only whitespace around it; throws
 * LEAVE (or, on a huge value, a regular expression's RangeError) where the fast path ends, after
 * which `clearWalker` must run before the walker's next use.
 */
export function walkText(text: string, walker: ObjectWalker): Record<string, unknown> {
  let at = 1;
  if (text.charCodeAt(0) !== 0x7b) {
    OPEN.lastIndex = 0;
    if (!OPEN.test(text)) throw LEAVE;
    at = OPEN.lastIndex;
  }
  const end = walkObject(text, at, walker);
  if (end !== text.length) {
    END.lastIndex = end;
    if (!END.test(text)) throw LEAVE;
  }
  return walker.build(walker.slots);
}
