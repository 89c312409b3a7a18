/**
 * `--source auto`: the live stream when it answers within the wait, the simulator otherwise, with
 * the reason that goes into the log line. A local stand-in plays the stream (the tests have no
 * internet); a closed port and a server that never answers play the unreachable one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createSource, type SourceSettings } from '../src/sources/create-source.js';
import { sseBlocks, startMockStream } from './support/mock-eventstreams.js';
import { recording } from './support/shared-data.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function settings(url: string, autoTimeoutMs = 5000): SourceSettings {
  return {
    speed: 'max',
    loop: false,
    rate: 40,
    seed: 1,
    wikimediaUrl: url,
    userAgent: 'viewcast-test/1.0 (https://example.org/viewcast)',
    readTimeoutMs: 1000,
    reconnectDelayMs: 10,
    autoTimeoutMs,
    log: quiet,
    progress: { terminal: null, log: quiet },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/stream/recentchange`;
}

describe('--source auto', { timeout: 300_000 }, () => {
  it('takes the live stream when it answers, and says so', async () => {
    const blocks = sseBlocks(readFileSync(recording('recentchange-2026-06-20-384.sse'), 'utf8'));
    const mock = await startMockStream({ blocks: blocks.slice(0, 3) });
    try {
      const chosen = await createSource('auto', settings(mock.url));
      assert.equal(chosen.source.kind, 'wikimedia');
      assert.match(
        chosen.reason ?? '',
        /^auto chose the live stream: http:\/\/127\.0\.0\.1:\d+\/v2\/stream\/recentchange answered in/,
      );
    } finally {
      await mock.close();
    }
  });

  it('falls back to the simulator when nothing listens', async () => {
    const server = createServer();
    const url = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const chosen = await createSource('auto', settings(url));
    assert.equal(chosen.source.kind, 'simulate');
    assert.match(chosen.reason ?? '', /^auto chose the simulator: .* cannot be reached: ECONNREFUSED$/);
  });

  it('falls back to the simulator when the stream does not answer in time', async () => {
    const server = createServer(() => undefined); // accepts, never answers
    const url = await listen(server);
    try {
      const chosen = await createSource('auto', settings(url, 100));
      assert.equal(chosen.source.kind, 'simulate');
      assert.match(chosen.reason ?? '', /did not answer within 100 ms/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('falls back to the simulator, naming the User-Agent, when the stream answers 403', async () => {
    const blocks = sseBlocks(readFileSync(recording('recentchange-2026-06-20-384.sse'), 'utf8'));
    const mock = await startMockStream({ blocks: blocks.slice(0, 3) });
    try {
      const chosen = await createSource('auto', { ...settings(mock.url), userAgent: 'curl/8.0' });
      assert.equal(chosen.source.kind, 'simulate');
      assert.match(
        chosen.reason ?? '',
        /answered 403 Forbidden: it refuses this User-Agent, see --user-agent/,
      );
    } finally {
      await mock.close();
    }
  });
});
