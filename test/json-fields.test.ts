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
import { fieldDecoder, projectJson, selectionOf, unionSelection } from '../src/core/json-fields.js';
import { fieldsRead, recordMapper } from '../src/ingest/records.js';
import { eventParser, parseEvent, SOURCE_FIELDS } from '../src/sources/event-schema.js';
import { readRecording } from '../src/sources/replay.js';
import { fuzz } from './support/fuzz.js';
import { documentsOver, exact, mutate, mutation, outcome } from './support/json-documents.js';
import { recording } from './support/shared-data.js';

/** Keys drawn from a small pool, so that documents repeat keys and hit the selected ones. */
const KEYS = ['user', 'meta', 'id', 'dt', 'length', 'new', 'a', '', 'é', '__proto__', 'r_ts'];
const { document, selection } = documentsOver(KEYS);

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
