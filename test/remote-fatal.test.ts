/**
 * A remote engine's fatal errors are told apart from transient ones: a lost
 * connection is reported as reconnecting and retried; a view whose columns changed, or that the
 * remote no longer has, ends its subscription with the view in error and a log line, instead of being
 * retried forever, while the other views go on. The remotes are viewcast Postgres-wire servers over
 * fake engines, on port 0 (and then on the same port, changed).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RemoteEngine } from '../src/engine/remote/remote-engine.js';
import { Hub, type ViewStatus } from '../src/hub/hub.js';
import { startPgServer, type RunningPgServer } from '../src/pgwire/server.js';
import { FakeEngine, recordingLog } from './support/fake-engine.js';
import { quietLog } from './support/server.js';

async function remoteOver(engine: FakeEngine, port = 0): Promise<{ hub: Hub; pg: RunningPgServer }> {
  const hub = new Hub(engine, { log: recordingLog() });
  const starting = hub.start();
  for (const view of engine.views) engine.open(view.name, 10, [[`${view.name}0`]]);
  await starting;
  const pg = await startPgServer({ hub, host: '127.0.0.1', port, password: null, log: quietLog });
  return { hub, pg };
}

function statusOf(hub: Hub, view: string, until: (s: ViewStatus) => boolean): Promise<ViewStatus> {
  const now = hub.status(view);
  if (now && until(now)) return Promise.resolve(now);
  return new Promise((resolve) => {
    const stop = hub.onStatus((name, status) => {
      if (name !== view || !until(status)) return;
      stop();
      resolve(status);
    });
  });
}

describe(
  'remote engine: fatal errors end a subscription, transient ones are retried',
  { timeout: 60_000 },
  () => {
    const cleanups: Array<() => unknown> = [];
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it('reports reconnecting, then a changed schema as an error that is not retried', async () => {
      const first = await remoteOver(new FakeEngine(['kept', 'changing']));
      const port = first.pg.port;
      const log = recordingLog();
      const remote = new RemoteEngine({
        url: `postgres://materialize@127.0.0.1:${port}/materialize?views=kept,changing`,
        log,
        fetchTimeoutMs: 200,
        retry: { initialMs: 20, maxMs: 50 },
      });
      await remote.start();
      const gateway = new Hub(remote, { log });
      cleanups.push(
        () => remote.close(),
        () => gateway.close(),
      );
      await gateway.start();
      assert.deepEqual(gateway.statuses(), { kept: { state: 'ok' }, changing: { state: 'ok' } });

      const reconnecting = statusOf(gateway, 'changing', (s) => s.state === 'reconnecting');
      await first.pg.close();
      first.hub.close();
      assert.equal((await reconnecting).state, 'reconnecting');

      // The remote comes back on the same port, its views now with a column `y` instead of `x`.
      const second = await remoteOver(new FakeEngine(['kept', 'changing'], 'y'), port);
      cleanups.push(
        () => second.pg.close(),
        () => second.hub.close(),
      );
      const failed = await statusOf(gateway, 'changing', (s) => s.state === 'error');
      assert.equal(failed.state === 'error' && failed.code, 'VIEWCAST_REMOTE_SCHEMA');
      assert.ok(
        log.lines.some(
          (l) => l.startsWith('error') && l.includes('changing') && l.includes('failed for good'),
        ),
        log.lines.join('\n'),
      );
      await statusOf(gateway, 'kept', (s) => s.state === 'error');
      assert.equal(remote.status().failed, 2, 'both subscriptions ended instead of retrying');
    });

    it('reports a view the remote no longer has as VIEWCAST_UNKNOWN_VIEW, the other view going on', async () => {
      const first = await remoteOver(new FakeEngine(['stays', 'goes']));
      const port = first.pg.port;
      const log = recordingLog();
      const remote = new RemoteEngine({
        url: `postgres://materialize@127.0.0.1:${port}/materialize?views=stays,goes`,
        log,
        fetchTimeoutMs: 200,
        retry: { initialMs: 20, maxMs: 50 },
      });
      await remote.start();
      const gateway = new Hub(remote, { log });
      cleanups.push(
        () => remote.close(),
        () => gateway.close(),
      );
      await gateway.start();
      await first.pg.close();
      first.hub.close();
      const second = await remoteOver(new FakeEngine(['stays']), port);
      cleanups.push(
        () => second.pg.close(),
        () => second.hub.close(),
      );
      const gone = await statusOf(gateway, 'goes', (s) => s.state === 'error');
      assert.equal(gone.state === 'error' && gone.code, 'VIEWCAST_UNKNOWN_VIEW');
      await statusOf(gateway, 'stays', (s) => s.state === 'ok');
      assert.equal(remote.status().failed, 1);
    });
  },
);
