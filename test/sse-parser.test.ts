/**
 * The streaming SSE parser against the raw 384-event recording exactly as the server sent it: fed
 * whole, byte by byte (every byte boundary is a chunk boundary), in random chunks, and split in two
 * at every position of its first events. The expected messages come from the file's own `id:` and
 * `data:` lines, read independently of the parser.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SseParser, type SseMessage } from '../src/core/sse-parser.js';
import { parseSseText } from '../src/sources/sse-text.js';
import { mulberry32 } from '../src/sources/simulate-random.js';
import { recording } from './support/shared-data.js';

const SSE_384 = 'recentchange-2026-06-20-384.sse';

function parseChunks(chunks: Uint8Array[], dispatchPartial = true): SseMessage[] {
  const out: SseMessage[] = [];
  const parser = new SseParser((m) => out.push(m));
  for (const chunk of chunks) parser.feed(chunk);
  parser.end(dispatchPartial);
  return out;
}

/** The recording's messages, read line by line with string functions, not with the parser. */
function expectedFromLines(text: string): Array<{ id: string; data: string }> {
  const out: Array<{ id: string; data: string }> = [];
  let id = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('id: ')) id = line.slice(4);
    if (line.startsWith('data: ')) out.push({ id, data: line.slice(6) });
  }
  return out;
}

const simplify = (messages: SseMessage[]): Array<{ id: string | null; data: string }> =>
  messages.map((m) => ({ id: m.id, data: m.data }));

describe('SSE parser on the raw 384-event recording', { timeout: 120_000 }, () => {
  const bytes = new Uint8Array(readFileSync(recording(SSE_384)));
  const text = Buffer.from(bytes).toString('utf8');
  const expected = expectedFromLines(text);

  it('finds 384 messages whose data are JSON events, with their ids verbatim', () => {
    const messages = parseChunks([bytes]);
    assert.equal(expected.length, 384);
    assert.deepEqual(simplify(messages), expected);
    assert.ok(messages.every((m) => m.event === 'message'));
    for (const m of messages) assert.equal(typeof JSON.parse(m.data), 'object');
    assert.match(messages[0]?.id ?? '', /^\[\{"topic":"eqiad\.mediawiki\.recentchange"/);
  });

  it('gives the same messages when fed one byte at a time', () => {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
    assert.deepEqual(simplify(parseChunks(chunks)), expected);
  });

  it('gives the same messages for random chunk sizes', () => {
    const random = mulberry32(7);
    for (let round = 0; round < 5; round++) {
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < bytes.length;) {
        const size = 1 + Math.floor(random() * 3000);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      assert.deepEqual(simplify(parseChunks(chunks)), expected);
    }
  });

  it('gives the same messages when every chunk is read into one reused Buffer, as a file reader does', () => {
    const out: SseMessage[] = [];
    const parser = new SseParser((m) => out.push(m));
    const buffer = Buffer.alloc(65_536);
    for (let at = 0; at < bytes.length; at += buffer.length) {
      const read = Buffer.from(bytes.subarray(at, at + buffer.length)).copy(buffer);
      parser.feed(buffer.subarray(0, read));
    }
    parser.end(true);
    assert.deepEqual(simplify(out), expected);
  });

  it('gives the same messages split in two at every position of the first three events', () => {
    // The first three messages plus their blank lines, with multi-byte UTF-8 in the second.
    const end = text.split('\n\n').slice(0, 3).join('\n\n').length + 2;
    const head = bytes.subarray(0, Buffer.byteLength(text.slice(0, end)));
    const want = expected.slice(0, 3);
    for (let cut = 0; cut <= head.length; cut++) {
      const got = parseChunks([head.subarray(0, cut), head.subarray(cut)]);
      assert.deepEqual(simplify(got), want, `split at byte ${cut}`);
    }
  });

  it('marks the byte offset after each message, where a reader resumes', () => {
    const messages = parseChunks([bytes]);
    const second = parseChunks([bytes.subarray(messages[0]?.end ?? 0)]);
    assert.deepEqual(simplify(second), expected.slice(1));
  });

  it('does not dispatch the unterminated last message of a dropped connection', () => {
    // The recording ends after the last data line without the blank line.
    assert.equal(parseChunks([bytes], false).length, 383);
    assert.equal(parseChunks([bytes], true).length, 384);
  });
});

describe('SSE parser, the EventSource rules', { timeout: 120_000 }, () => {
  const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

  it('accepts CRLF, CR and LF line ends, even a CRLF cut between chunks', () => {
    const source = 'id: 1\r\ndata: a\r\n\r\nid: 2\rdata: b\r\rdata: c\n\n';
    const whole = encode(source);
    const want = [
      { id: '1', data: 'a' },
      { id: '2', data: 'b' },
      { id: '2', data: 'c' },
    ];
    for (let cut = 0; cut <= whole.length; cut++) {
      assert.deepEqual(
        simplify(parseChunks([whole.subarray(0, cut), whole.subarray(cut)])),
        want,
        `cut ${cut}`,
      );
    }
  });

  it('joins multi-line data, skips comments and data-less events, keeps ids across messages', () => {
    const got = parseChunks([
      encode(': keep-alive\n\nevent: note\ndata: one\ndata:two\n\nid: 9\n\ndata: x\n\n'),
    ]);
    assert.deepEqual(
      got.map((m) => [m.event, m.data, m.id]),
      [
        ['note', 'one\ntwo', null],
        ['message', 'x', '9'],
      ],
    );
  });

  it('ignores an id with NUL, reads retry digits only, strips a leading BOM', () => {
    const parser = new SseParser(() => undefined);
    parser.feed(encode('\uFEFFretry: 1500\nid: a\0b\ndata: 1\n\nretry: x\n'));
    assert.equal(parser.retry, 1500);
    assert.equal(parser.lastEventId, null);
    assert.deepEqual(simplify(parseSseText('\uFEFFdata: y\n\n')), [{ id: null, data: 'y' }]);
  });

  it('keeps a multi-byte character intact when a chunk boundary cuts it', () => {
    const whole = encode('data: Участник ✓\n\n');
    for (let cut = 0; cut <= whole.length; cut++)
      assert.equal(parseChunks([whole.subarray(0, cut), whole.subarray(cut)])[0]?.data, 'Участник ✓');
  });
});
