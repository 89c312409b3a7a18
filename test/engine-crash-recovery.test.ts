/**
 * Durable and exactly-once: a real `viewcast serve` replaying the 2,476-event recording into a data
 * directory is killed with SIGKILL at random moments (mid-transaction as often as not), restarted
 * each time, and must end with every event counted exactly once: the counts of the recording's
 * ground truth. Each run resumes from the position committed with the last transaction.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { runCli, type CliProcess } from './support/cli.js';
import { tempDir } from './support/engine.js';
import { groundTruth2476, recording, RECORDING_2476 } from './support/shared-data.js';
import { streamView } from './support/ws-view.js';

const KILLS = 3;

interface ViewJson {
  rows: unknown[][];
}

async function get<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.ok, true, `${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

describe('SIGKILL during a replay into a data directory', () => {
  const dataDir = tempDir('viewcast-crash-');
  let running: CliProcess | null = null;

  after(() => {
    running?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const serve = (): CliProcess =>
    (running = runCli([
      'serve',
      '--source',
      `replay:${recording(RECORDING_2476)}`,
      '--speed',
      '15',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--pg-port',
      '0',
      '--batch-size',
      '40',
    ]));

  it(
    'counts every event exactly once after kill -9 at random moments and restarts',
    { timeout: 120_000 },
    async () => {
      const resumed: number[] = [];
      /** What clients had been shown as committed just before each kill. */
      const shown: number[] = [];
      for (let kill = 0; kill < KILLS; kill++) {
        const server = serve();
        const url = await server.listening;
        // A random moment while the replay runs: usually mid-transaction, sometimes between two.
        const moment = 100 + Math.floor(Math.random() * 900);
        await new Promise((resolve) => setTimeout(resolve, moment));
        const counter = await get<ViewJson>(`${url}/api/views/counter`);
        server.child.kill('SIGKILL');
        shown.push(Number(counter.rows[0]?.[0]));
        assert.equal(await server.exited, 'SIGKILL');
        const position = /resuming after position (\d+)/.exec(server.stderr)?.[1];
        if (position) resumed.push(Number(position));
      }

      const server = serve();
      const url = await server.listening;
      // Every restart resumed where the run before had committed, further each time, and never
      // before what that run had already shown to clients: a commit that was published survived
      // the kill (a lost one would still count exactly once, but would be a broken promise).
      assert.equal(resumed.length, KILLS - 1, server.stderr);
      for (let i = 1; i < resumed.length; i++)
        assert.ok((resumed[i] as number) >= (resumed[i - 1] as number));
      for (const [i, position] of resumed.entries())
        assert.ok(position >= (shown[i] as number), `resumed at ${position}, clients had seen ${shown[i]}`);
      await waitForReplay(url);

      const counter = await get<ViewJson>(`${url}/api/views/counter`);
      assert.deepEqual(counter.rows, [[2476]]);
      const top10 = await get<ViewJson>(`${url}/api/views/top10`);
      assert.deepEqual(
        [...top10.rows].sort((a, b) => Number(b[1]) - Number(a[1])),
        groundTruth2476().slice(0, 10),
      );
      const edits = await get<ViewJson>(`${url}/api/views/user_edits`);
      assert.equal(edits.rows.length, 292);
      assert.equal(
        edits.rows.reduce((sum, row) => sum + Number(row[1]), 0),
        2476,
      );
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    },
  );
});

/** Waits until the live counter has seen the whole recording, then for the replay to report done. */
async function waitForReplay(url: string): Promise<void> {
  const counter = await streamView(url, 'counter');
  try {
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (counter.view.rows.rows().some((row) => Number(row[0]) >= 2476)) resolve();
      };
      check();
      counter.socket.on('message', check); // after ws-view's own listener has applied the message
    });
  } finally {
    counter.close();
  }
  const status = await get<{ source: { done: boolean; error: string | null } }>(`${url}/api/status`);
  assert.equal(status.source.error, null);
}
