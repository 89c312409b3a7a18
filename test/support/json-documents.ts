/**
 * Random JSON texts for the tests of on-demand decoding (core/json-fields.ts): documents over a pool
 * of keys, selections, random edits, and the exact outcome to compare with.
 */
import fc from 'fast-check';
import { parseJson } from '../../src/core/exact-json.js';
import { projectJson, selectionOf, type SelectedKeys } from '../../src/core/json-fields.js';

/** How a key or string is spelled: plainly, or with some characters as escapes. */
export function spell(text: string, escapes: number[]): string {
  let out = '"';
  for (const [i, ch] of [...text].entries()) {
    const code = ch.codePointAt(0) as number;
    const escape = escapes[i % Math.max(1, escapes.length)] ?? 0;
    if (code > 0xffff) out += escape % 2 === 0 ? ch : JSON.stringify(ch).slice(1, -1);
    else if (ch === '"' || ch === '\\' || code < 0x20 || escape % 3 === 1)
      out += `\\u${code.toString(16).padStart(4, '0')[escape % 5 === 0 ? 'toUpperCase' : 'toLowerCase']()}`;
    else if (ch === '/' && escape % 2 === 1) out += '\\/';
    else out += ch;
  }
  return `${out}"`;
}

const escapes = fc.array(fc.nat(30), { maxLength: 4 });
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 6, unit: 'binary' }),
  fc.constantFrom('\ud800', 'a\udc00b', '\ud83d\ude00', 'x/y', 'tab\there', 'nul\u0000', ''),
);
const stringLiteral = fc.tuple(text, escapes).map(([t, e]) => spell(t, e));

export const numberLiteral = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.constantFrom('9007199254740993', '-9007199254740993', '9007199254740992', '-0', '0', '1e19', '1E+2'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc
    .tuple(fc.integer({ min: -99, max: 99 }), fc.nat(999), fc.integer({ min: -30, max: 30 }))
    .map(([i, f, e]) => `${i}.${f}e${e}`),
);

export const space = fc.constantFrom('', '', '', ' ', '\n', '\t ', '\r\n  ');

/**
 * Random JSON documents whose keys come from a small pool, so that they repeat keys and hit the
 * selected ones, and random selections of paths through the same keys.
 */
export function documentsOver(keys: string[]): {
  jsonText: fc.Arbitrary<string>;
  document: fc.Arbitrary<string>;
  selection: fc.Arbitrary<SelectedKeys>;
} {
  /** JSON text of any value, nested up to 6 levels (deeper than the fast path skips). */
  const { value: jsonText } = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      stringLiteral,
      numberLiteral,
      fc.constantFrom('true', 'false', 'null'),
      tie('object'),
      tie('array'),
    ),
    object: fc
      .array(fc.tuple(fc.constantFrom(...keys), escapes, space, tie('value'), space), { maxLength: 6 })
      .map(
        (pairs) =>
          `{${pairs.map(([k, e, s1, v, s2]) => `${s1}${spell(k, e)}${s2}:${s1}${v}${s2}`).join(',')}}`,
      ),
    array: fc
      .array(fc.tuple(space, tie('value')), { maxLength: 4 })
      .map((items) => `[${items.map(([s, v]) => `${s}${v}`).join(',')}]`),
  }));

  /** An event-like document: an object at the top, with some of the selected keys. */
  const document = fc
    .tuple(space, fc.array(fc.tuple(fc.constantFrom(...keys), escapes, jsonText), { maxLength: 8 }), space)
    .map(([s1, pairs, s2]) => `${s1}{${pairs.map(([k, e, v]) => `${spell(k, e)}:${v}`).join(', ')}}${s2}`);

  const selection: fc.Arbitrary<SelectedKeys> = fc
    .array(fc.array(fc.constantFrom(...keys), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 })
    .map((paths) => selectionOf(paths));
  return { jsonText, document, selection };
}

export type Outcome = { value: unknown } | { error: string };

export function outcome(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

export function exact(text: string, keys: SelectedKeys): Outcome {
  return outcome(() => projectJson(parseJson(text), keys));
}

/** Random edits of a text: a character inserted, deleted or replaced, a piece repeated. */
export const mutation = fc.tuple(
  fc.nat(),
  fc.constantFrom('insert', 'delete', 'replace', 'repeat'),
  fc.constantFrom(...'{}[]",:\\/ 0123456789-+.eEtfnulrb\u0000\n\u001fx'.split(''), 'u12', '\\u', '01', '1.'),
);

export function mutate(text: string, [at, kind, piece]: [number, string, string]): string {
  const i = text.length === 0 ? 0 : at % text.length;
  if (kind === 'insert') return text.slice(0, i) + piece + text.slice(i);
  if (kind === 'delete') return text.slice(0, i) + text.slice(i + 1);
  if (kind === 'replace') return text.slice(0, i) + piece + text.slice(i + piece.length);
  return text.slice(0, i) + text.slice(i, i + 7) + text.slice(i);
}
