/** Waits, on a view's WebSocket stream, until its rows satisfy a condition: no polling, no sleeps. */
import type { Row } from '../../src/core/multiset.js';
import { streamView } from './ws-view.js';

export async function waitForView(
  baseUrl: string,
  name: string,
  until: (rows: Row[]) => boolean,
): Promise<Row[]> {
  const client = await streamView(baseUrl, name);
  try {
    return await new Promise<Row[]>((resolve) => {
      const check = (): boolean => {
        const rows = client.view.rows.rows();
        if (!until(rows)) return false;
        resolve(rows);
        return true;
      };
      if (!check()) client.socket.on('message', () => void check());
    });
  } finally {
    client.close();
  }
}

/** The counter view's count. */
export const count = (rows: Row[]): number => Number(rows[0]?.[0] ?? 0);
