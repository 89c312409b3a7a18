/**
 * Client protocol messages (`/api/subscribe`) under fuzzing: the parser turns any text into either
 * a well-formed request or a BAD_MESSAGE refusal with a message, never an exception; and a real
 * server fed a stream of arbitrary frames answers each bad one with a documented error code, keeps
 * the socket open and still serves a proper subscribe afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { App } from '../src/cli/app.js';
import { isRefusal, parseClientMessage } from '../src/server/client-messages.js';
import { fuzz } from './support/fuzz.js';
import { MuxClient } from './support/mux-client.js';
import { startTestApp } from './support/server.js';
import { recording } from './support/shared-data.js';

const CODES = ['BAD_MESSAGE', 'UNKNOWN_VIEW', 'TOO_MANY_SUBSCRIPTIONS', 'NOT_SUBSCRIBED'];

/** Messages near the real ones: the right keys with values of any type, plus arbitrary JSON. */
const message = fc.oneof(
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('subscribe', 'unsubscribe', 'SUBSCRIBE', ''), fc.jsonValue()),
      views: fc.oneof(
        fc.array(fc.constantFrom('counter', 'top10', 'user_edits', 'nope', "top10'; --", '')),
        fc.jsonValue(),
      ),
      view: fc.oneof(fc.constantFrom('counter', 'top10'), fc.jsonValue()),
      since: fc.oneof(
        fc.constantFrom(0, -1, 1.5, 2 ** 53, '123', 'abc', null, '', Number.MAX_SAFE_INTEGER),
        fc.jsonValue(),
      ),
      ref: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);

const text = fc.oneof(
  message.map((m) => JSON.stringify(m)),
  fc.string({ maxLength: 60, unit: 'binary' }),
);

describe('client protocol messages under fuzzing', { timeout: 120_000 }, () => {
  it('parses any text into a request or a BAD_MESSAGE refusal that says what was expected', () => {
    fc.assert(
      fc.property(text, (input) => {
        const parsed = parseClientMessage(input);
        if (isRefusal(parsed)) {
          assert.equal(parsed.code, 'BAD_MESSAGE');
          assert.ok(parsed.message.length > 10);
          return;
        }
        assert.ok(parsed.type === 'subscribe' || parsed.type === 'unsubscribe');
        assert.ok(parsed.views.length > 0 && parsed.views.every((v) => typeof v === 'string'));
        assert.equal(new Set(parsed.views).size, parsed.views.length);
        if (parsed.type === 'subscribe')
          assert.ok(parsed.since === null || (Number.isSafeInteger(parsed.since) && parsed.since >= 0));
      }),
      fuzz(2000),
    );
  });

  describe('on a live socket', () => {
    let app: App;
    before(async () => {
      app = await startTestApp([
        ...['--source', `replay:${recording('recentchange-2023-07-29-enwiki-100.jsonl')}`, '--speed', 'max'],
        ...['--memory', '--max-subscriptions', '2'],
      ]);
      await app.sourcesDone;
    });
    after(() => app?.close());

    it('answers every bad frame with a documented error, keeps the socket, and still serves', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 15 }), async (frames) => {
          const client = await MuxClient.open(app.url);
          try {
            for (const frame of frames) client.socket.send(frame);
            client.socket.send(JSON.stringify({ type: 'subscribe', views: ['counter'], ref: 'final' }));
            await client.until(
              () =>
                client.views.has('counter') ||
                client.frames.some((f) => f.type === 'error' && f.ref === 'final'),
            );
            for (const frame of client.frames.filter((f) => f.type === 'error')) {
              assert.ok(CODES.includes(frame.code ?? ''), frame.text);
              assert.ok((frame.message ?? '').length > 10, frame.text);
            }
            assert.equal(client.socket.readyState, client.socket.OPEN);
            // A refusal of the final subscribe can only be the documented limit on views per socket.
            const final = client.frames.find((f) => f.type === 'error' && f.ref === 'final');
            if (final) assert.equal(final.code, 'TOO_MANY_SUBSCRIPTIONS', final.text);
          } finally {
            client.close();
          }
        }),
        fuzz(60),
      );
    });
  });
});
