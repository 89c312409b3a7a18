/**
 * Text under collation "C" (the engine's): strings order by Unicode code point, which is UTF-8 byte
 * order. JavaScript's `<` compares UTF-16 units and puts astral characters (surrogates, 0xD800..)
 * before U+E000..U+FFFF, so the first differing unit decides only outside the surrogate range.
 */
import { SqlEvalError } from './interface.js';

export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  // A surrogate is part of a code point above U+FFFF, greater than every BMP unit it differs from.
  const xs = x >= 0xd800 && x <= 0xdfff;
  const ys = y >= 0xd800 && y <= 0xdfff;
  if (xs === ys) return x < y ? -1 : 1;
  return xs ? 1 : -1;
}

/** Length in characters (code points), as Postgres counts in UTF-8. */
export function textLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      n--;
      i++;
    }
  }
  return n;
}

/** Postgres text cannot hold NUL: input with one is refused as Postgres refuses it. */
export function checkText(s: string): string {
  if (s.includes('\u0000'))
    throw new SqlEvalError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
  return s;
}
