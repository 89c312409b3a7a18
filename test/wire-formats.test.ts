/** Framing and parsing at the edges: SSE fields, client messages, and `viewcast tail` lines. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyValue, dataLine, progressLine } from '../src/cli/copy-text.js';
import { parseClientMessage, parseSince } from '../src/server/client-messages.js';
import { sseFrame, sseJsonHead } from '../src/server/sse-framing.js';

describe('SSE framing', { timeout: 120_000 }, () => {
  it('splits data on every kind of line break into data: lines', () => {
    assert.equal(
      sseFrame({ event: 'batch', id: '42', data: 'a\nb\r\nc\rd' }),
      'event: batch\nid: 42\ndata: a\ndata: b\ndata: c\ndata: d\n\n',
    );
  });

  it('refuses a line break in an id or event name', () => {
    assert.throws(() => sseFrame({ id: '1\n2', data: '' }), { code: 'VIEWCAST_SSE_FIELD' });
    assert.throws(() => sseJsonHead('x\ry', null), { code: 'VIEWCAST_SSE_FIELD' });
  });

  it('keeps serialized JSON on one line whatever the strings hold', () => {
    const json = JSON.stringify({ rows: [['line\nbreak', 'cr\r', '\u2028']] });
    assert.equal(sseFrame({ data: json }).split('\n').length, 3);
  });
});

describe('client messages', { timeout: 120_000 }, () => {
  it('accepts "view" for a single view and removes duplicates', () => {
    assert.deepEqual(parseClientMessage('{"type":"subscribe","view":"top10","since":"17","ref":"r"}'), {
      type: 'subscribe',
      views: ['top10'],
      since: 17,
      ref: 'r',
    });
    assert.deepEqual(parseClientMessage('{"type":"unsubscribe","views":["a","a"]}'), {
      type: 'unsubscribe',
      views: ['a'],
      ref: undefined,
    });
  });

  it('refuses bad messages with BAD_MESSAGE and echoes the ref', () => {
    for (const text of [
      '[',
      '[]',
      '{"type":"nope"}',
      '{"type":"subscribe","views":[]}',
      '{"type":"subscribe","views":[1]}',
    ])
      assert.equal((parseClientMessage(text) as { code: string }).code, 'BAD_MESSAGE', text);
    assert.deepEqual(parseClientMessage('{"type":"subscribe","views":["a"],"since":-1,"ref":3}'), {
      code: 'BAD_MESSAGE',
      message: '"since" must be a timestamp (a whole number of milliseconds), not -1',
      ref: 3,
    });
  });

  it('parses since from numbers and digit strings only', () => {
    assert.equal(parseSince(undefined), null);
    assert.equal(parseSince(' 12 '), 12);
    assert.equal(parseSince('1e3'), undefined);
    assert.equal(parseSince(2 ** 60), undefined);
  });
});

describe('tail lines in COPY text format', { timeout: 120_000 }, () => {
  it('escapes tabs, newlines and backslashes, writes NULL as \\N and booleans as t/f', () => {
    assert.equal(copyValue('a\tb\nc\\d\re'), 'a\\tb\\nc\\\\d\\re');
    assert.equal(copyValue(null), '\\N');
    assert.equal(copyValue(true), 't');
    assert.equal(copyValue({ k: 1 }), '{"k":1}');
    assert.equal(dataLine(5, -2, ['x', 3, null]), '5\tf\t-2\tx\t3\t\\N');
    assert.equal(progressLine(6, 2), '6\tt\t\\N\t\\N\t\\N');
  });
});
