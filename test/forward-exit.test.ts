/**
 * `viewcast forward` never loops forever on a webhook that will not take its events: a
 * refusal (401) ends the command with exit code 1 and the reason, even with a live source
 * that would otherwise reconnect for ever; a webhook that keeps answering 503 is tried
 * `--max-retries` more times, then the command exits 1 as well. Real processes, real sockets.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runViewcast } from './support/child-server.js';
import { sseBlocks, startMockStream, type MockStream } from './support/mock-eventstreams.js';
import { recording } from './support/shared-data.js';

async function webhook(status: number): Promise<{ url: string; server: Server; requests: () => number }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(status, status === 503 ? { 'retry-after': '0' } : {});
      res.end(status === 401 ? 'bad secret' : 'busy');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/webhook`, server, requests: () => requests };
}

describe('viewcast forward with a webhook that will not take the events', { timeout: 120_000 }, () => {
  let stream: MockStream;

  before(async () => {
    // A live Wikimedia stream that stays open: the source alone would never end.
    const blocks = sseBlocks(readFileSync(recording('recentchange-2026-06-20-384.sse'), 'utf8'));
    stream = await startMockStream({ blocks });
  });

  after(() => stream?.close());

  const forward = (to: string, extra: string[] = []) =>
    runViewcast([
      'forward',
      ...['--to', to, '--source', 'wikimedia', '--wikimedia-url', stream.url],
      ...['--user-agent', 'viewcast-test (https://example.org/viewcast; test@example.org)'],
      ...['--batch-size', '50', ...extra],
    ]);

  it('exits 1 with the status and answer when the webhook refuses (401)', async () => {
    const hook = await webhook(401);
    try {
      const run = forward(hook.url);
      const exit = await run.exited;
      assert.equal(exit.code, 1, run.output());
      assert.match(
        run.output(),
        /viewcast: the webhook at .* refused a batch of \d+ events \(HTTP 401: bad secret\)/,
      );
      assert.equal(hook.requests(), 1, 'a refusal is not retried');
    } finally {
      hook.server.close();
    }
  });

  it('exits 1 after --max-retries when the webhook keeps answering 503', async () => {
    const hook = await webhook(503);
    try {
      const run = forward(hook.url, ['--max-retries', '2']);
      const exit = await run.exited;
      assert.equal(exit.code, 1, run.output());
      assert.match(
        run.output(),
        /did not take a batch of \d+ events after 3 attempts \(last: HTTP 503: busy\)/,
      );
      assert.equal(hook.requests(), 3);
    } finally {
      hook.server.close();
    }
  });
});
