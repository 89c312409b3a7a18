/**
 * The dashboard in a real browser (Debian's Chromium): a page opened before the replay and one
 * opened after it both end showing 2,476 edits and the true top 10, with no console errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { App } from '../src/cli/app.js';
import { launchBrowser, openPage, screenshot, type WatchedPage } from './support/browser.js';
import { groundTruth2476, recording, RECORDING_2476 } from './support/shared-data.js';
import { startTestApp } from './support/server.js';

async function tableRows(page: Page): Promise<Array<[string, number]>> {
  return page.$$eval('table#top10-table tbody tr', (rows) =>
    rows.map((tr) => {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
      return [cells[0] ?? '', Number(cells[1])] as [string, number];
    }),
  );
}

async function chartBars(page: Page): Promise<number> {
  return page.$$eval('#top10 svg .mark-rect path', (paths) => paths.length);
}

async function waitForCount(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (expected) => document.querySelector('#counter')?.textContent === expected,
    text,
    { timeout: 30_000 },
  );
}

describe('dashboard in Chromium', () => {
  let app: App;
  let browser: Browser;
  let release!: () => void;
  let beforeReplay: WatchedPage;

  before(async () => {
    app = await startTestApp(
      ['--source', `replay:${recording(RECORDING_2476)}`, '--speed', '20', '--memory'],
      {
        holdSources: new Promise((resolve) => (release = resolve)),
      },
    );
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('shows the complete state in a page opened before the replay, as the replay runs', async () => {
    beforeReplay = await openPage(browser, app.url);
    await waitForCount(beforeReplay.page, '0');
    assert.equal(await beforeReplay.page.textContent('#connection'), 'live');
    release();
    await app.sourcesDone;
    await waitForCount(beforeReplay.page, '2,476');
    await beforeReplay.page.waitForFunction(
      () => document.querySelectorAll('table#top10-table tbody tr').length === 10,
    );
    assert.deepEqual(await tableRows(beforeReplay.page), groundTruth2476().slice(0, 10));
    await beforeReplay.page.waitForFunction(
      () => document.querySelectorAll('#top10 svg .mark-rect path').length === 10,
    );
    assert.equal(
      await chartBars(beforeReplay.page),
      10,
      'one bar per row: deleted rows must leave the chart',
    );
    await screenshot(beforeReplay.page, 'dashboard-opened-before-replay');
    assert.deepEqual(beforeReplay.problems, []);
  });

  it('shows the same complete state in a page opened after the replay', async () => {
    const late = await openPage(browser, app.url);
    await waitForCount(late.page, '2,476');
    await late.page.waitForFunction(
      () => document.querySelectorAll('table#top10-table tbody tr').length === 10,
    );
    assert.deepEqual(await tableRows(late.page), groundTruth2476().slice(0, 10));
    await late.page.waitForFunction(
      () => document.querySelectorAll('#top10 svg .mark-rect path').length === 10,
    );
    const asOf = await late.page.getAttribute('#as-of', 'data-timestamp');
    assert.equal(Number(asOf), app.hub.timestamp);
    assert.match((await late.page.textContent('#source')) ?? '', /replay/);
    await screenshot(late.page, 'dashboard-opened-after-replay');
    assert.deepEqual(late.problems, []);
  });
});
