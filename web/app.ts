/**
 * The Wikipedia edits dashboard. One client follows `counter`, `top10` and the windowed views over
 * one connection, so all always come from the same moment; the client's events update one store, and a renderer
 * commits the store to the page once per frame, redrawing only the parts whose slice changed.
 */
import { connect, endpoint } from '../src/client/index.js';
import { Renderer } from './lib/renderer.js';
import { Store } from './lib/store.js';
import { RateChart } from './dashboard/rate-chart.js';
import { RATE_VIEW } from './dashboard/rate.js';
import {
  applyChange,
  applyProgress,
  applyStatus,
  describeSources,
  INITIAL_STATE,
  RECENT_VIEW,
  type DashboardState,
} from './dashboard/state.js';
import { Top10Chart } from './dashboard/top10-chart.js';
import { asOfPart, byId, connectionPart, counterPart, sourcePart, tablePart } from './dashboard/widgets.js';

async function refreshSource(store: Store<DashboardState>): Promise<void> {
  const response = await fetch(endpoint(location.href, '/api/status'), { cache: 'no-store' });
  if (!response.ok) return;
  store.update({ source: describeSources((await response.json()) as Parameters<typeof describeSources>[0]) });
}

async function main(): Promise<void> {
  const store = new Store<DashboardState>(INITIAL_STATE);
  // Connected first: the views arrive while the charts load, and the first frame shows them.
  // The keyed form (the client's default): a changed top-10 row travels once.
  const client = connect({ views: ['counter', 'top10', RATE_VIEW, RECENT_VIEW], format: 'keyed' });
  // The page's views, for a look from the browser's console (and for tests).
  (globalThis as { viewcast?: unknown }).viewcast = client;
  client.on('change', (event) => applyChange(store, client, event));
  client.on('progress', (timestamp) => applyProgress(store, timestamp));
  client.on('status', (event) => {
    applyStatus(store, event);
    // The source may differ after the server restarted, and a quiet page may mean it has finished.
    if (event.status === 'live' || event.status === 'stale') void refreshSource(store).catch(() => undefined);
  });
  client.on('error', (error) => console.warn(`viewcast: ${error.code}: ${error.message}`));

  const [chart, recentChart] = await Promise.all([
    Top10Chart.create(byId('top10'), (state) => state.top10),
    Top10Chart.create(byId('top10-recent'), (state) => state.top10Recent, '#1f7a52'),
  ]);
  const parts = [
    chart,
    recentChart,
    counterPart,
    tablePart('top10-table', (state) => state.top10),
    tablePart('top10-recent-table', (state) => state.top10Recent),
    new RateChart(byId('rate'), byId('rate-summary')),
    asOfPart,
    connectionPart,
    sourcePart,
  ];
  const renderer = new Renderer(store, parts, (state) => {
    // The moment each part shows, for people (tooltips) and for tests: always the same one.
    const moment = state.timestamp === null ? '' : String(state.timestamp);
    for (const id of ['as-of', 'counter', 'top10', 'top10-recent']) byId(id).dataset['timestamp'] = moment;
  });
  renderer.schedule();
}

void main();
