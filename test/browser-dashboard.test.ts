/**
 * The dashboard in a real browser (Debian's Chromium): pages opened before, during and after a
 * replay of the 2,476-event recording all end showing 2,476 edits and the true top 10 in the chart
 * and the table. Every moment a page commits is checked against the server's own history: the
 * counter and the chart always show the same timestamp, and what they show is exactly the views'
 * state at that timestamp. No console errors, no failed requests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { App } from '../src/cli/app.js';
import {
  chartRows,
  clippedChartTexts,
  commits,
  launchBrowser,
  openPage,
  recordCommits,
  screenshot,
  tableRows,
  waitForText,
  type WatchedPage,
} from './support/browser.js';
import { groundTruth2476, recording, RECORDING_2476 } from './support/shared-data.js';
import { startTestApp } from './support/server.js';
import { checkCommits, recordServerHistory, type ServerHistory } from './support/moments.js';

/** Where the page's blocks are: data arriving must not move them (no layout jumps). */
async function boxes(page: Page): Promise<Record<string, number[]>> {
  return page.evaluate(() => {
    const out: Record<string, number[]> = {};
    for (const selector of ['#connection', '#counter', '#rate', '#top10', '.table-box', 'footer']) {
      const r = document.querySelector(selector)?.getBoundingClientRect();
      if (r) out[selector] = [r.left, r.top, r.width, r.height].map(Math.round);
    }
    return out;
  });
}

describe('dashboard in Chromium', { timeout: 180_000 }, () => {
  let app: App;
  let browser: Browser;
  let release!: () => void;
  let server: ServerHistory;
  const pages: Record<string, WatchedPage> = {};

  before(async () => {
    app = await startTestApp(
      ['--source', `replay:${recording(RECORDING_2476)}`, '--speed', '5', '--memory'],
      { holdSources: new Promise((resolve) => (release = resolve)) },
    );
    server = await recordServerHistory(app.url);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    server?.close();
    await app?.close();
  });

  async function checkFinal(name: string): Promise<void> {
    const { page, problems } = pages[name] as WatchedPage;
    await waitForText(page, '#counter', '2,476');
    const truth = groundTruth2476().slice(0, 10);
    await page.waitForFunction(() => document.querySelectorAll('#top10 .mark-rect path').length === 10);
    assert.deepEqual(await tableRows(page), truth, `${name}: table`);
    assert.deepEqual(await chartRows(page), truth, `${name}: chart`);
    assert.deepEqual(await clippedChartTexts(page), [], `${name}: every label and value inside the chart`);
    // Connected: once the replay is over the server is idle, and an idle page may already say so.
    assert.match((await page.textContent('#connection')) ?? '', /^(live|stale)$/);
    await screenshot(page, `dashboard-opened-${name}-replay`);
    checkCommits(name, await commits(page), server);
    assert.deepEqual(problems, [], `${name}: console errors or failed requests`);
  }

  it('follows the replay in pages opened before and during it, each moment whole and consistent', async () => {
    pages['before'] = await openPage(browser, app.url, undefined, recordCommits);
    const first = pages['before'].page;
    await waitForText(first, '#counter', '0');
    assert.equal(await first.textContent('#connection'), 'live');
    assert.match((await first.textContent('#source')) ?? '', /replay of recentchange-2026-05-05-2476\.jsonl/);
    const layout = await boxes(first);
    release();
    await server.counter.reach((app.hub.timestamp ?? 0) + 1);
    pages['during'] = await openPage(browser, app.url, { width: 390, height: 844 }, recordCommits);
    await pages['during'].page.waitForFunction(
      () => document.getElementById('counter')?.dataset['timestamp'],
    );
    const [firstSeen] = await commits(pages['during'].page);
    assert.ok(firstSeen && firstSeen.counter !== '2,476', 'the "during" page connected while the replay ran');
    await app.sourcesDone;
    await checkFinal('before');
    assert.deepEqual(await boxes(first), layout, 'nothing moved from the empty page to the full one');
    await checkFinal('during');
  });

  it('shows the same complete state in a page opened after the replay', async () => {
    pages['after'] = await openPage(browser, app.url, { width: 1600, height: 1000 }, recordCommits);
    await checkFinal('after');
    const asOf = await pages['after'].page.getAttribute('#as-of', 'data-timestamp');
    // The engine ticks every second while idle: the page is at most a tick or two behind.
    const behind = Number(app.hub.timestamp) - Number(asOf);
    assert.ok(behind >= 0 && behind <= 2000, `as of ${asOf}, the server at ${app.hub.timestamp}`);
    assert.equal(await pages['after'].page.getAttribute('#counter', 'data-timestamp'), asOf);
  });
});
