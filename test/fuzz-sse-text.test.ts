/**
 * Property tests of the SSE parser (the live stream, file tail and recordings): arbitrary bytes in
 * arbitrary chunks never throw and parse exactly as when fed whole; no field breaks framing;
 * well-formed events survive any line ending, comments and chunk boundary (also inside a CRLF or a
 * multi-byte character); the real recording parses the same with CRLF or CR.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SseParser, type SseMessage } from '../src/core/sse-parser.js';
import { parseSseText } from '../src/sources/sse-text.js';
import { fuzz, textWith } from './support/fuzz.js';
import { recording } from './support/shared-data.js';

const SSE_TOKENS = ['\n', '\r\n', '\r', ':', ': ', 'data', 'data:', 'event:', 'id:', 'retry:', '\0', ' '];

interface SentEvent {
  event: string;
  dataLines: string[];
  id: string | null;
}

/** A field value as a server may send it: no line breaks; ids also without NUL. */
const lineText = fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, ''));
const idText = lineText.map((s) => s.replace(/\0/g, ''));

const sentEvent: fc.Arbitrary<SentEvent> = fc.record({
  event: lineText,
  dataLines: fc.array(lineText, { minLength: 1, maxLength: 4 }),
  id: fc.option(idText, { nil: null }),
});

const lineEnding = fc.constantFrom('\n', '\r\n', '\r');

/** Serializes events with a random line ending per line and random comments between lines. */
function serialize(events: SentEvent[], endings: string[], comments: boolean[]): string {
  let out = '';
  let n = 0;
  const line = (text: string): void => {
    const i = n++;
    if (comments[i % comments.length]) out += `: keep-alive ${i}${endings[i % endings.length]}`;
    let ending = endings[(i + 1) % endings.length] as string;
    // CR then LF is one line break (CRLF): after a CR, an empty line must not start with LF.
    if (text === '' && out.endsWith('\r') && ending === '\n') ending = '\r\n';
    out += text + ending;
  };
  for (const e of events) {
    if (e.event) line(`event: ${e.event}`);
    if (e.id !== null) line(`id: ${e.id}`);
    for (const data of e.dataLines) line(`data: ${data}`);
    line('');
  }
  return out;
}

type Fields = Omit<SseMessage, 'end'>;
const fields = (messages: SseMessage[]): Fields[] =>
  messages.map(({ event, data, id }) => ({ event, data, id }));

/** Feeds `bytes` cut at `cuts` (any offsets) to a streaming parser, as a socket would deliver them. */
function parseChunked(bytes: Uint8Array, cuts: number[], dispatchPartial = true): SseMessage[] {
  const messages: SseMessage[] = [];
  const parser = new SseParser((m) => messages.push(m));
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const at of [...points, bytes.length]) {
    parser.feed(bytes.subarray(from, at));
    from = at;
  }
  parser.end(dispatchPartial);
  return messages;
}

/** What a client must see: the last id persists across events until a new `id:` line. */
function expected(events: SentEvent[]): Fields[] {
  let id: string | null = null;
  return events.map((e) => {
    if (e.id !== null) id = e.id;
    return { event: e.event || 'message', data: e.dataLines.join('\n'), id };
  });
}

describe('SSE text parser under arbitrary input', { timeout: 120_000 }, () => {
  it('never throws, and never yields a CR in data, a line break in event or id, or NUL in id', () => {
    fc.assert(
      fc.property(textWith(SSE_TOKENS), (text) => {
        for (const message of parseSseText(text)) {
          assert.ok(!message.data.includes('\r'));
          assert.ok(!/[\r\n]/.test(message.event) && message.event !== '');
          assert.ok(message.id === null || !/[\r\n\0]/.test(message.id));
        }
      }),
      fuzz(500),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const events = parseSseText(bytes);
        assert.ok(events.length <= bytes.length);
      }),
      fuzz(300),
    );
  });

  it('gives back every well-formed event whatever the line endings and comments', () => {
    fc.assert(
      fc.property(
        fc.array(sentEvent, { maxLength: 8 }),
        fc.array(lineEnding, { minLength: 1, maxLength: 7 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        (events, endings, comments) => {
          const text = serialize(events, endings, comments);
          assert.deepEqual(fields(parseSseText(text)), expected(events));
        },
      ),
      fuzz(400),
    );
  });

  it('dispatches a final event that lacks its blank line', () => {
    fc.assert(
      fc.property(sentEvent, (event) => {
        const text = serialize([event], ['\n'], [false]).replace(/\n$/, '');
        assert.deepEqual(fields(parseSseText(text)), expected([event]));
      }),
      fuzz(200),
    );
  });

  it('parses arbitrary bytes cut into arbitrary chunks exactly as when fed whole', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          textWith(SSE_TOKENS).map((t) => new TextEncoder().encode(t)),
        ),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.boolean(),
        (bytes, cuts, partial) => {
          assert.deepEqual(parseChunked(bytes, cuts, partial), parseChunked(bytes, [], partial));
        },
      ),
      fuzz(500),
    );
  });

  it('gives back well-formed events cut at every chunk boundary, multi-byte characters included', () => {
    fc.assert(
      fc.property(
        fc.array(sentEvent, { minLength: 1, maxLength: 5 }),
        fc.array(lineEnding, { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        (events, endings, cuts) => {
          const withUnicode = events.map((e) => ({ ...e, dataLines: e.dataLines.map((d) => `${d}é€😀`) }));
          const bytes = new TextEncoder().encode(serialize(withUnicode, endings, [false]));
          assert.deepEqual(fields(parseChunked(bytes, cuts, false)), expected(withUnicode));
        },
      ),
      fuzz(400),
    );
  });

  it('parses the real 384-event recording the same with LF, CRLF or CR line endings', () => {
    const text = readFileSync(recording('recentchange-2026-06-20-384.sse'), 'utf8');
    const lf = fields(parseSseText(text));
    assert.equal(lf.filter((m) => m.event === 'message').length, 384);
    for (const ending of ['\r\n', '\r']) {
      assert.deepEqual(fields(parseSseText(text.replace(/\n/g, ending))), lf, JSON.stringify(ending));
    }
    // Every 997th byte a chunk boundary, as a socket might cut it.
    const bytes = new TextEncoder().encode(text);
    const cuts = Array.from({ length: Math.floor(bytes.length / 997) }, (_, i) => (i + 1) * 997);
    assert.deepEqual(fields(parseChunked(bytes, cuts)), lf);
  });
});
