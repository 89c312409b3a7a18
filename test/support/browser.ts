/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser). Records console errors
 * and failed requests of every page, and saves screenshots under test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from './shared-data.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const ARTIFACTS = `${projectRoot}test-artifacts/`;

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors, page errors and failed or 4xx/5xx requests, as text. */
  problems: string[];
}

export async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1200, height: 900 },
  /** Runs before navigation, e.g. to install init scripts. */
  beforeLoad?: (page: Page) => Promise<unknown>,
): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport });
  await beforeLoad?.(page);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  await page.goto(url);
  return { page, problems };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** What a dashboard showed at one committed moment, recorded inside the page. */
export interface Commit {
  /** `data-timestamp` of #counter. */
  timestamp: string;
  /** `data-timestamp` of the chart (#top10): must always equal the counter's. */
  chartTimestamp: string;
  counter: string;
  /** The chart's bars, top to bottom: [user axis label, value label]. */
  chart: Array<[string, string]>;
  table: Array<[string, string]>;
}

/**
 * Installs a recorder before the page's own scripts: every time the dashboard commits a moment
 * (the counter's `data-timestamp` changes), what the counter, the chart and the table show is
 * recorded in `window.__commits`. Runs in the page, so it must be self-contained.
 */
export async function recordCommits(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const y = (element: Element): number => {
      const match = /translate\(\s*[-\d.e]+[ ,]\s*([-\d.e]+)/.exec(element.getAttribute('transform') ?? '');
      return match ? Number(match[1]) : Number(element.getAttribute('y') ?? 0);
    };
    const texts = (selector: string): string[] =>
      [...document.querySelectorAll(selector)]
        .map((element) => ({ y: y(element), text: element.textContent ?? '' }))
        .sort((a, b) => a.y - b.y)
        .map((item) => item.text);
    const commits: unknown[] = [];
    (window as unknown as { __commits: unknown[] }).__commits = commits;
    const record = (): void => {
      const counter = document.getElementById('counter');
      const chart = document.getElementById('top10');
      if (!counter?.dataset['timestamp'] || !chart) return;
      const labels = texts('#top10 .role-axis-label text');
      const values = texts('#top10 .mark-text.role-mark text');
      commits.push({
        timestamp: counter.dataset['timestamp'],
        chartTimestamp: chart.dataset['timestamp'] ?? '',
        counter: counter.textContent ?? '',
        chart: labels.map((label, i) => [label, values[i] ?? '']),
        table: [...document.querySelectorAll('table#top10-table tbody tr')].map((tr) =>
          [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
        ),
      });
    };
    document.addEventListener('DOMContentLoaded', () => {
      const counter = document.getElementById('counter');
      if (counter) {
        new MutationObserver(record).observe(counter, {
          attributes: true,
          attributeFilter: ['data-timestamp'],
        });
      }
    });
  });
}

export async function commits(page: Page): Promise<Commit[]> {
  return page.evaluate(() => (window as unknown as { __commits: Commit[] }).__commits ?? []);
}

/** A top-10 chart's bars (`#top10` or `#top10-recent`) as [user, count], top to bottom, read from the SVG. */
export async function chartRows(page: Page, chart = '#top10'): Promise<Array<[string, number]>> {
  const last = (await page.evaluate((chart) => {
    const y = (element: Element): number => {
      const match = /translate\(\s*[-\d.e]+[ ,]\s*([-\d.e]+)/.exec(element.getAttribute('transform') ?? '');
      return match ? Number(match[1]) : 0;
    };
    const texts = (selector: string): string[] =>
      [...document.querySelectorAll(selector)]
        .map((element) => ({ y: y(element), text: element.textContent ?? '' }))
        .sort((a, b) => a.y - b.y)
        .map((item) => item.text);
    const values = texts(`${chart} .mark-text.role-mark text`);
    return texts(`${chart} .role-axis-label text`).map((label, i) => [label, values[i] ?? '']);
  }, chart)) as Array<[string, string]>;
  return last.map(([user, count]) => [user, Number(count.replace(/,/g, ''))]);
}

export async function tableRows(
  page: Page,
  selector = 'table#top10-table',
): Promise<Array<[string, number]>> {
  return page.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((tr) => {
      const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
      return [cells[0] ?? '', Number(cells[1])] as [string, number];
    }),
  );
}

export async function waitForText(
  page: Page,
  selector: string,
  text: string,
  timeout = 60_000,
): Promise<void> {
  await page.waitForFunction(
    ([s, expected]) => document.querySelector(s as string)?.textContent === expected,
    [selector, text],
    { timeout },
  );
}

/** Chart texts (labels and values) that are not fully inside the chart's box: clipped, unreadable. */
export async function clippedChartTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const box = document.getElementById('top10')?.getBoundingClientRect();
    if (!box) return ['no #top10'];
    return [...document.querySelectorAll('#top10 svg text')]
      .filter((text) => {
        const r = text.getBoundingClientRect();
        return (
          r.left < box.left - 0.5 ||
          r.right > box.right + 0.5 ||
          r.top < box.top - 0.5 ||
          r.bottom > box.bottom + 0.5
        );
      })
      .map((text) => text.textContent ?? '');
  });
}
