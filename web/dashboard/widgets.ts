/** The small parts of the dashboard: counter, table, "as of", connection badge and source. */
import type { Row } from '../../src/client/index.js';
import type { Part } from '../lib/renderer.js';
import type { DashboardState } from './state.js';

const number = new Intl.NumberFormat('en-US');

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

export const counterPart: Part<DashboardState> = {
  render(state, previous) {
    if (previous && state.counter === previous.counter) return;
    byId('counter').textContent = state.counter === null ? '–' : number.format(state.counter);
  },
};

/** The table under a top-10 chart: the same numbers, for screen readers and for copying. */
export function tablePart(
  id: string,
  slice: (state: DashboardState) => readonly Row[],
): Part<DashboardState> {
  return {
    render(state, previous) {
      if (previous && slice(state) === slice(previous)) return;
      const body = byId<HTMLTableElement>(id).tBodies[0];
      if (body) body.replaceChildren(...slice(state).map(tableRow));
    },
  };
}

function tableRow(row: Row, rank: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  const user = document.createElement('td');
  user.textContent = String(row[0] ?? '');
  user.dataset['rank'] = String(rank + 1);
  const count = document.createElement('td');
  count.textContent = String(row[1] ?? '');
  tr.append(user, count);
  return tr;
}

export const asOfPart: Part<DashboardState> = {
  render(state, previous) {
    if (previous && state.timestamp === previous.timestamp) return;
    if (state.timestamp === null) return;
    const element = byId('as-of');
    const date = new Date(state.timestamp);
    element.textContent = date.toLocaleTimeString('en-GB');
    element.setAttribute('datetime', date.toISOString());
    element.title = date.toString();
  },
};

const STATUS_TEXT: Record<DashboardState['connection'], string> = {
  connecting: 'connecting',
  live: 'live',
  stale: 'stale',
  reconnecting: 'reconnecting',
  closed: 'offline',
};

export const connectionPart: Part<DashboardState> = {
  render(state, previous) {
    if (previous && state.connection === previous.connection && state.transport === previous.transport)
      return;
    const badge = byId('connection');
    badge.dataset['state'] = state.connection;
    badge.textContent = STATUS_TEXT[state.connection];
    badge.title =
      state.connection === 'stale'
        ? 'connected, but nothing heard from the server for a while'
        : state.transport
          ? `connected over ${state.transport === 'sse' ? 'Server-Sent Events' : 'WebSocket'}`
          : '';
  },
};

export const sourcePart: Part<DashboardState> = {
  render(state, previous) {
    if (previous && state.source === previous.source) return;
    const element = byId('source');
    element.textContent = state.source?.label ?? '–';
    element.title = state.source?.detail ?? '';
  },
};
