/**
 * The dashboard from windowed views, in Chromium: a recording replayed with --retime
 * looks live, so a page opened after the replay has ended still shows the last five minutes of
 * edits per second at once, from the `edits_per_second` view (a temporal filter), not from changes
 * it saw itself. The counter and top 10 are unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { App } from '../src/cli/app.js';
import { launchBrowser, openPage, screenshot, waitForText } from './support/browser.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';
import { getJson, startTestApp } from './support/server.js';

describe('dashboard from windowed views in Chromium', { timeout: 120_000 }, () => {
  let app: App;
  let browser: Browser;

  before(async () => {
    app = await startTestApp([
      '--source',
      `replay:${recording(RECORDING_2476)}`,
      '--speed',
      'max',
      '--retime',
      '--memory',
    ]);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it('a page opened after a retimed replay shows its edits per second at once', async () => {
    await app.sourcesDone;
    const view = await getJson<unknown>(app, '/api/views/edits_per_second');
    const text = JSON.stringify(view);
    assert.ok(text.includes('second'), `the view is served: ${text.slice(0, 200)}`);
    const { page, problems } = await openPage(browser, app.url);
    await waitForText(page, '#counter', '2,476');
    // All 2,476 retimed events fall within the last minute: 2,476 / 60 per second.
    await page.waitForFunction(
      () =>
        /^41\.3 edits\/s over the last minute/.test(
          document.querySelector('#rate-summary')?.textContent ?? '',
        ),
      undefined,
      { timeout: 30_000 },
    );
    const bars = await page.getAttribute('#rate path.bars', 'd');
    assert.ok(bars && bars.length > 0, 'the chart has bars');
    await screenshot(page, 'dashboard-windowed-after-replay');
    assert.deepEqual(problems, []);
  });
});
