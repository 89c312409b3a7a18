/**
 * The server restarts under an open dashboard (same port, same --data-dir): the badge goes from
 * live to reconnecting and back to live, and the page converges to the new state without a reload.
 * After the restart a second recording adds 40 edits by Ladsgroup (48 -> 88), who enters the top 10
 * and pushes Zabe (68) out, so the page must really take in the new state, not just reconnect.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { App } from '../src/cli/app.js';
import {
  chartRows,
  launchBrowser,
  openPage,
  screenshot,
  tableRows,
  waitForText,
  type WatchedPage,
} from './support/browser.js';
import { groundTruth2476, recording, RECORDING_2476 } from './support/shared-data.js';
import { startTestApp } from './support/server.js';

function extraEdits(user: string, count: number): string {
  const start = Date.parse('2026-05-05T12:00:00Z');
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      meta: { id: `restart-${i}`, dt: new Date(start + i).toISOString(), domain: 'test.wikipedia.org' },
      type: 'edit',
      title: `Page ${i}`,
      user,
      bot: false,
      timestamp: Math.floor(start / 1000),
      wiki: 'testwiki',
    }),
  ).join('\n');
}

/**
 * While the server is down, each reconnect attempt makes Chromium log that the WebSocket could not
 * connect. Those lines are the expected trace of a restart; anything else is a problem.
 */
const REFUSED_RECONNECT =
  /^console error: WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/api\/subscribe(\?format=keyed)?' failed/;

describe('server restart under an open dashboard', { timeout: 180_000 }, () => {
  let dir: string;
  let app: App;
  let browser: Browser;
  let watched: WatchedPage;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viewcast-restart-'));
    writeFileSync(join(dir, 'more.jsonl'), extraEdits('Ladsgroup', 40));
    app = await startTestApp([
      '--source',
      `replay:${recording(RECORDING_2476)}`,
      '--speed',
      'max',
      '--data-dir',
      join(dir, 'data'),
    ]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows reconnecting while the server is gone, then live, and converges without a reload', async () => {
    await app.sourcesDone;
    watched = await openPage(browser, app.url, undefined, (page) =>
      // Every text the badge shows, in order: a state shown for one frame must not go unseen.
      page.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { __badges: string[] }).__badges = seen;
        document.addEventListener('DOMContentLoaded', () => {
          const badge = document.getElementById('connection');
          if (!badge) return;
          seen.push(badge.textContent ?? '');
          new MutationObserver(() => {
            if (seen[seen.length - 1] !== badge.textContent) seen.push(badge.textContent ?? '');
          }).observe(badge, { childList: true, characterData: true, subtree: true });
        });
      }),
    );
    const { page } = watched;
    await waitForText(page, '#counter', '2,476');
    await waitForText(page, '#connection', 'live');
    const loads: string[] = [];
    page.on('load', () => loads.push(page.url()));

    const port = new URL(app.url).port;
    await app.close();
    await waitForText(page, '#connection', 'reconnecting');
    await screenshot(page, 'restart-reconnecting');
    assert.equal(await page.textContent('#counter'), '2,476', 'the page keeps what it had');

    app = await startTestApp([
      '--port',
      port,
      '--source',
      `replay:${recording(RECORDING_2476)}`,
      '--source',
      `replay:${join(dir, 'more.jsonl')}`,
      '--speed',
      'max',
      '--data-dir',
      join(dir, 'data'),
    ]);
    await app.sourcesDone;
    await waitForText(page, '#counter', '2,516');
    const badges = await page.evaluate(() => (window as unknown as { __badges: string[] }).__badges);
    const lost = badges.indexOf('reconnecting');
    assert.ok(lost > 0 && badges.indexOf('live') < lost, `live, then reconnecting: ${badges.join(' -> ')}`);
    assert.ok(badges.slice(lost).includes('live'), `reconnecting, then live again: ${badges.join(' -> ')}`);
    const truth = groundTruth2476();
    const expected = [...truth.slice(0, 9), ['Ladsgroup', 88] as [string, number]];
    await page.waitForFunction(
      () => document.querySelector('table#top10-table tbody tr:last-child td')?.textContent === 'Ladsgroup',
    );
    assert.deepEqual(await tableRows(page), expected);
    assert.deepEqual(await chartRows(page), expected, 'Zabe left the chart, Ladsgroup joined it');
    assert.equal(
      await page.getAttribute('#counter', 'data-timestamp'),
      await page.getAttribute('#top10', 'data-timestamp'),
    );
    assert.deepEqual(loads, [], 'no reload');
    await screenshot(page, 'restart-converged');
    // The replays are over: with nothing new, not even progress, the badge stops claiming "live",
    // and the source says why.
    await waitForText(page, '#connection', 'stale', 30_000);
    await waitForText(
      page,
      '#source',
      'replay of recentchange-2026-05-05-2476.jsonl + replay of more.jsonl, finished',
    );
    assert.deepEqual(
      watched.problems.filter((problem) => !REFUSED_RECONNECT.test(problem)),
      [],
      'no console errors or failed requests besides the refused reconnects',
    );
  });
});
