/**
 * The Postgres-wire server under fuzzed input on raw sockets: arbitrary bytes and malformed start-up
 * packets (bad lengths, unknown protocol codes, truncated), then, after a good start-up, arbitrary
 * typed messages (unknown types, wrong lengths, truncated bodies, hostile SQL). Each time the answer
 * is well-framed, every error carries a severity, a SQLSTATE and a message, nothing is buffered
 * without bound before authentication, no session is left behind, and real clients are still served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { App } from '../src/cli/app.js';
import type { RunningPgServer } from '../src/pgwire/server.js';
import { fuzz } from './support/fuzz.js';
import { pgClient, startTestPgServer, waitForChannel } from './support/pg-wire.js';
import {
  CANCEL_REQUEST,
  converse,
  errorFields,
  frontendMessage,
  GSSENC_REQUEST,
  parseAnswer,
  PROTOCOL_3,
  SSL_REQUEST,
  startupMessage,
  type Answer,
} from './support/raw-pg.js';
import { startTestApp } from './support/server.js';
import { recording } from './support/shared-data.js';

const STARTUP = startupMessage({ user: 'materialize', database: 'materialize' });

/** Chunks of `bytes` cut at the given offsets, as TCP may deliver them. */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const at of [...points, bytes.length]) {
    if (at > from) out.push(bytes.subarray(from, at));
    from = at;
  }
  return out;
}

/** Well-framed, and every error says what went wrong; a FATAL error is the last thing said. */
function assertClear(answer: Answer): void {
  assert.equal(answer.leftover, 0, 'the answer ends in the middle of a message');
  answer.messages.forEach((message, i) => {
    if (message.type !== 'E') return;
    const fields = errorFields(message.body);
    assert.match(fields['S'] ?? '', /^(ERROR|FATAL)$/, JSON.stringify(fields));
    assert.match(fields['C'] ?? '', /^[0-9A-Z]{5}$/, JSON.stringify(fields));
    assert.ok((fields['M'] ?? '').length > 3, JSON.stringify(fields));
    assert.doesNotMatch(fields['M'] ?? '', /\bat \S+\.js:\d+|undefined|\[object Object\]/, fields['M']);
    if (fields['S'] === 'FATAL') assert.equal(i, answer.messages.length - 1, 'a message after FATAL');
  });
}

const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n | 0, 0);
  return b;
};

/** The first bytes of a connection: noise, or a start-up packet with something wrong in it. */
const startupPhase = fc.oneof(
  fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
  fc
    .record({
      length: fc.oneof(
        fc.constant(null),
        fc.constantFrom(-1, 0, 3, 4, 7, 8, 10_001, 2 ** 31 - 1),
        fc.integer({ min: 0, max: 200 }),
      ),
      code: fc.oneof(
        fc.constantFrom(PROTOCOL_3, SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST, 0x00020000, 0x00030001),
        fc.integer(),
      ),
      body: fc.oneof(
        fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
        fc
          .dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 })
          .map((d) => Buffer.from(`${Object.entries(d).flat().join('\0')}\0\0`)),
        fc.constant(Buffer.from('user\0materialize\0\0')),
      ),
      then: fc.constantFrom(Buffer.alloc(0), STARTUP),
    })
    .map(({ length, code, body, then }) =>
      Buffer.concat([int32(length ?? 8 + body.length), int32(code), body, then]),
    ),
);

const hostileSql = fc.constantFrom(
  'SELECT * FROM top10',
  'SUBSCRIBE top10',
  'SELECT * FROM top10; DROP TABLE recentchanges; --',
  'SELECT * FROM "top10""; DELETE FROM recentchanges; --"',
  'INSERT INTO recentchanges VALUES (1)',
  "COPY recentchanges FROM '/etc/passwd'",
  'SELECT pg_sleep(1000)',
  '',
  ';;;',
  'SELECT',
);

/** One message after start-up: any type byte, a right or wrong length, a body that may be nonsense. */
const typedMessage = fc
  .record({
    type: fc.oneof(
      fc.constantFrom(...'QPBDESHCXdcfFpxZ\0'.split('').map((c) => c.charCodeAt(0))),
      fc.nat(255),
    ),
    body: fc.oneof(
      hostileSql.map((sql) => Buffer.from(`${sql}\0`)),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      fc
        .tuple(hostileSql, fc.nat(3))
        .map(([sql, n]) => Buffer.concat([Buffer.from(`\0${sql}\0`), Buffer.alloc(2 * n, 0xff)])),
    ),
    lengthDelta: fc.oneof(
      { arbitrary: fc.constant(0), weight: 4 },
      { arbitrary: fc.integer({ min: -8, max: 8 }), weight: 1 },
    ),
  })
  .map(({ type, body, lengthDelta }) => frontendMessage(type, body, body.length + 4 + lengthDelta));

describe('Postgres-wire server under fuzzed messages', () => {
  let app: App;
  let pg: RunningPgServer;

  before(async () => {
    app = await startTestApp([
      ...['--source', `replay:${recording('recentchange-2023-07-29-enwiki-100.jsonl')}`],
      ...['--speed', 'max', '--memory'],
    ]);
    await waitForChannel(app.hub.require('counter'), (c) => c.rows.count([100]) === 1);
    pg = await startTestPgServer(app.hub);
  });

  after(async () => {
    await pg?.close();
    await app?.close();
  });

  async function stillServes(): Promise<void> {
    await pg.whenSessions(0);
    const client = await pgClient(`postgresql://materialize@127.0.0.1:${pg.port}/materialize`);
    try {
      const result = await client.query('SELECT count FROM counter');
      assert.deepEqual(result.rows, [{ count: '100' }]);
    } finally {
      await client.end();
    }
    await pg.whenSessions(0);
  }

  it('answers arbitrary start-up bytes in arbitrary chunks clearly, or waits for the rest', async () => {
    await fc.assert(
      fc.asyncProperty(startupPhase, fc.array(fc.nat(), { maxLength: 4 }), async (bytes, cuts) => {
        assertClear(parseAnswer(await converse(pg.port, chunks(bytes, cuts))));
      }),
      fuzz(200),
    );
    await stillServes();
  });

  it('answers arbitrary messages after start-up clearly and frees the session', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(typedMessage, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        async (messages, cuts) => {
          const answer = parseAnswer(
            await converse(pg.port, chunks(Buffer.concat([STARTUP, ...messages]), cuts)),
          );
          assertClear(answer);
          assert.equal(answer.messages[0]?.type, 'R', 'authentication first');
        },
      ),
      fuzz(200),
    );
    await stillServes();
  });

  it('refuses a message length below 4 or above the limit at once, without waiting for the bytes', async () => {
    for (const bytes of [
      Buffer.concat([int32(3), int32(PROTOCOL_3)]),
      Buffer.concat([STARTUP, Buffer.from('Q'), int32(2)]),
      Buffer.concat([STARTUP, Buffer.from('Q'), int32(2 ** 31 - 1)]),
    ]) {
      // No half-close: the server itself must end the conversation.
      const answer = parseAnswer(await converse(pg.port, [bytes], false));
      assertClear(answer);
      const last = errorFields(answer.messages.at(-1)?.body ?? Buffer.alloc(0));
      assert.deepEqual([last['S'], last['C']], ['FATAL', '08P01']);
      assert.match(last['M'] ?? '', /invalid (message length|length of startup packet)/);
    }
    await stillServes();
  });

  it(
    'refuses a start-up packet longer than Postgres allows (10,000 bytes) before it is sent',
    { timeout: 20_000 },
    async () => {
      // Before authentication nobody may make the server hold megabytes: it must not wait for them.
      const answer = parseAnswer(
        await converse(pg.port, [Buffer.concat([int32(10_001), int32(PROTOCOL_3)])], false),
      );
      assertClear(answer);
      const last = errorFields(answer.messages.at(-1)?.body ?? Buffer.alloc(0));
      assert.deepEqual([last['S'], last['C']], ['FATAL', '08P01']);
      assert.match(last['M'] ?? '', /invalid length of startup packet 10001/);
      await stillServes();
    },
  );

  it('names an unknown message type and stays usable', async () => {
    const answer = parseAnswer(
      await converse(
        pg.port,
        [
          STARTUP,
          frontendMessage('x'.charCodeAt(0), Buffer.from('hello\0')),
          frontendMessage('S'.charCodeAt(0), Buffer.alloc(0)),
          frontendMessage('Q'.charCodeAt(0), Buffer.from('SELECT count FROM counter\0')),
          frontendMessage('X'.charCodeAt(0), Buffer.alloc(0)),
        ],
        false,
      ), // no half-close: the query is answered by the query worker, then Terminate ends it
    );
    assertClear(answer);
    const errors = answer.messages.filter((m) => m.type === 'E').map((m) => errorFields(m.body));
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.['C'], '08P01');
    assert.match(errors[0]?.['M'] ?? '', /"x"/);
    const data = answer.messages.filter((m) => m.type === 'D');
    assert.equal(data.length, 1, 'the query after the error was answered');
  });
});
