/**
 * The dashboard in Chromium speaks the keyed form: its socket asks for `?format=keyed`, its live
 * frames are `[dt,{view: entry}]` arrays, and after the 2,476 events of the recording, replayed
 * fast, the rows of every view the page holds equal the server's contents of that view at the
 * page's moment.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { App } from '../src/cli/app.js';
import { launchBrowser, openPage } from './support/browser.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';
import { startTestApp } from './support/server.js';

interface PageState {
  timestamp: number | null;
  views: Record<string, unknown[][]>;
}

function sorted(rows: unknown[][]): string[] {
  return rows.map((row) => JSON.stringify(row)).sort();
}

describe('dashboard in the keyed form', { timeout: 180_000 }, () => {
  let app: App;
  let browser: Browser;
  let release!: () => void;

  before(async () => {
    app = await startTestApp(
      ['--source', `replay:${recording(RECORDING_2476)}`, '--speed', '20', '--memory'],
      { holdSources: new Promise((resolve) => (release = resolve)) },
    );
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it("holds exactly the server's rows of every view after the replay", async () => {
    const sockets: string[] = [];
    const frames: string[] = [];
    const { page, problems } = await openPage(browser, app.url, undefined, async (p) =>
      p.on('websocket', (socket) => {
        sockets.push(socket.url());
        socket.on('framereceived', (frame) => frames.push(String(frame.payload)));
      }),
    );
    await page.waitForFunction(
      () => (globalThis as { viewcast?: { timestamp: number | null } }).viewcast?.timestamp,
    );
    release();
    await app.sourcesDone;
    const names = app.hub.viewNames.filter((name) => frames.some((f) => f.includes(`"view":"${name}"`)));
    assert.ok(names.includes('top10') && names.includes('counter'), `the page follows ${names.join(', ')}`);
    let checked = false;
    // The engine ticks while idle (windowed views move with it): compare at a moment both share.
    for (let attempt = 0; attempt < 50 && !checked; attempt++) {
      const at = app.hub.timestamp ?? 0;
      const truth = Object.fromEntries(
        names.map((name) => [name, sorted(app.hub.require(name).rows.rows())]),
      );
      await page.waitForFunction(
        (t) => ((globalThis as { viewcast?: { timestamp: number | null } }).viewcast?.timestamp ?? 0) >= t,
        at,
      );
      const state = await page.evaluate((views): PageState => {
        const client = (
          globalThis as {
            viewcast?: {
              timestamp: number | null;
              view(name: string): { rows: { rows(): unknown[][] } } | undefined;
            };
          }
        ).viewcast;
        return {
          timestamp: client?.timestamp ?? null,
          views: Object.fromEntries(views.map((name) => [name, client?.view(name)?.rows.rows() ?? []])),
        };
      }, names);
      if (state.timestamp !== at || app.hub.timestamp !== at) continue;
      for (const name of names)
        assert.deepEqual(sorted(state.views[name] ?? []), truth[name], `view ${name}`);
      checked = true;
    }
    assert.ok(checked, 'the page and the server met at one moment');
    assert.ok(sockets.length > 0 && sockets.every((url) => url.includes('format=keyed')), sockets.join(', '));
    const live = frames.filter((f) => f.startsWith('['));
    assert.ok(live.length > 100, `${live.length} keyed live frames`);
    assert.ok(
      live.some((f) => /"top10":\[\[\["/.test(f)),
      'top10 changes arrive as upserted rows',
    );
    assert.deepEqual(problems, []);
  });
});
