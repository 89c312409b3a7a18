/**
 * The dashboard's server state and how client events change it. Each update builds new objects
 * only for the slices that changed, so the parts of the page that did not change are not redrawn.
 */
import type {
  ChangeEvent,
  ConnectionStatus,
  Row,
  StatusEvent,
  TransportKind,
  ViewcastClient,
} from '../../src/client/index.js';
import { Store } from '../lib/store.js';
import { addToRate, EMPTY_RATE, rateFromRows, RATE_VIEW, type RateSeries } from './rate.js';

export interface SourceInfo {
  /** Short, e.g. "live Wikimedia", "replay of x.jsonl", "simulator". */
  label: string;
  /** The server's full description. */
  detail: string;
}

export interface DashboardState {
  /** The moment everything on the page reflects. */
  timestamp: number | null;
  counter: number | null;
  /** The top-10 rows, highest count first (ties by name). */
  top10: readonly Row[];
  /** The same over the last ten minutes (the windowed view `top10_recent`). */
  top10Recent: readonly Row[];
  rate: RateSeries;
  connection: ConnectionStatus;
  transport: TransportKind | null;
  source: SourceInfo | null;
}

/** The ten most active editors of the last ten minutes (a temporal filter, views/wikirecent.sql). */
export const RECENT_VIEW = 'top10_recent';

export const INITIAL_STATE: DashboardState = {
  timestamp: null,
  counter: null,
  top10: [],
  top10Recent: [],
  rate: EMPTY_RATE,
  connection: 'connecting',
  transport: null,
  source: null,
};

/** Highest count first; ties by name in code-point order, the order the chart's sort uses too. */
export function sortTop(rows: Row[]): Row[] {
  return [...rows].sort((a, b) => Number(b[1]) - Number(a[1]) || byCodePoint(String(a[0]), String(b[0])));
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function counterValue(client: ViewcastClient): number | null {
  const [row] = client.view('counter')?.rows.rows() ?? [];
  return row ? Number(row[0]) : null;
}

export function applyChange(store: Store<DashboardState>, client: ViewcastClient, event: ChangeEvent): void {
  const state = store.get();
  const patch: Partial<DashboardState> = { timestamp: event.timestamp };
  // Edits per second come from the windowed view: a page opened late shows the whole
  // five minutes. Only a server without that view leaves the page to count the counter's changes.
  const windowed = client.view(RATE_VIEW);
  if (windowed && event.views[RATE_VIEW]) patch.rate = rateFromRows(windowed.rows.rows(), event.timestamp);
  if (event.views['counter']) {
    const counter = counterValue(client);
    patch.counter = counter;
    // Only batches are edits that happened now; a snapshot or reset carries history.
    if (!windowed && !event.views['counter'].reset && state.counter !== null && counter !== null) {
      patch.rate = addToRate(state.rate, event.timestamp, counter - state.counter);
    }
  }
  if (event.views['top10']) patch.top10 = sortTop(client.view('top10')?.rows.rows() ?? []);
  if (event.views[RECENT_VIEW]) patch.top10Recent = sortTop(client.view(RECENT_VIEW)?.rows.rows() ?? []);
  // Time moves on even when nobody edits: the chart's right edge follows the moment.
  patch.rate ??= addToRate(state.rate, event.timestamp, 0);
  store.update(patch);
}

export function applyStatus(store: Store<DashboardState>, event: StatusEvent): void {
  store.update({ connection: event.status, transport: event.transport });
}

export function applyProgress(store: Store<DashboardState>, timestamp: number): void {
  const state = store.get();
  if (state.timestamp !== null && timestamp <= state.timestamp) return;
  store.update({ timestamp, rate: addToRate(state.rate, timestamp, 0) });
}

interface StatusSource {
  kind?: string;
  description?: string;
  file?: string;
  /** A finite source (a replay) has delivered everything. */
  done?: boolean;
}

/** A short label for the page from `/api/status`; the full description goes in a tooltip. */
export function describeSources(status: { source?: StatusSource; sources?: StatusSource[] }): SourceInfo {
  const sources = status.sources ?? (status.source ? [status.source] : []);
  const label = (source: StatusSource): string => {
    const kind = source.kind ?? 'unknown';
    if (kind.startsWith('wikimedia')) return 'live Wikimedia';
    if (kind === 'simulate') return 'simulator';
    if (kind === 'http-ingest') return 'HTTP ingest';
    if (kind === 'file') {
      const file = / to (\S+),/.exec(source.description ?? '')?.[1] ?? '';
      return file ? `file ${file.split(/[\\/]/).pop() ?? file}` : 'file';
    }
    if (kind === 'replay') {
      const file = /replay of (\S+)/.exec(source.description ?? '')?.[1] ?? source.file ?? '';
      return file ? `replay of ${file.split(/[\\/]/).pop() ?? file}` : 'replay';
    }
    return kind;
  };
  // A finished replay explains a quiet page: say so next to the source.
  const finished = sources.length > 0 && sources.every((s) => s.done === true);
  return {
    label:
      sources.length > 0 ? `${sources.map(label).join(' + ')}${finished ? ', finished' : ''}` : 'unknown',
    detail: sources.map((s) => s.description ?? s.kind ?? '').join('\n'),
  };
}
