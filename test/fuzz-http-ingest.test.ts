/**
 * `POST /api/ingest` under fuzzed bodies, against a real server (real PGlite, real HTTP on port 0):
 * JSON lines or JSON arrays mixing good events with broken JSON, other JSON values, wrongly typed
 * fields, blank lines and binary noise. Every answer is 200 or 400 with a JSON error naming the first
 * bad line or item, never a crash; a 400 applies nothing, a 200 applies every event of the request,
 * and the counter view moves by exactly that much. A body over the limit is cut off with 413 before
 * it is read to the end.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { App } from '../src/cli/app.js';
import { fuzz } from './support/fuzz.js';
import { getJson, startTestApp } from './support/server.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

const TOKEN = 'fuzz-token';
const MAX_BYTES = 256 * 1024;
const recorded = readFileSync(recording(RECORDING_2476), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Record<string, unknown>);

type Item = { good: number } | { bad: string; asValue: unknown };

/** Things that are not a recentchange event: each is refused wherever it appears. */
const badItem: fc.Arbitrary<Item> = fc.oneof(
  fc.constantFrom('{', '{"meta": ', 'nul', '[1, 2', '}{').map((bad) => ({ bad, asValue: 1 })),
  fc
    .constantFrom<unknown>(42, 'text', null, true, [1, 2], [])
    .map((v) => ({ bad: JSON.stringify(v), asValue: v })),
  fc
    .constantFrom({ namespace: 'zero' }, { bot: 'yes' }, { meta: 'not an object' }, { timestamp: 1.5 })
    .map((v) => ({
      bad: JSON.stringify(v),
      asValue: v,
    })),
  fc
    .string({ minLength: 1, maxLength: 20, unit: 'binary' })
    .map((s) => s.replace(/[\r\n]/g, ' '))
    .filter((s) => s.trim() !== '')
    .map((bad) => ({ bad: `#${bad}`, asValue: bad })),
);
const goodItem: fc.Arbitrary<Item> = fc.nat({ max: recorded.length - 1 }).map((good) => ({ good }));

let fresh = 0;
/** A recorded event under a new `meta.id`, so that no request is a re-delivery of another. */
function eventFrom(index: number): Record<string, unknown> {
  const event = structuredClone(recorded[index]) as Record<string, unknown>;
  event['meta'] = { ...(event['meta'] as object), id: `fuzz-${process.pid}-${fresh++}` };
  return event;
}

describe('POST /api/ingest with fuzzed bodies', { timeout: 300_000 }, () => {
  let app: App;
  const post = (body: string | Uint8Array<ArrayBuffer>): Promise<Response> =>
    fetch(`${app.url}/api/ingest`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-ndjson' },
      body,
    });
  const counter = async (): Promise<number> =>
    Number((await getJson<{ rows: unknown[][] }>(app, '/api/views/counter')).rows[0]?.[0]);

  before(async () => {
    app = await startTestApp([
      ...['--source', 'ingest', '--ingest-token', TOKEN, '--memory'],
      ...['--ingest-max-bytes', String(MAX_BYTES)],
    ]);
  });
  after(() => app?.close());

  it('answers 200 applying all, or 400 naming the first bad line and applying nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ arbitrary: goodItem, weight: 3 }, { arbitrary: badItem, weight: 1 }), {
          maxLength: 12,
        }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        async (items, blankBefore, asArray) => {
          const before = await counter();
          const firstBadItem = items.findIndex((item) => 'bad' in item);
          let body: string;
          let firstBad = 0;
          if (asArray) {
            body = JSON.stringify(
              items.map((item) => ('good' in item ? eventFrom(item.good) : item.asValue)),
            );
            firstBad = firstBadItem + 1;
          } else {
            // Blank lines between events are allowed, and they count in the line numbers.
            const lines: string[] = [];
            items.forEach((item, i) => {
              if (blankBefore[i % blankBefore.length]) lines.push(i % 2 ? '' : '  ');
              if (i === firstBadItem) firstBad = lines.length + 1;
              lines.push('good' in item ? JSON.stringify(eventFrom(item.good)) : item.bad);
            });
            body = lines.join('\n');
          }
          const response = await post(body);
          const answer = (await response.json()) as {
            received?: number;
            accepted?: number;
            error?: { code: string; message: string; line?: number; item?: number };
          };
          if (firstBad === 0) {
            assert.equal(response.status, 200, JSON.stringify(answer));
            assert.equal(answer.accepted, items.length);
            assert.equal(await counter(), before + items.length);
          } else {
            assert.equal(response.status, 400, JSON.stringify(answer));
            assert.equal(answer.error?.code, 'BAD_EVENT');
            assert.equal(asArray ? answer.error?.item : answer.error?.line, firstBad, answer.error?.message);
            assert.match(answer.error?.message ?? '', /nothing from this request was applied/);
            assert.equal(await counter(), before);
          }
        },
      ),
      fuzz(60),
    );
  });

  it('answers arbitrary bytes with 200 or a 400 error, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const before = await counter();
        const response = await post(new Uint8Array(bytes));
        const answer = (await response.json()) as { accepted?: number; error?: { code: string } };
        assert.ok(
          response.status === 200 || response.status === 400,
          `${response.status} ${JSON.stringify(answer)}`,
        );
        if (response.status === 400) assert.equal(answer.error?.code, 'BAD_EVENT');
        assert.equal(await counter(), before + (answer.accepted ?? 0));
      }),
      fuzz(60),
    );
  });

  it('cuts off an endless body with 413 long before reading it all, and keeps serving', async () => {
    const before = await counter();
    const line = `${JSON.stringify(recorded[0])}\n`;
    const { status, sent } = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const req = request(`${app.url}/api/ingest`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Transfer-Encoding': 'chunked' },
      });
      req.on('response', (res) => {
        answered = true;
        res.resume();
        resolve({ status: res.statusCode ?? 0, sent });
        req.destroy();
      });
      req.on('error', (error) => (answered ? undefined : reject(error)));
      // Write until the server answers; at most 64 MiB, which it must never wait for.
      const pump = (): void => {
        while (!answered && sent < 64 * 1024 * 1024) {
          sent += line.length;
          if (!req.write(line)) return void req.once('drain', pump);
        }
      };
      pump();
    });
    assert.equal(status, 413);
    assert.ok(sent < 64 * 1024 * 1024, `the server read ${sent} bytes before answering`);
    assert.equal(await counter(), before);
    const ok = await post(JSON.stringify(eventFrom(1)));
    assert.equal(ok.status, 200);
    assert.equal(await counter(), before + 1);
  });
});
