/**
 * Chromium's own EventSource resuming a two-view SSE stream with `Last-Event-ID`: a proxy between
 * the page and the server cuts the first connection right after the first view's snapshot. The
 * browser reconnects by itself, sending the id of the last event it got; the server must still send
 * the second view's snapshot (the id names each view's position), and must not send the first again.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { App } from '../src/cli/app.js';
import { launchBrowser } from './support/browser.js';
import { startTestApp } from './support/server.js';
import { recording } from './support/shared-data.js';

/** Forwards to `target`; cuts the first SSE response just after its first event. */
function cuttingProxy(target: string, lastEventIds: Array<string | undefined>): Server {
  return createServer((req, res) => {
    if (!req.url?.startsWith('/api/sse')) {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>sse resume</title>');
      return;
    }
    const header = req.headers['last-event-id'];
    lastEventIds.push(typeof header === 'string' ? header : undefined);
    const first = lastEventIds.length === 1;
    const upstream = request(`${target}${req.url}`, { headers: req.headers }, (reply: IncomingMessage) => {
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      // Reconnect at once instead of after the browser's default of a few seconds.
      res.write('retry: 20\n\n');
      if (!first) {
        reply.pipe(res);
        return;
      }
      let seen = Buffer.alloc(0);
      let cut = false;
      reply.on('data', (chunk: Buffer) => {
        if (cut) return;
        seen = Buffer.concat([seen, chunk]);
        const event = seen.indexOf('event: snapshot');
        const end = event === -1 ? -1 : seen.indexOf('\n\n', event);
        if (end === -1) return;
        cut = true;
        res.end(seen.subarray(0, end + 2));
        reply.destroy();
      });
    });
    upstream.end();
    res.on('close', () => upstream.destroy());
  });
}

describe('SSE resume through a browser EventSource', { timeout: 120_000 }, () => {
  let app: App;
  let proxy: Server;
  let browser: Browser;
  const lastEventIds: Array<string | undefined> = [];
  before(async () => {
    app = await startTestApp([
      ...['--source', `replay:${recording('recentchange-2023-07-29-enwiki-100.jsonl')}`, '--speed', 'max'],
      '--memory',
    ]);
    await app.sourcesDone;
    proxy = cuttingProxy(app.url, lastEventIds);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => proxy?.close(() => resolve()));
    await app?.close();
  });

  it('never loses a view: the snapshot cut off by the drop arrives after the reconnect', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`);
    const snapshots = await page.evaluate(
      () =>
        new Promise<Array<{ view: string; id: string }>>((resolve) => {
          const got: Array<{ view: string; id: string }> = [];
          const source = new EventSource('/api/sse?views=counter,top10');
          source.addEventListener('snapshot', (event) => {
            const message = event as MessageEvent<string>;
            got.push({ view: (JSON.parse(message.data) as { view: string }).view, id: message.lastEventId });
            if (new Set(got.map((s) => s.view)).size === 2) {
              source.close();
              resolve(got);
            }
          });
        }),
    );
    const at = app.hub.timestamp;
    assert.deepEqual(
      snapshots.map((s) => s.view),
      ['counter', 'top10'],
      'each view exactly once: counter before the drop, top10 after it',
    );
    assert.equal(lastEventIds.length, 2, 'the browser reconnected once');
    assert.equal(lastEventIds[1], `${at},`, 'it resumed with counter at its moment and top10 not yet had');
    assert.equal(snapshots[1]?.id, String(at), 'once both views are had, the id is the moment again');
  });
});
