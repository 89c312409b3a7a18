/**
 * A server started with --auth-token: the dashboard opened as `/?token=...` passes the token to
 * every API call and stream (browsers cannot set headers on a WebSocket), and shows the live views;
 * the same page without the token is refused by the API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { App } from '../src/cli/app.js';
import { launchBrowser, openPage, screenshot, tableRows, waitForText } from './support/browser.js';
import { groundTruth2476, recording, RECORDING_2476 } from './support/shared-data.js';
import { startTestApp } from './support/server.js';

const TOKEN = 'correct-horse-battery-staple';

describe('dashboard behind --auth-token', { timeout: 300_000 }, () => {
  let app: App;
  let browser: Browser;

  before(async () => {
    app = await startTestApp([
      '--source',
      `replay:${recording(RECORDING_2476)}`,
      '--speed',
      'max',
      '--memory',
      '--auth-token',
      TOKEN,
    ]);
    await app.sourcesDone;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows the complete state when the page carries the token', async () => {
    const watched = await openPage(browser, `${app.url}/?token=${encodeURIComponent(TOKEN)}`);
    await waitForText(watched.page, '#counter', '2,476');
    await watched.page.waitForFunction(
      () => document.querySelectorAll('table#top10-table tbody tr').length === 10,
    );
    assert.deepEqual(await tableRows(watched.page), groundTruth2476().slice(0, 10));
    await watched.page.waitForFunction(
      () => !/–|unknown/.test(document.querySelector('#source')?.textContent ?? '–'),
    );
    await screenshot(watched.page, 'dashboard-with-token');
    assert.deepEqual(watched.problems, []);
  });

  it('refuses the API to a page without the token', async () => {
    const response = await fetch(`${app.url}/api/status`);
    assert.equal(response.status, 401);
    const withToken = await fetch(`${app.url}/api/status?token=${encodeURIComponent(TOKEN)}`);
    assert.equal(withToken.status, 200);
  });
});
