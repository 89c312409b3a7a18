/**
 * The fast path of on-demand decoding (core/json-walk.ts) where it reads values itself: keys told
 * apart by their first characters, integers summed from their digits, slots reused from one text to
 * the next (also after a text that left the fast path half way), and results with their keys in the
 * selection's order. Each is compared with the exact path: projectJson(parseJson(text)). And a held
 * long value is a copy, not a view that keeps its event's whole text alive.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { fieldDecoder, projectJson, selectionOf, type SelectedKeys } from '../src/core/json-fields.js';
import { eventParser, metaId, SOURCE_FIELDS } from '../src/sources/event-schema.js';
import { fuzz } from './support/fuzz.js';
import {
  documentsOver,
  exact,
  mutate,
  mutation,
  numberLiteral,
  outcome,
  space,
} from './support/json-documents.js';

/** What eventParser decodes for a sink that reads `user`. */
const SELECTED = new Map([...SOURCE_FIELDS, ['user', true]]) as SelectedKeys;

/** Keys that share first characters and prefixes, as `title`, `type` and `timestamp` do. */
const SIMILAR = ['t', 'ti', 'title', 'type', 'timestamp', 'd', 'dt', 'domain', 'u', 'user', 'user_', ''];

/** The keys of a value at every depth, in order: the decoded value's shape. */
function shape(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  return Object.entries(value).map(([key, inner]) => [key, shape(inner)]);
}

function sameAsExact(decode: (text: string) => unknown, text: string, keys: SelectedKeys): void {
  const decoded = outcome(() => decode(text));
  const expected = exact(text, keys);
  assert.deepEqual(decoded, expected);
  if ('value' in decoded && 'value' in expected)
    assert.deepEqual(shape(decoded.value), shape(expected.value));
}

/** Integers around the largest that are summed from their digits (15) and the first unsafe ones. */
const integer = fc.oneof(
  fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }).map(String),
  fc.nat(18).chain((digits) => fc.constantFrom('9'.repeat(digits + 1), `1${'0'.repeat(digits)}`)),
  fc.constantFrom(
    '-0',
    '0',
    '-1',
    '999999999999999',
    '1000000000000000',
    '-999999999999999',
    '9007199254740993',
  ),
);

describe('on-demand decoding: the values the walk reads itself', { timeout: 120_000 }, () => {
  it('tells apart keys that share first characters and prefixes', () => {
    const { document, selection } = documentsOver(SIMILAR);
    fc.assert(
      fc.property(document, selection, fc.array(mutation, { maxLength: 2 }), (valid, keys, edits) =>
        sameAsExact(fieldDecoder(keys), edits.reduce(mutate, valid), keys),
      ),
      fuzz(1500),
    );
  });

  it('reads integers and other numbers as parseJson does, with whitespace around them', () => {
    const keys = selectionOf([['n'], ['m', 'n']]);
    const decode = fieldDecoder(keys);
    const pair = fc
      .tuple(fc.constantFrom('n', 'x', 'm'), space, fc.oneof(integer, numberLiteral), space)
      .map(([key, s, value, s2]) => `"${key}"${s}:${s}${key === 'm' ? `{"n":${value}${s2}}` : value}${s2}`);
    fc.assert(
      fc.property(fc.array(pair, { minLength: 1, maxLength: 4 }), (pairs) =>
        sameAsExact(decode, `{${pairs.join(',')}}`, keys),
      ),
      fuzz(2000),
    );
  });

  it('gives each text its own result when one decoder reads many, valid or not', () => {
    const { document, selection } = documentsOver(['user', 'meta', 'id', 'dt', 'a', '__proto__']);
    const texts = fc.array(
      fc
        .tuple(document, fc.array(mutation, { maxLength: 2 }))
        .map(([valid, edits]) => edits.reduce(mutate, valid)),
      { minLength: 2, maxLength: 8 },
    );
    fc.assert(
      fc.property(selection, texts, (keys, sequence) => {
        const decode = fieldDecoder(keys);
        for (const text of sequence) sameAsExact(decode, text, keys);
      }),
      fuzz(500),
    );
  });

  it('forgets the values of a text that left the fast path half way, and refuses what JSON.parse does', () => {
    const keys = selectionOf([['user'], ['meta', 'id'], ['n']]);
    const decode = fieldDecoder(keys);
    const cases = [
      '{"user":"a","meta":{"id":"b"},"n":1,"x":01}',
      '{"x":1}',
      '{"meta":{"id":"c","y":[1,]},"user":"d"}',
      '{"meta":{}}',
      '{"n":2,"meta":{"id":"e"},"x":{"a":{"b":{"c":{"d":{}}}}}}',
      '{"meta":{"id":"f"},"meta":{"dt":"g"}}',
      '{}',
      // A wanted key without its colon, whatever its value, is no JSON.
      '{"meta"x{"id":"a"}}',
      '{"meta" {"id":"a"}}',
      '{"meta"{"id":"a"}}',
      '{"meta":{"id"x"a"}}',
      '{"user"x"u"}',
      '{"user" x "u"}',
      '{"user""u"}',
      '{"user"x["u"]}',
      '{"n"x1}',
      '{"n" : 1, "meta" :{ "id" : "a" } }',
    ];
    for (const text of cases) sameAsExact(decode, text, keys);
  });

  it('accepts exactly what JSON.parse accepts after edits at a colon, a comma or a brace', () => {
    const { document, selection } = documentsOver(['user', 'meta', 'id', 'n', '']);
    const edit = fc.tuple(fc.nat(), mutation);
    fc.assert(
      fc.property(document, selection, edit, (valid, keys, [which, [, kind, piece]]) => {
        const places = [...valid.matchAll(/[:,{}]/g)].map((match) => match.index);
        const at = places[which % Math.max(1, places.length)] ?? 0;
        const text = mutate(valid, [at, kind, piece]);
        sameAsExact(fieldDecoder(keys), text, keys);
        assert.equal(
          'error' in outcome(() => fieldDecoder(keys)(text)),
          'error' in outcome(() => JSON.parse(text)),
        );
      }),
      fuzz(1500),
    );
  });

  /** Bytes that 400 texts of 100 KB leave on the heap through what `hold` keeps of each. */
  function heldBytes(hold: (text: string, i: number) => unknown): number {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const pad = 'x'.repeat(100_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    // 40 MB (80 MB as two-byte strings) would stay if a value were a view into its text.
    const held = Array.from({ length: 400 }, (_, i) =>
      hold(`{"pad":"${pad}${i}","id":"${String(i).padStart(36, '0')}","user":"u${i}"}`, i),
    );
    gc();
    assert.equal(held.length, 400);
    return process.memoryUsage().heapUsed - before;
  }

  it('keeps no event text alive through a held value', () => {
    const decode = fieldDecoder(selectionOf([['id'], ['user']]));
    const grown = heldBytes((text, i) => {
      const event = decode(text) as { id: string; user: string };
      assert.equal(event.id, String(i).padStart(36, '0'));
      return event;
    });
    assert.ok(grown < 10_000_000, `the held values take ${grown} bytes`);
  });

  it('keeps no event text alive through a deduplicated meta.id, whose neighbours are not copied', () => {
    const decode = eventParser(selectionOf([['user']]));
    const grown = heldBytes((text, i) => {
      const dt = `2026-05-05T11:17:40.${String(i).padStart(3, '0')}Z`;
      const withMeta = `${text.slice(0, -1)},"meta":{"id":"${String(i).padStart(36, '0')}","domain":"pt.wikipedia.org","dt":"${dt}"}}`;
      const parsed = eventParser(undefined)(withMeta);
      const decoded = decode(withMeta);
      assert.deepEqual(decoded, 'event' in parsed ? { event: projectJson(parsed.event, SELECTED) } : parsed);
      return 'event' in decoded ? metaId(decoded.event) : null;
    });
    assert.ok(grown < 10_000_000, `the held ids take ${grown} bytes`);
  });
});
