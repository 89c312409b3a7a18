/**
 * The live client's rules, each against a local stand-in for EventStreams (the tests have no
 * internet): 403 for a User-Agent that does not say who it is, 429 with Retry-After, canary events,
 * malformed frames, events without `user`. The client runs against a collecting sink, except where
 * the user-visible log line of the whole command is what is checked.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { startApp } from '../src/cli/app.js';
import type { Logger } from '../src/core/log.js';
import { withSkipLog } from '../src/sources/skip-log.js';
import type { EventSink, RawEvent } from '../src/sources/types.js';
import { WikimediaSource } from '../src/sources/wikimedia.js';
import { sseBlocks, startMockStream, type Block } from './support/mock-eventstreams.js';
import { serveOptions } from './support/server.js';
import { recording } from './support/shared-data.js';

const blocks = sseBlocks(readFileSync(recording('recentchange-2026-06-20-384.sse'), 'utf8'));
const GOOD_AGENT = 'viewcast-test/1.0 (https://example.org/viewcast; test@example.org)';

function capture(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

/** A sink that records everything and can be awaited for a number of events. */
function collect(): {
  sink: EventSink;
  events: RawEvent[];
  skipped: Record<string, number>;
  until(n: number): Promise<void>;
} {
  const events: RawEvent[] = [];
  const skipped: Record<string, number> = {};
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    events,
    skipped,
    sink: {
      push: (event) => {
        events.push(event);
        for (const w of waiters.filter((w) => events.length >= w.n)) w.resolve();
      },
      skip: (reason) => {
        skipped[reason] = (skipped[reason] ?? 0) + 1;
      },
    },
    until: (n) =>
      events.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
  };
}

function client(url: string, log: Logger, userAgent = GOOD_AGENT): WikimediaSource {
  return new WikimediaSource({
    url,
    userAgent,
    readTimeoutMs: 5000,
    backoff: { initialMs: 10, maxMs: 100 },
    log,
  });
}

function block(id: string, data: string): Block {
  return { id, text: `event: message\nid: ${id}\ndata: ${data}\n\n` };
}

function recorded(index: number, change: (event: Record<string, unknown>) => void = () => undefined): string {
  const event = JSON.parse(/^data: (.*)$/m.exec((blocks[index] as Block).text)?.[1] ?? '{}') as Record<
    string,
    unknown
  >;
  change(event);
  return JSON.stringify(event);
}

describe('Wikimedia client rules', { timeout: 300_000 }, () => {
  it('stops with one clear error line when the server answers 403 to a request without a descriptive User-Agent', async () => {
    const mock = await startMockStream({ blocks });
    const log = capture();
    let fatal: Error | null = null;
    const app = await startApp(
      serveOptions(['--memory', '--source', 'wikimedia', '--wikimedia-url', mock.url, '--user-agent', '']),
      log,
      (error) => (fatal = error),
    );
    try {
      await app.sourcesDone;
      const errors = log.lines.filter((l) => l.startsWith('error'));
      assert.equal(errors.length, 1, errors.join('\n'));
      assert.match(errors[0] as string, /403 Forbidden/);
      assert.match(errors[0] as string, /User-Agent/);
      assert.match(errors[0] as string, /--user-agent/);
      assert.equal((fatal as unknown as { code: string } | null)?.code, 'VIEWCAST_WIKIMEDIA_FORBIDDEN');
      assert.equal(mock.requests.length, 1, 'a 403 is not retried');
      assert.doesNotMatch(mock.requests[0]?.userAgent ?? '', /viewcast/);
    } finally {
      await app.close();
      await mock.close();
    }
  });

  it('waits as long as Retry-After says after a 429, then resumes', async () => {
    const mock = await startMockStream({
      blocks: blocks.slice(0, 5),
      endings: [{ after: 0, how: 'status', status: 429, headers: { 'Retry-After': '1' } }],
    });
    const log = capture();
    const source = client(mock.url, log);
    const got = collect();
    const running = source.run(got.sink, null);
    try {
      await got.until(5);
      const [first, second] = mock.requests;
      // The backoff alone would have waited about 10 ms; Retry-After asked for a second.
      assert.ok(
        (second?.at ?? 0) - (first?.at ?? 0) >= 950,
        `waited ${(second?.at ?? 0) - (first?.at ?? 0)} ms`,
      );
      assert.ok(
        log.lines.some((l) => /HTTP 429 with Retry-After: 1; reconnecting in 1 s/.test(l)),
        log.lines.join('\n'),
      );
      assert.equal(source.status()['reconnects'], 1);
    } finally {
      source.stop();
      await running;
      await mock.close();
    }
  });

  it('retries 5xx and other drops with a growing, jittered backoff', async () => {
    const mock = await startMockStream({
      blocks: blocks.slice(0, 2),
      endings: [
        { after: 0, how: 'status', status: 503 },
        { after: 0, how: 'status', status: 502 },
        { after: 0, how: 'status', status: 404 },
      ],
    });
    const log = capture();
    const source = client(mock.url, log);
    const got = collect();
    const running = source.run(got.sink, null);
    try {
      await got.until(2);
      assert.equal(mock.requests.length, 4);
      const warnings = log.lines.filter((l) => l.startsWith('warn'));
      assert.deepEqual(
        warnings.map((l) => /wikimedia: (HTTP \d+);/.exec(l)?.[1]),
        ['HTTP 503', 'HTTP 502', 'HTTP 404'],
      );
    } finally {
      source.stop();
      await running;
      await mock.close();
    }
  });

  it('drops canary events and duplicates, skips malformed frames, keeps events without user', async () => {
    const stream = [
      block('1', recorded(0)),
      block(
        '2',
        recorded(1, (e) => ((e['meta'] as Record<string, unknown>)['domain'] = 'canary')),
      ),
      block('3', '{"$schema": "/mediawiki/recentchange/1.0.0", "meta": {'),
      block('4', '[1, 2, 3]'),
      block(
        '5',
        recorded(2, (e) => delete e['user']),
      ),
      block('6', recorded(0)),
      block('7', recorded(3)),
    ];
    const mock = await startMockStream({ blocks: stream });
    const log = capture();
    const source = client(mock.url, log);
    const got = collect();
    const running = source.run(withSkipLog(got.sink, log, 'wikimedia'), null);
    try {
      await got.until(3);
      assert.deepEqual(
        got.events.map((e) => e['user'] ?? null),
        [JSON.parse(recorded(0))['user'], null, JSON.parse(recorded(3))['user']],
      );
      assert.deepEqual(got.skipped, { canary: 1, 'malformed-json': 1, 'not-an-object': 1, duplicate: 1 });
      const skipLines = log.lines.filter((l) => l.includes('skipped input'));
      assert.equal(skipLines.length, 2, skipLines.join('\n'));
      assert.match(skipLines[0] as string, /malformed-json.*frame 3/);
      assert.equal(source.status()['lastEventId'], '7');
    } finally {
      source.stop();
      await running;
      await mock.close();
    }
  });
});
