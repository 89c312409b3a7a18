/**
 * The dashboard's first load in Chromium, as a visitor pays for it: the bytes of every response
 * (headers and encoded bodies) until the page shows live data, at most 350 KB in all; assets sent
 * brotli-compressed under content-hashed names cached as immutable; and on a reload the page itself
 * is revalidated (304) while the assets are not fetched again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Request } from 'playwright-core';
import type { App } from '../src/cli/app.js';
import { launchBrowser } from './support/browser.js';
import { startTestApp } from './support/server.js';
import { recording } from './support/shared-data.js';

const BUDGET_BYTES = 350 * 1024;

interface Transfer {
  url: string;
  status: number;
  bytes: number;
  headers: Record<string, string>;
}

describe('dashboard first load', { timeout: 120_000 }, () => {
  let app: App;
  let browser: Browser;
  before(async () => {
    app = await startTestApp([
      ...['--source', `replay:${recording('recentchange-2023-07-29-enwiki-100.jsonl')}`, '--speed', 'max'],
      '--memory',
    ]);
    await app.sourcesDone;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it(`transfers at most ${BUDGET_BYTES / 1024} KB, compressed, hashed and cached`, async () => {
    const page = await browser.newPage();
    const transfers: Transfer[] = [];
    const record = async (request: Request): Promise<void> => {
      const response = await request.response();
      if (!response) return;
      const sizes = await request.sizes();
      transfers.push({
        url: new URL(request.url()).pathname,
        status: response.status(),
        bytes: sizes.responseHeadersSize + sizes.responseBodySize,
        headers: await response.allHeaders(),
      });
    };
    const pending: Array<Promise<void>> = [];
    page.on('requestfinished', (request) => pending.push(record(request)));
    await page.goto(app.url);
    await page.waitForFunction(() => /\d/.test(document.querySelector('#counter')?.textContent ?? ''));
    await page.waitForLoadState('networkidle');
    await Promise.all(pending);

    const total = transfers.reduce((sum, t) => sum + t.bytes, 0);
    process.stdout.write(
      `# first load: ${total} bytes in ${transfers.length} responses\n` +
        transfers.map((t) => `#   ${t.status} ${t.url} ${t.bytes}`).join('\n') +
        '\n',
    );
    assert.ok(total <= BUDGET_BYTES, `the first load transferred ${total} bytes`);
    const script = transfers.find((t) => /^\/app-[A-Z0-9]{8}\.js$/.test(t.url));
    assert.ok(script, 'the dashboard script has a content-hashed name');
    assert.equal(script.headers['content-encoding'], 'br');
    assert.match(script.headers['cache-control'] ?? '', /immutable/);
    const html = transfers.find((t) => t.url === '/');
    assert.equal(html?.headers['cache-control'], 'no-cache');
    assert.ok(html?.headers['etag'], 'the page has an ETag');

    // A reload revalidates the page (304) and takes the hashed assets from the cache.
    transfers.length = 0;
    pending.length = 0;
    await page.reload();
    await page.waitForFunction(() => /\d/.test(document.querySelector('#counter')?.textContent ?? ''));
    await Promise.all(pending);
    process.stdout.write(transfers.map((t) => `# reload: ${t.status} ${t.url} ${t.bytes}`).join('\n') + '\n');
    const page304 = await fetch(app.url, {
      headers: { 'If-None-Match': html.headers['etag'] ?? '', 'Accept-Encoding': 'br' },
    });
    assert.equal(page304.status, 304, 'the page is revalidated by its ETag');
    assert.ok(
      (transfers.find((t) => t.url === '/')?.bytes ?? 0) < html.bytes,
      'the reload sent no page body',
    );
    assert.equal(
      transfers.some((t) => t.url === script.url && t.status === 200 && t.bytes > 1000),
      false,
      'the script is not downloaded again',
    );
  });
});
