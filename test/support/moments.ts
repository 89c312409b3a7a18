/**
 * The server's own history of the dashboard's views, recorded by `/api/stream` clients, and the
 * check that every moment a page committed shows exactly that history: counter, chart and table
 * at the same timestamp, each equal to the view's state at it.
 */
import assert from 'node:assert/strict';
import { LiveView } from '../../src/client/live-view.js';
import type { Commit } from './browser.js';
import { streamView, type StreamedView } from './ws-view.js';

export interface ServerHistory {
  counter: StreamedView;
  top10: StreamedView;
  close(): void;
}

export async function recordServerHistory(url: string): Promise<ServerHistory> {
  const counter = await streamView(url, 'counter');
  const top10 = await streamView(url, 'top10');
  return {
    counter,
    top10,
    close: () => {
      counter.close();
      top10.close();
    },
  };
}

type States = Array<{ timestamp: number; rows: unknown[][] }>;

function states(stream: StreamedView): States {
  const view = new LiveView();
  return stream.messages.map((message) => {
    view.apply(message);
    return { timestamp: message.timestamp, rows: view.rows.rows() };
  });
}

function stateAt(list: States, timestamp: number): unknown[][] {
  let found: unknown[][] | null = null;
  for (const state of list) if (state.timestamp <= timestamp) found = state.rows;
  assert.ok(found, `the server had no state at ${timestamp}`);
  return found;
}

/** Top-10 rows as the page shows them: highest first, ties by name (code-point order). */
export function shownTop(rows: unknown[][]): Array<[string, string]> {
  return [...rows]
    .sort((a, b) => Number(b[1]) - Number(a[1]) || (String(a[0]) < String(b[0]) ? -1 : 1))
    .map((row) => [String(row[0]), Number(row[1]).toLocaleString('en-US')]);
}

/** Returns how many moments were checked. */
export function checkCommits(name: string, recorded: Commit[], history: ServerHistory): number {
  assert.ok(recorded.length > 0, `${name}: no moment was committed`);
  const counters = states(history.counter);
  const tops = states(history.top10);
  for (const commit of recorded) {
    const at = Number(commit.timestamp);
    assert.equal(commit.chartTimestamp, commit.timestamp, `${name}: counter and chart at different moments`);
    const counter = stateAt(counters, at)[0]?.[0];
    assert.equal(commit.counter, Number(counter).toLocaleString('en-US'), `${name}: counter at ${at}`);
    const expected = shownTop(stateAt(tops, at));
    assert.deepEqual(commit.chart, expected, `${name}: chart at ${at}`);
    assert.deepEqual(commit.table, expected, `${name}: table at ${at}`);
  }
  return recorded.length;
}
