/** Waiting on a streamed view without polling: checked now and after every message it applies. */
import type { StreamedView } from './ws-view.js';

export function sortedRows(rows: unknown[][]): unknown[][] {
  return [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

export function until(client: StreamedView, predicate: (rows: unknown[][]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (predicate(client.view.rows.rows())) return resolve();
    const check = (): void => {
      if (!predicate(client.view.rows.rows())) return;
      client.socket.off('message', check);
      resolve();
    };
    client.socket.on('message', check);
  });
}

/** Resolves once the client's view holds exactly `rows()` (as a multiset). */
export function holds(client: StreamedView, rows: () => unknown[][]): Promise<void> {
  return until(client, (mine) => JSON.stringify(sortedRows(mine)) === JSON.stringify(sortedRows(rows())));
}
