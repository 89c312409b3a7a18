/**
 * The Wikipedia edits dashboard: a live edit counter and a live top-10 editors chart, each fed by
 * its view's stream. The chart is a Vega-Lite bar chart updated with changesets, never redrawn;
 * Vega runs with its expression interpreter so the page needs no `eval` (strict CSP).
 */
import embed from 'vega-embed';
import { changeset, Error as VegaErrorLevel } from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import type { TopLevelSpec } from 'vega-lite';
import { changesetParts, StreamClient, type Datum, type Row } from '../src/client/index.js';

const TOP10_COLUMNS = ['user', 'count'];

const spec: TopLevelSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  data: { name: 'table' },
  width: 'container',
  autosize: { type: 'fit', contains: 'padding', resize: true },
  height: 300,
  encoding: {
    y: {
      field: 'user',
      type: 'nominal',
      sort: { field: 'count', order: 'descending' },
      title: null,
      axis: { labelFontSize: 12 },
    },
    x: { field: 'count', type: 'quantitative', title: 'edits' },
  },
  layer: [
    { mark: { type: 'bar', color: '#1f5fbf', cornerRadiusEnd: 3 } },
    {
      mark: { type: 'text', align: 'left', dx: 4, fontSize: 12 },
      encoding: { text: { field: 'count', type: 'quantitative' } },
    },
  ],
  config: { view: { stroke: null }, axis: { labelColor: '#33343a', titleColor: '#55565e' } },
};

function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}

function showTimestamp(timestamp: number | null): void {
  const element = byId('as-of');
  if (timestamp === null) return;
  const date = new Date(timestamp);
  element.textContent = date.toLocaleTimeString();
  element.setAttribute('datetime', date.toISOString());
  element.dataset['timestamp'] = String(timestamp);
}

function renderTable(rows: Row[]): void {
  const body = byId('top10-table').querySelector('tbody');
  if (!body) return;
  const sorted = [...rows].sort(
    (a, b) => Number(b[1]) - Number(a[1]) || String(a[0]).localeCompare(String(b[0])),
  );
  body.replaceChildren(
    ...sorted.map((row) => {
      const tr = document.createElement('tr');
      for (const value of row) {
        const td = document.createElement('td');
        td.textContent = String(value ?? '');
        tr.append(td);
      }
      return tr;
    }),
  );
}

async function main(): Promise<void> {
  const result = await embed('#top10', spec, {
    actions: false,
    renderer: 'svg',
    ast: true,
    expr: expressionInterpreter,
    logLevel: VegaErrorLevel,
  });
  const chart = result.view;

  const counter = new StreamClient('counter');
  const top10 = new StreamClient('top10');

  counter.onUpdate(() => {
    // Read the view's state, not the message: a batch may carry only deletions (or nothing new).
    const [row] = counter.view.rows.rows();
    byId('counter').textContent = row ? Number(row[0]).toLocaleString('en-US') : '0';
    showTimestamp(counter.view.timestamp);
  });

  top10.onUpdate(({ message, snapshot }) => {
    // A snapshot (first message of a connection) replaces everything the chart holds.
    const current = chart.data('table') as Datum[];
    const parts = snapshot
      ? changesetParts(TOP10_COLUMNS, [], message.inserted, [])
      : changesetParts(TOP10_COLUMNS, current, message.inserted, message.deleted);
    if (snapshot) parts.remove = current;
    void chart.change('table', changeset().remove(parts.remove).insert(parts.insert)).runAsync();
    renderTable(top10.view.rows.rows());
    showTimestamp(top10.view.timestamp);
  });

  const badge = byId('connection');
  const showState = (): void => {
    const state =
      counter.state === 'live' && top10.state === 'live'
        ? 'live'
        : counter.state === 'live'
          ? top10.state
          : counter.state;
    badge.dataset['state'] = state;
    badge.textContent = state;
  };
  counter.onState(showState);
  top10.onState(showState);

  const status = await fetch('/api/status').then(
    (r) => r.json() as Promise<{ source?: { kind?: string; description?: string } }>,
  );
  byId('source').textContent = status.source?.description ?? status.source?.kind ?? 'unknown';
}

void main();
