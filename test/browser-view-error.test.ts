/**
 * A view in error in the browser: the view page (`/views/:name`) shows the error, naming the view,
 * the reason and the failing value, instead of the rows it had, and shows the rows again when the
 * view recovers, on the same connection. Fake engine (so the test decides when the view fails), real
 * hub, server, client library and Chromium.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Hub } from '../src/hub/hub.js';
import { startServer, type RunningServer } from '../src/server/http-server.js';
import { launchBrowser, openPage } from './support/browser.js';
import { manualClock } from './support/clock.js';
import { FakeEngine, recordingLog } from './support/fake-engine.js';

const DIVISION = { view: 'ratio', sqlstate: '22012', message: 'division by zero', value: '3' };

describe('a view in error on the view page', { timeout: 120_000 }, () => {
  let engine: FakeEngine;
  let hub: Hub;
  let server: RunningServer;
  let browser: Browser;

  before(async () => {
    engine = new FakeEngine(['ratio', 'counter']);
    hub = new Hub(engine, { clock: manualClock(), log: recordingLog() });
    const starting = hub.start();
    engine.open('ratio', 10, [['r1']]);
    engine.open('counter', 10, [['c1']]);
    await starting;
    server = await startServer({ hub, status: () => ({}) }, '127.0.0.1', 0);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    hub?.close();
  });

  it('shows the error instead of stale rows, and the rows again once the view recovers', async () => {
    const { page, problems } = await openPage(browser, `${server.url}/views/ratio`);
    const cells = (): Promise<string[]> =>
      page.$$eval('#view-table tbody td', (tds) => tds.map((td) => td.textContent ?? ''));
    await page.waitForFunction(() => document.querySelector('#view-table tbody td')?.textContent === 'r1');

    engine.step(
      'ratio',
      11,
      [
        [['r1'], -1],
        [['r2'], 1],
      ],
      [DIVISION],
    );
    engine.step('counter', 11);
    await page.waitForSelector('#view-message:not([hidden])');
    assert.match(
      (await page.textContent('#view-message')) ?? '',
      /view "ratio" is in error: division by zero \(value 3\) \[SQLSTATE 22012\]/,
    );
    assert.deepEqual(await cells(), [], 'no stale rows while the view is in error');
    assert.equal(await page.textContent('#row-count'), '0 rows');

    engine.step('ratio', 12, [], []);
    engine.step('counter', 12);
    await page.waitForSelector('#view-message', { state: 'hidden' });
    await page.waitForFunction(() => document.querySelector('#view-table tbody td')?.textContent === 'r2');
    assert.deepEqual(await cells(), ['r2']);
    assert.deepEqual(problems, []);
  });
});
