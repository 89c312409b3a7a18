/**
 * The small rules every source relies on, as tables: reconnect delays and Retry-After, the stored
 * resume position, duplicate and canary dropping with bounded memory, and rate-limited skip lines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventGate, RecentIds } from '../src/sources/event-gate.js';
import {
  backoffDelay,
  judgeResponse,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
} from '../src/sources/retry-policy.js';
import { withSkipLog } from '../src/sources/skip-log.js';
import { decodePosition, encodePosition } from '../src/sources/stream-position.js';

describe('reconnect rules', { timeout: 120_000 }, () => {
  it('backs off exponentially with jitter between half and all of the ceiling, up to the maximum', () => {
    const settings = { initialMs: 100, maxMs: 1000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, settings, () => 0)),
      [50, 100, 200, 400, 500, 500],
    );
    assert.deepEqual(
      [0, 1, 2, 3, 4, 10].map((attempt) => backoffDelay(attempt, settings, () => 0.999999)),
      [100, 200, 400, 800, 1000, 1000],
    );
  });

  it('reads Retry-After as seconds or as an HTTP date, and caps it', () => {
    const now = Date.parse('2026-06-20T12:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Sat, 20 Jun 2026 12:00:07 GMT', now), 7000);
    assert.equal(parseRetryAfter('Sat, 20 Jun 2026 11:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('999999', now), MAX_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter('soon', now), null);
    assert.equal(parseRetryAfter(null, now), null);
  });

  it('gives up on 403, honours Retry-After on 429 and 5xx only, backs off on the rest', () => {
    assert.deepEqual(judgeResponse(200, null), { action: 'read' });
    assert.equal(judgeResponse(403, '5').action, 'give-up');
    assert.deepEqual(judgeResponse(429, '2'), {
      action: 'retry',
      why: 'HTTP 429 with Retry-After: 2',
      delayMs: 2000,
    });
    assert.deepEqual(judgeResponse(503, null), { action: 'retry', why: 'HTTP 503', delayMs: null });
    assert.deepEqual(judgeResponse(404, '2'), { action: 'retry', why: 'HTTP 404', delayMs: null });
  });
});

describe('resume position', { timeout: 120_000 }, () => {
  it('keeps the SSE id verbatim and the latest event ids', () => {
    const id = '[{"topic":"eqiad.mediawiki.recentchange","partition":0,"timestamp":1781970588989}]';
    assert.deepEqual(decodePosition(encodePosition({ lastEventId: id, recentIds: ['a', 'b'] })), {
      lastEventId: id,
      recentIds: ['a', 'b'],
    });
    assert.deepEqual(decodePosition(id), { lastEventId: id, recentIds: [] });
    assert.equal(decodePosition(null), null);
  });
});

describe('duplicates and canaries', { timeout: 120_000 }, () => {
  it('forgets the oldest ids first, within its capacity', () => {
    const ids = new RecentIds(3);
    for (const id of ['a', 'b', 'c']) assert.equal(ids.add(id), true);
    assert.equal(ids.add('b'), false);
    ids.add('d');
    assert.equal(ids.has('a'), false);
    assert.equal(ids.size, 3);
    assert.deepEqual(ids.latest(2), ['c', 'd']);
    assert.deepEqual(ids.latest(10), ['b', 'c', 'd']);
  });

  it('passes each meta.id once, drops canaries, passes events without meta.id', () => {
    const gate = new EventGate(10);
    const event = (id: string | undefined, domain = 'en.wikipedia.org'): Record<string, unknown> => ({
      meta: { id, domain },
    });
    assert.deepEqual(
      [event('x'), event('x'), event('y', 'canary'), event(undefined), event(undefined)].map((e) =>
        gate.admit(e),
      ),
      ['pass', 'duplicate', 'canary', 'pass', 'pass'],
    );
  });
});

describe('skip log', { timeout: 120_000 }, () => {
  it('logs the first skip of a reason at once, then at most one summary per interval, never canaries', () => {
    const lines: string[] = [];
    const counted: string[] = [];
    const log = { info: () => undefined, warn: (m: string) => lines.push(m), error: () => undefined };
    const sink = withSkipLog(
      { push: () => undefined, skip: (reason) => void counted.push(reason) },
      log,
      'test',
      60_000,
    );
    for (let i = 0; i < 100; i++) sink.skip('malformed-json', `frame ${i}`);
    sink.skip('canary');
    sink.skip('duplicate');
    assert.equal(counted.length, 102);
    assert.equal(lines.length, 1);
    assert.match(lines[0] as string, /source test: skipped input \(malformed-json\): frame 0/);
  });
});
