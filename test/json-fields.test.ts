/**
 * On-demand decoding (core/json-fields.ts) against the exact parser (core/exact-json.ts parseJson):
 * on random JSON documents it gives exactly the selected part of parseJson's value, and on random
 * mutations of them it accepts exactly the texts JSON.parse accepts, with JSON.parse's message.
 * The real recordings decode to the same input rows as a whole parse.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseJson } from '../src/core/exact-json.js';
import {
  fieldDecoder,
  projectJson,
  selectionOf,
  unionSelection,
  type SelectedKeys,
} from '../src/core/json-fields.js';
import { fieldsRead, recordMapper } from '../src/ingest/records.js';
import { eventParser, parseEvent, SOURCE_FIELDS } from '../src/sources/event-schema.js';
import { readRecording } from '../src/sources/replay.js';
import { fuzz } from './support/fuzz.js';
import { recording } from './support/shared-data.js';

/** Keys drawn from a small pool, so that documents repeat keys and hit the selected ones. */
const KEYS = ['user', 'meta', 'id', 'dt', 'length', 'new', 'a', '', 'é', '__proto__', 'r_ts'];

/** How a key or string is spelled: plainly, or with some characters as escapes. */
function spell(text: string, escapes: number[]): string {
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

const numberLiteral = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.constantFrom('9007199254740993', '-9007199254740993', '9007199254740992', '-0', '0', '1e19', '1E+2'),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc
    .tuple(fc.integer({ min: -99, max: 99 }), fc.nat(999), fc.integer({ min: -30, max: 30 }))
    .map(([i, f, e]) => `${i}.${f}e${e}`),
);

const space = fc.constantFrom('', '', '', ' ', '\n', '\t ', '\r\n  ');

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
    .array(fc.tuple(fc.constantFrom(...KEYS), escapes, space, tie('value'), space), { maxLength: 6 })
    .map(
      (pairs) => `{${pairs.map(([k, e, s1, v, s2]) => `${s1}${spell(k, e)}${s2}:${s1}${v}${s2}`).join(',')}}`,
    ),
  array: fc
    .array(fc.tuple(space, tie('value')), { maxLength: 4 })
    .map((items) => `[${items.map(([s, v]) => `${s}${v}`).join(',')}]`),
}));

/** An event-like document: an object at the top, with some of the selected keys. */
const document = fc
  .tuple(space, fc.array(fc.tuple(fc.constantFrom(...KEYS), escapes, jsonText), { maxLength: 8 }), space)
  .map(([s1, pairs, s2]) => `${s1}{${pairs.map(([k, e, v]) => `${spell(k, e)}:${v}`).join(', ')}}${s2}`);

const selection: fc.Arbitrary<SelectedKeys> = fc
  .array(fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 })
  .map((paths) => selectionOf(paths));

type Outcome = { value: unknown } | { error: string };

function outcome(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    return { error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

function exact(text: string, keys: SelectedKeys): Outcome {
  return outcome(() => projectJson(parseJson(text), keys));
}

/** Random edits of a text: a character inserted, deleted or replaced, a piece repeated. */
const mutation = fc.tuple(
  fc.nat(),
  fc.constantFrom('insert', 'delete', 'replace', 'repeat'),
  fc.constantFrom(...'{}[]",:\\/ 0123456789-+.eEtfnulrb\u0000\n\u001fx'.split(''), 'u12', '\\u', '01', '1.'),
);

function mutate(text: string, [at, kind, piece]: [number, string, string]): string {
  const i = text.length === 0 ? 0 : at % text.length;
  if (kind === 'insert') return text.slice(0, i) + piece + text.slice(i);
  if (kind === 'delete') return text.slice(0, i) + text.slice(i + 1);
  if (kind === 'replace') return text.slice(0, i) + piece + text.slice(i + piece.length);
  return text.slice(0, i) + text.slice(i, i + 7) + text.slice(i);
}

describe('on-demand decoding', { timeout: 120_000 }, () => {
  it('decodes random documents to exactly the selected part of parseJson', () => {
    fc.assert(
      fc.property(document, selection, (text, keys) => {
        assert.deepEqual(
          outcome(() => fieldDecoder(keys)(text)),
          exact(text, keys),
        );
      }),
      fuzz(1000),
    );
  });

  it('accepts exactly what JSON.parse accepts, after random mutations, with its message', () => {
    fc.assert(
      fc.property(
        document,
        selection,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (valid, keys, edits) => {
          const text = edits.reduce(mutate, valid);
          const decoded = outcome(() => fieldDecoder(keys)(text));
          assert.deepEqual(decoded, exact(text, keys));
          assert.equal('error' in decoded, 'error' in outcome(() => JSON.parse(text)));
        },
      ),
      fuzz(2000),
    );
  });

  it('follows JSON.parse on the corner cases of the grammar', () => {
    const decode = fieldDecoder(selectionOf([['user'], ['n'], ['meta', 'id']]));
    const cases = [
      '{"user":01}',
      '{"x":01}',
      '{"x":1.}',
      '{"x":-}',
      '{"x":.5}',
      '{"x":1e}',
      '{"x":"a\tb"}',
      '{"x":"\\x"}',
      '{"x":"\\u12"}',
      '{"user":"u"} x',
      '{"user":"u"}}',
      '{"user":"u",}',
      '{"x":1,}',
      '{"meta":{"id":"a"},}',
      '{"meta":{"id":"a",}}',
      '{"user":[1],}',
      '{,"user":"u"}',
      '{"user" "u"}',
      '{"x":[1,]}',
      '{"x":{"y":{"z":{"w":{"v":[01]}}}}}',
      '{"x":{"y":{"z":{"w":{"v":[1]}}}}, "user": "deep"}',
      '{"\\u0075ser":"escaped key","user":"plain","user":"last"}',
      '{"user":"plain","\\u0075ser":"escaped last"}',
      '{"n":12345678901234567890,"x":12345678901234567890}',
      '{"n":-0,"user":"\\ud800"}',
      '{"meta":{"id":"a","id":"b"},"meta":{"dt":"c"}}',
      '{"meta":[{"id":1}],"__proto__":{"user":1}}',
      '{"user":null,"n":true}',
      ' \r\n\t{ "user" : "u" , "n" : 1e400 } \n',
      '[1]',
      '"text"',
      '',
    ];
    for (const text of cases)
      assert.deepEqual(
        outcome(() => decode(text)),
        exact(text, selectionOf([['user'], ['n'], ['meta', 'id']])),
        text,
      );
  });

  it('parseJson refuses what JSON.parse refuses, and keeps integers beyond 2^53', () => {
    for (const text of ['[01234567890123456789]', '{12345678901234567890:1}', '[-012345678901234567]'])
      assert.throws(() => parseJson(text), SyntaxError, text);
    assert.deepEqual(parseJson('[12345678901234567890,-9007199254740993,1.5]'), [
      12345678901234567890n,
      -9007199254740993n,
      1.5,
    ]);
  });
});

describe('on-demand decoding of the recordings', { timeout: 120_000 }, () => {
  const columns = [
    'bot',
    'comment',
    'id',
    'length_new',
    'length_old',
    'meta_uri',
    'meta_id',
    'minor',
    'namespace',
    'parsedcomment',
    'revision_new',
    'revision_old',
    'server_name',
    'server_script_path',
    'server_url',
    'r_ts',
    'title',
    'type',
    'user',
    'wiki',
    'r_schema',
    'log_params',
    'log_type',
    'meta_dt',
  ].map((name) => ({
    name,
    type:
      name === 'log_params'
        ? 'jsonb'
        : /^(bot|minor)$/.test(name)
          ? 'boolean'
          : /^(comment|meta_|parsed|server|title|type|user|wiki|r_schema|log_type)/.test(name)
            ? 'text'
            : 'bigint',
  }));
  const names = [
    'recentchange-2026-05-05-2476.jsonl',
    'recentchange-2026-06-20-384.sse',
    'recentchange-2023-07-29-enwiki-100.jsonl',
  ];
  for (const name of names) {
    it(`decodes every event of ${name} to the same fields and rows as a whole parse`, async () => {
      const lines = await readRecording(recording(name));
      assert.ok(lines.length >= 100);
      const map = recordMapper(columns);
      const reads = fieldsRead(columns);
      const decode = eventParser(reads);
      const keys = unionSelection(reads, SOURCE_FIELDS);
      for (const [i, line] of lines.entries()) {
        const whole = parseEvent(line);
        const decoded = decode(line);
        assert.ok('event' in whole && 'event' in decoded, `event ${i + 1}`);
        assert.deepEqual(decoded.event, projectJson(whole.event, keys), `event ${i + 1}`);
        assert.deepEqual(map(decoded.event), map(whole.event), `event ${i + 1}`);
      }
    });
  }
});
