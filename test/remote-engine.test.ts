/**
 * A gateway (`--engine postgres://...`) against a real viewcast's Postgres-wire server, in one
 * process: the 2,476-event recording replayed into the engine, the gateway serving the same rows
 * at the same timestamps; then the engine's Postgres-wire server goes away and comes back, with
 * changes in between, and the gateway subscribes again and converges.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import { startRemoteApp, type RemoteApp } from '../src/cli/remote-app.js';
import type { RunningPgServer } from '../src/pgwire/server.js';
import { startPgServer } from '../src/pgwire/server.js';
import { startTestPgServer, waitForChannel } from './support/pg-wire.js';
import { quietLog, serveOptions, startTestApp } from './support/server.js';
import { groundTruth2476, recording, RECORDING_2476 } from './support/shared-data.js';
import { streamView, type StreamedView } from './support/ws-view.js';
import { holds, sortedRows as sorted } from './support/ws-wait.js';

describe('remote engine: a gateway over a viewcast Postgres-wire server', { timeout: 300_000 }, () => {
  let engine: App;
  let pg: RunningPgServer;
  let gateway: RemoteApp;
  let counterClient: StreamedView;
  let top10Client: StreamedView;

  /** Waits until every view of the gateway holds the engine's rows at the engine's timestamp. */
  async function converged(): Promise<void> {
    for (const channel of engine.hub.views) {
      const mirror = gateway.hub.require(channel.name);
      await waitForChannel(mirror, (m) => m.timestamp === channel.timestamp);
      assert.deepEqual(sorted(mirror.rows.rows()), sorted(channel.rows.rows()), channel.name);
    }
  }

  before(async () => {
    let release!: () => void;
    engine = await startTestApp(
      [
        '--source',
        `replay:${recording(RECORDING_2476)}`,
        '--speed',
        'max',
        '--memory',
        '--batch-size',
        '100',
      ],
      {
        holdSources: new Promise<void>((resolve) => (release = resolve)),
      },
    );
    pg = await startTestPgServer(engine.hub);
    gateway = await startRemoteApp(
      serveOptions(['--engine', `postgres://materialize@127.0.0.1:${pg.port}/materialize`]),
      quietLog,
    );
    counterClient = await streamView(gateway.url, 'counter');
    top10Client = await streamView(gateway.url, 'top10');
    release();
    await engine.sourcesDone;
  });

  after(async () => {
    counterClient?.close();
    top10Client?.close();
    await gateway?.close();
    await pg?.close();
    await engine?.close();
  });

  it('lists the engine views with their columns and types, served by the remote path', () => {
    const columnsOf = (views: typeof engine.engine.views): unknown =>
      views.map(({ name, columns }) => ({ name, columns }));
    assert.deepEqual(columnsOf(gateway.engine.views), columnsOf(engine.engine.views));
    assert.ok(gateway.engine.views.every((view) => view.path === 'remote'));
  });

  it('serves the same rows at the same timestamps as the engine, and browsers on it converge', async () => {
    await converged();
    await counterClient.reach(engine.hub.require('counter').timestamp as number);
    await holds(top10Client, () => engine.hub.require('top10').rows.rows());
    assert.deepEqual(counterClient.view.rows.rows(), [[2476]]);
    assert.deepEqual(
      top10Client.view.rows.rows().sort((a, b) => Number(b[1]) - Number(a[1])),
      groundTruth2476().slice(0, 10),
    );
    assert.ok(counterClient.messages.length > 1, 'the browser saw live batches, not only a snapshot');
  });

  it('subscribes again after losing the engine, and converges on what changed meanwhile', async () => {
    const port = pg.port;
    await pg.close();
    // The engine moves on while the gateway cannot see it.
    await engine.engine.ingest([{ user: 'Outage-bot', type: 'edit' }], {});
    await engine.engine.ingest([{ user: 'Outage-bot', type: 'edit' }], {});
    pg = await startPgServer({ hub: engine.hub, host: '127.0.0.1', port, password: null, log: quietLog });
    await converged();
    assert.ok(
      Object.values(gateway.status().views).every((v) => v.resets >= 1),
      'every view was re-subscribed',
    );
    assert.ok(gateway.engine.status().restarts >= 3);
    await counterClient.reach(engine.hub.require('counter').timestamp as number);
    assert.deepEqual(counterClient.view.rows.rows(), [[2478]], 'the browser got the difference as a batch');
    assert.equal(gateway.hub.require('user_edits').rows.count(['Outage-bot', 2]), 1);
  });
});
