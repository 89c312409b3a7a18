/**
 * `viewcast forward` against a real local HTTP server standing in for Materialize's webhook
 * endpoint (Materialize cannot run here): batches as JSON arrays, in order, retried on 503,
 * stopped with a clear error on 401, and resumed from --state.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseForwardOptions, startForward } from '../src/cli/forward-command.js';
import { quietLog } from './support/server.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

interface Received {
  headers: IncomingHttpHeaders;
  events: Array<{ meta: { id: string } }>;
}

/** A webhook that records every request; `answer` picks the status of the n-th one. */
async function webhook(
  answer: (n: number) => number,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += String(chunk)));
    req.on('end', () => {
      const status = answer(n++);
      if (status === 200)
        received.push({ headers: req.headers, events: JSON.parse(body) as Received['events'] });
      res.writeHead(status, status === 503 ? { 'retry-after': '0' } : {});
      res.end(status === 401 ? 'bad secret' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/webhook/materialize/public/wikirecent_webhook`,
    received,
    server,
  };
}

function options(to: string, extra: string[] = []) {
  const parsed = parseForwardOptions([
    '--to',
    to,
    '--source',
    `replay:${recording(RECORDING_2476)}`,
    '--speed',
    'max',
    '--batch-size',
    '500',
    '--header',
    'x-api-key: s3cret',
    ...extra,
  ]);
  if (parsed === 'help') throw new Error('unexpected help');
  return parsed;
}

describe('viewcast forward', { timeout: 300_000 }, () => {
  let dir: string;
  let ids: string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'viewcast-forward-'));
    const lines = (await readFile(recording(RECORDING_2476), 'utf8')).split('\n').filter(Boolean);
    ids = lines.map((line) => (JSON.parse(line) as { meta: { id: string } }).meta.id);
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('posts a replay as JSON arrays of at most --batch-size events, in order, with the headers given', async () => {
    const hook = await webhook(() => 200);
    try {
      const running = await startForward(options(hook.url), quietLog);
      await running.done;
      assert.deepEqual(
        hook.received.map((r) => r.events.length),
        [500, 500, 500, 500, 476],
      );
      assert.deepEqual(
        hook.received.flatMap((r) => r.events.map((e) => e.meta.id)),
        ids,
      );
      assert.equal(hook.received[0]?.headers['content-type'], 'application/json');
      assert.equal(hook.received[0]?.headers['x-api-key'], 's3cret');
      assert.equal(running.forwarder.stats.events, 2476);
    } finally {
      hook.server.close();
    }
  });

  it('sends a batch again after a 503, and nothing twice', async () => {
    const hook = await webhook((n) => (n === 1 ? 503 : 200));
    try {
      const running = await startForward(options(hook.url), quietLog);
      await running.done;
      assert.deepEqual(
        hook.received.flatMap((r) => r.events.map((e) => e.meta.id)),
        ids,
      );
      assert.equal(running.forwarder.stats.retries, 1);
    } finally {
      hook.server.close();
    }
  });

  it('stops with the status and answer when the webhook refuses (401)', async () => {
    const hook = await webhook(() => 401);
    try {
      const running = await startForward(options(hook.url), quietLog);
      await assert.rejects(running.done, {
        code: 'VIEWCAST_FORWARD_REFUSED',
        message: /HTTP 401: bad secret/,
      });
      await running.stop();
    } finally {
      hook.server.close();
    }
  });

  it('resumes from --state after the last accepted batch', async () => {
    const state = join(dir, 'forward-state.json');
    const first = await webhook((n) => (n < 2 ? 200 : 401));
    try {
      const running = await startForward(options(first.url, ['--state', state]), quietLog);
      await assert.rejects(running.done);
      await running.stop();
    } finally {
      first.server.close();
    }
    const second = await webhook(() => 200);
    try {
      await (
        await startForward(options(second.url, ['--state', state]), quietLog)
      ).done;
      const resent = second.received.flatMap((r) => r.events.map((e) => e.meta.id));
      assert.deepEqual(resent, ids.slice(1000), 'the two accepted batches are not sent again');
    } finally {
      second.server.close();
    }
  });

  it('refuses bad flags with a message naming them', () => {
    assert.throws(
      () => parseForwardOptions(['--source', 'simulate']),
      /--to takes the webhook's http\(s\) URL/,
    );
    assert.throws(
      () => parseForwardOptions(['--to', 'http://x', '--header', 'nocolon']),
      /--header takes "Name: value"/,
    );
  });
});
