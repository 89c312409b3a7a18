/**
 * The dashboard from windowed views, in Chromium: a recording replayed with --retime
 * looks live, so a page opened after the replay has ended still shows the last five minutes of
 * edits per second at once, from the `edits_per_second` view (a temporal filter), not from changes
 * it saw itself. The counter and top 10 are unchanged. The top 10 of the last ten minutes
 * (`top10_recent`) follows the engine's clock, which the test moves: it never sleeps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { App } from '../src/cli/app.js';
import type { Row } from '../src/client/index.js';
import { chartRows, launchBrowser, openPage, screenshot, tableRows, waitForText } from './support/browser.js';
import { manualClock } from './support/clock.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';
import { getJson, startTestApp } from './support/server.js';

const MINUTE = 60_000;

interface Snapshot {
  timestamp: number;
  rows: Row[];
}

/** Highest count first, ties by name: the order of the dashboard's charts and tables. */
function ranked(rows: Row[]): Array<[string, number]> {
  return rows
    .map(([user, count]) => [String(user), Number(count)] as [string, number])
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
}

describe('dashboard from windowed views in Chromium', { timeout: 120_000 }, () => {
  let app: App;
  let browser: Browser;
  // The engine's clock: half a minute ahead of the wall clock that --retime stamps events with, so
  // that the whole replay is in the past of the engine (and within its last minute); ticks only
  // when the test moves it.
  const clock = manualClock(Date.now() + MINUTE / 2);

  before(async () => {
    app = await startTestApp(
      [
        ...['--source', `replay:${recording(RECORDING_2476)}`, '--speed', 'max', '--retime'],
        ...['--memory', '--tick', String(MINUTE)],
      ],
      { clock },
    );
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

  it('charts the top 10 of the last ten minutes beside the all-time one, as the window moves', async () => {
    await app.sourcesDone;
    const { page, problems } = await openPage(browser, app.url);
    /** Waits until the page shows the moment of the view's snapshot, then compares chart and table with it. */
    const showsRecent = async (): Promise<Array<[string, number]>> => {
      const snapshot = await getJson<Snapshot>(app, '/api/views/top10_recent');
      await page.waitForFunction(
        (t) => Number(document.getElementById('top10-recent')?.dataset['timestamp']) >= t,
        snapshot.timestamp,
        { timeout: 30_000 },
      );
      const expected = ranked(snapshot.rows);
      assert.deepEqual(await chartRows(page, '#top10-recent'), expected, 'the chart');
      assert.deepEqual(await tableRows(page, 'table#top10-recent-table'), expected, 'the table');
      return expected;
    };
    // The whole replay is within the last ten minutes: the same editors as all time.
    const before = await showsRecent();
    assert.equal(before.length, 10);
    assert.deepEqual(before, ranked((await getJson<Snapshot>(app, '/api/views/top10')).rows));

    // Six minutes on, two editors edit; five more, and the replay's edits have left the window.
    clock.advance(6 * MINUTE);
    const second = Math.floor(clock.now() / 1000);
    const edit = (user: string): Record<string, unknown> => ({ user, type: 'edit', r_ts: second });
    await app.engine.ingest([edit('Recent-A'), edit('Recent-B'), edit('Recent-A')], {});
    clock.advance(5 * MINUTE);
    const after = await showsRecent();
    assert.deepEqual(after, [
      ['Recent-A', 2],
      ['Recent-B', 1],
    ]);
    // The all-time chart keeps the replay's editors.
    assert.deepEqual(await chartRows(page), before);
    // Bars glide to their new length; without motion the picture shows where they end.
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await screenshot(page, 'dashboard-top10-recent');
    assert.deepEqual(problems, []);
  });
});
