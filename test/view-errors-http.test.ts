/**
 * A view in error over HTTP: `GET /api/views/:view` answers 409 naming
 * the view, the reason and the failing value while the engine reports the view in error, and 200
 * again once it recovers; `/readyz` and `/api/status` name the views in error or stuck; the other
 * views are served throughout. Fake engine, real hub and HTTP server on port 0.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Hub } from '../src/hub/hub.js';
import { startServer, type RunningServer } from '../src/server/http-server.js';
import { manualClock } from './support/clock.js';
import { FakeEngine, recordingLog } from './support/fake-engine.js';

const DIVISION = { view: 'ratio', sqlstate: '22012', message: 'division by zero', value: '3' };

describe('views in error over HTTP', { timeout: 30_000 }, () => {
  let engine: FakeEngine;
  let hub: Hub;
  let server: RunningServer;
  const clock = manualClock();

  before(async () => {
    engine = new FakeEngine(['counter', 'ratio', 'slow']);
    hub = new Hub(engine, { clock, log: recordingLog(), stuckAfterMs: 10_000 });
    const starting = hub.start();
    for (const name of engine.views.map((v) => v.name)) engine.open(name, 10, [[`${name}0`]]);
    await starting;
    server = await startServer({ hub, status: () => ({ source: 'test' }) }, '127.0.0.1', 0);
  });

  after(async () => {
    await server?.close();
    hub?.close();
  });

  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const response = await fetch(`${server.url}${path}`);
    return { status: response.status, text: await response.text() };
  };

  it('answers 409 with the view, the reason and the failing value while the view is in error', async () => {
    for (const view of ['counter', 'ratio', 'slow'])
      engine.step(view, 11, [], view === 'ratio' ? [DIVISION] : undefined);
    const ratio = await get('/api/views/ratio');
    assert.equal(ratio.status, 409);
    const body = JSON.parse(ratio.text) as { error: { code: string; message: string; view: string } };
    assert.equal(body.error.code, 'VIEWCAST_VIEW_ERROR');
    assert.equal(body.error.view, 'ratio');
    assert.match(
      body.error.message,
      /view "ratio" is in error: division by zero \(value 3\) \[SQLSTATE 22012\]/,
    );
    assert.equal((await get('/api/views/counter')).status, 200, 'the other views are served');
    const ready = await get('/readyz');
    assert.equal(ready.status, 200);
    assert.match(ready.text, /view ratio: error \(VIEWCAST_VIEW_ERROR\)/);
    const status = JSON.parse((await get('/api/status')).text) as {
      source: string;
      viewHealth: { error: Array<{ view: string }>; stuck: string[] };
    };
    assert.equal(status.source, 'test');
    assert.deepEqual(
      status.viewHealth.error.map((e) => e.view),
      ['ratio'],
    );
  });

  it('names a stuck view, and serves the recovered view again', async () => {
    clock.advance(6_000);
    engine.step('counter', 12);
    engine.step('ratio', 12, [], []);
    clock.advance(7_000); // slow has been silent past the bound; the others have not
    assert.equal((await get('/api/views/ratio')).status, 200);
    const ready = await get('/readyz');
    assert.equal(ready.status, 200);
    assert.match(ready.text, /view slow: stuck/);
    assert.doesNotMatch(ready.text, /ratio/);
    const status = JSON.parse((await get('/api/status')).text) as { viewHealth: { stuck: string[] } };
    assert.deepEqual(status.viewHealth.stuck, ['slow']);
  });
});
