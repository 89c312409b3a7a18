/**
 * Scale-out as users would run it: one engine process (embedded engine, replaying the 2,476-event
 * recording into a data directory) and two gateway processes (`--engine postgres://...` pointed at
 * the engine's Postgres-wire port), browsers on both gateways. The engine is killed (SIGKILL)
 * mid-replay and started again on the same data directory: it resumes after the last committed
 * event, the gateways subscribe again, and every client converges to the same rows at the same
 * timestamps as the engine.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitForProgress } from './support/pg-wire.js';
import { freePort, startViewcast, type ViewcastProcess } from './support/process.js';
import { groundTruth2476, recording, RECORDING_2476 } from './support/shared-data.js';
import { streamView, type StreamedView } from './support/ws-view.js';
import { holds, sortedRows, until } from './support/ws-wait.js';

interface Snapshot {
  timestamp: number;
  rows: unknown[][];
}

const VIEWS = ['counter', 'user_edits', 'top10'];

async function snapshot(url: string, view: string): Promise<Snapshot> {
  const response = await fetch(`${url}/api/views/${view}`);
  assert.equal(response.status, 200);
  const body = (await response.json()) as Snapshot;
  return { timestamp: body.timestamp, rows: sortedRows(body.rows) };
}

describe('gateways: one engine process and two gateway processes', { timeout: 300_000 }, () => {
  let dataDir: string;
  let enginePg: number;
  let engine: ViewcastProcess;
  const gateways: Array<{ process: ViewcastProcess; pgUrl: string }> = [];
  const clients: StreamedView[] = [];
  const engineArgs = (): string[] => [
    '--source',
    `replay:${recording(RECORDING_2476)}`,
    '--speed',
    '20',
    '--batch-size',
    '50',
    '--data-dir',
    dataDir,
    '--pg-port',
    String(enginePg),
    // No clock ticks: once the replay is done the engine's timestamp stands still, so every
    // gateway can be compared with it at one final timestamp.
    '--tick',
    '0',
  ];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'viewcast-gateways-'));
    enginePg = await freePort();
    engine = await startViewcast(engineArgs());
    for (let i = 0; i < 2; i++) {
      const pgPort = await freePort();
      const process = await startViewcast([
        '--engine',
        `postgres://materialize@127.0.0.1:${enginePg}/materialize`,
        '--pg-port',
        String(pgPort),
      ]);
      gateways.push({ process, pgUrl: `postgresql://materialize@127.0.0.1:${pgPort}/materialize` });
    }
    for (const { process } of gateways) {
      clients.push(await streamView(process.url, 'counter'), await streamView(process.url, 'top10'));
    }
  });

  after(async () => {
    for (const client of clients) client.close();
    await Promise.all([engine, ...gateways.map((g) => g.process)].map((p) => p?.stop()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('serves identical rows at identical timestamps on both gateways, through an engine kill and restart', async () => {
    const counters = clients.filter((_, i) => i % 2 === 0);
    // Mid-replay: both gateways follow the live engine.
    await Promise.all(counters.map((c) => until(c, (rows) => Number(rows[0]?.[0]) >= 300)));
    await engine.stop('SIGKILL');
    engine = await startViewcast(engineArgs());
    const engineCounter = await streamView(engine.url, 'counter');
    try {
      await until(engineCounter, (rows) => rows[0]?.[0] === 2476);
    } finally {
      engineCounter.close();
    }
    // The replay is done: nothing changes after this timestamp.
    const final = await snapshot(engine.url, 'counter');
    for (const { pgUrl } of gateways) {
      for (const view of VIEWS) await waitForProgress(pgUrl, view, final.timestamp);
    }
    for (const view of VIEWS) {
      const truth = await snapshot(engine.url, view);
      assert.equal(truth.timestamp, final.timestamp);
      for (const { process } of gateways)
        assert.deepEqual(await snapshot(process.url, view), truth, `${view} on ${process.url}`);
    }
    const top10 = groundTruth2476().slice(0, 10);
    for (const [i, client] of clients.entries()) {
      if (i % 2 === 0) await holds(client, () => [[2476]]);
      else await holds(client, () => top10);
    }
    for (const { process } of gateways) {
      const status = (await (await fetch(`${process.url}/api/status`)).json()) as {
        engine: { restarts: number };
        views: Record<string, { resets: number }>;
      };
      assert.ok(status.engine.restarts >= 3, 'each view was subscribed again after the engine came back');
      assert.ok(Object.values(status.views).every((v) => v.resets >= 1));
    }
  });
});
