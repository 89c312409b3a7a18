/**
 * Deletes in a real browser, from crafted input replayed at its recorded pace (one event per
 * transaction): a user pushed out of the top 10 leaves the chart, bars with equal counts are not
 * confused with each other, and a view whose rows are equal ([2], [2], [2]) loses exactly one row
 * per deleted row. The same dashboard also runs with WebSockets blocked, over SSE.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { App } from '../src/cli/app.js';
import {
  chartRows,
  commits,
  launchBrowser,
  openPage,
  recordCommits,
  screenshot,
  tableRows,
  waitForText,
  type WatchedPage,
} from './support/browser.js';
import { checkCommits, recordServerHistory, type ServerHistory } from './support/moments.js';
import { projectRoot } from './support/shared-data.js';
import { startTestApp } from './support/server.js';

const users = (n: number): string => `u${String(n).padStart(2, '0')}`;

/** u01..u10 twice each and u11 once; then u11 twice (pushing u10 out), then u05 once. */
function craftedEvents(): string {
  const order: string[] = [];
  for (let round = 0; round < 2; round++) for (let i = 1; i <= 10; i++) order.push(users(i));
  order.push('u11', 'u11', 'u11', 'u05');
  const start = Date.parse('2026-05-05T11:00:00Z');
  return order
    .map((user, i) =>
      JSON.stringify({
        $schema: '/mediawiki/recentchange/1.0.0',
        meta: {
          id: `crafted-${i}`,
          dt: new Date(start + i * 40).toISOString(),
          domain: 'test.wikipedia.org',
        },
        type: 'edit',
        title: `Page ${i}`,
        user,
        bot: false,
        timestamp: Math.floor((start + i * 40) / 1000),
        wiki: 'testwiki',
      }),
    )
    .join('\n');
}

const FINAL_TOP10: Array<[string, number]> = [
  ['u05', 3],
  ['u11', 3],
  ...[1, 2, 3, 4, 6, 7, 8, 9].map((i): [string, number] => [users(i), 2]),
];

/** Blocks WebSockets the way a proxy that refuses upgrades does: they fail before opening. */
async function blockWebSockets(page: Page): Promise<void> {
  await page.addInitScript(() => {
    class BlockedWebSocket extends EventTarget {
      static readonly CONNECTING = 0;
      static readonly OPEN = 1;
      static readonly CLOSING = 2;
      static readonly CLOSED = 3;
      readyState = 0;
      onopen: ((event: Event) => void) | null = null;
      onmessage: ((event: MessageEvent) => void) | null = null;
      onerror: ((event: Event) => void) | null = null;
      onclose: ((event: CloseEvent) => void) | null = null;
      constructor(readonly url: string) {
        super();
        setTimeout(() => {
          this.readyState = 3;
          this.onerror?.(new Event('error'));
          this.onclose?.(new CloseEvent('close', { code: 1006 }));
        }, 0);
      }
      send(): void {
        throw new DOMException('the socket is not open', 'InvalidStateError');
      }
      close(): void {
        this.readyState = 3;
      }
    }
    (window as unknown as { WebSocket: unknown }).WebSocket = BlockedWebSocket;
  });
}

describe('deletes and SSE fallback in Chromium', { timeout: 120_000 }, () => {
  let dir: string;
  let app: App;
  let browser: Browser;
  let server: ServerHistory;
  let release!: () => void;
  const pages: Record<string, WatchedPage> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viewcast-browser-'));
    writeFileSync(join(dir, 'crafted.jsonl'), craftedEvents());
    // The standard views plus one whose rows repeat: the three highest counts.
    const views = readFileSync(`${projectRoot}views/wikirecent.sql`, 'utf8');
    writeFileSync(
      join(dir, 'views.sql'),
      `${views}\nCREATE MATERIALIZED VIEW top_counts AS\n    SELECT count FROM user_edits ORDER BY count DESC LIMIT 3;\n`,
    );
    app = await startTestApp(
      ['--source', `replay:${join(dir, 'crafted.jsonl')}`, '--views', join(dir, 'views.sql'), '--memory'],
      { holdSources: new Promise((resolve) => (release = resolve)) },
    );
    server = await recordServerHistory(app.url);
    browser = await launchBrowser();
  });

  after(async () => {
    // A failed step must not leave the sources held: closing the app waits for them.
    release?.();
    await browser?.close();
    server?.close();
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens a dashboard, a dashboard without WebSockets and the generic page of a view', async () => {
    // Tests run without the engine's clock (`--tick 0`): with the sources held the server is
    // silent, so a page reads stale 5 s after its last frame. Each page's transport is read as soon
    // as it is connected, not after the others have opened.
    const transport = async ({ page }: WatchedPage): Promise<string> => {
      const connected = await page.waitForFunction(() => {
        const title = document.getElementById('connection')?.title ?? '';
        return /^connected over /.test(title) ? title : null;
      });
      return (await connected.jsonValue()) ?? '';
    };
    pages['dashboard'] = await openPage(browser, app.url, undefined, recordCommits);
    assert.match(await transport(pages['dashboard']), /WebSocket/);
    pages['sse'] = await openPage(browser, app.url, { width: 800, height: 900 }, async (page) => {
      await blockWebSockets(page);
      await recordCommits(page);
    });
    assert.match(await transport(pages['sse']), /Server-Sent Events/, 'the page fell back to SSE');
    pages['view'] = await openPage(browser, `${app.url}/views/top_counts`, { width: 700, height: 500 });
    for (const { page } of Object.values(pages)) {
      await page.waitForFunction(() =>
        /^(live|stale)$/.test(document.getElementById('connection')?.textContent ?? ''),
      );
    }
    release();
    await app.sourcesDone;
  });

  for (const name of ['dashboard', 'sse']) {
    it(`removes the user who left the top 10 from the chart, every moment equal to the server (${name})`, async () => {
      const { page, problems } = pages[name] as WatchedPage;
      await waitForText(page, '#counter', '24');
      await page.waitForFunction(
        () => document.querySelectorAll('#top10 .mark-rect.role-mark path').length === 10,
      );
      assert.deepEqual(await chartRows(page), FINAL_TOP10);
      assert.deepEqual(await tableRows(page), FINAL_TOP10);
      const recorded = await commits(page);
      assert.ok(
        recorded.some((commit) => commit.chart.some(([user]) => user === 'u10')),
        'u10 was in the chart before it left',
      );
      checkCommits(name, recorded, server);
      await screenshot(page, `changes-${name}`);
      assert.deepEqual(problems, []);
    });
  }

  it('keeps equal rows apart on the generic view page: [2],[2],[2] becomes [3],[3],[2]', async () => {
    const { page, problems } = pages['view'] as WatchedPage;
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('#view-table tbody td')].map((td) => td.textContent).join(',') ===
        '3,3,2',
    );
    assert.equal(await page.textContent('#view-table thead th'), 'count ↓');
    assert.equal(await page.textContent('#row-count'), '3 rows');
    await screenshot(page, 'changes-view-page');
    assert.deepEqual(problems, []);
  });
});
