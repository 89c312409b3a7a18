/**
 * Lost engine: a gateway (`--engine postgres://...`) in front of another viewcast whose engine keeps
 * its state in memory. The engine is killed with SIGKILL; while it is gone the gateway goes on
 * serving the last state it had, to old and new clients; the engine comes back empty, replays and
 * takes more events, so its state and timestamps differ from before. The gateway subscribes again
 * and its clients on the multiplexed socket converge, without reconnecting, on the engine's new
 * state at the engine's own timestamps.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { startViewcast, type RunningViewcast } from './support/child-server.js';
import { MuxClient } from './support/mux-client.js';
import { freePort } from './support/process.js';
import { recording } from './support/shared-data.js';

const TOKEN = 'lost-engine-token';
const RECORDING = recording('recentchange-2023-07-29-enwiki-100.jsonl');

async function view(url: string, name: string): Promise<{ timestamp: number; rows: unknown[][] }> {
  const response = await fetch(`${url}/api/views/${name}`);
  assert.equal(response.status, 200, `${url} ${name}`);
  return (await response.json()) as { timestamp: number; rows: unknown[][] };
}

describe('lost engine under a gateway', { timeout: 300_000 }, () => {
  let engine: RunningViewcast | null = null;
  let gateway: RunningViewcast | null = null;
  const clients: MuxClient[] = [];
  after(async () => {
    for (const client of clients) client.close();
    await gateway?.stop();
    await engine?.stop();
  });

  it('keeps serving while the engine is gone, then converges on the engine that came back', async () => {
    const enginePg = await freePort();
    const engineArgs = [
      ...['--source', `replay:${RECORDING}`, '--speed', 'max', '--source', 'ingest', '--ingest-token', TOKEN],
      // No clock ticks: the truth is read at the engine's last transaction, which then stands still.
      ...['--memory', '--pg-port', String(enginePg), '--tick', '0'],
    ];
    engine = await startViewcast(engineArgs);
    await engine.waitFor(/done, 100 events applied/);
    gateway = await startViewcast(['--engine', `postgres://materialize@127.0.0.1:${enginePg}/materialize`]);
    const dashboard = await MuxClient.open(gateway.url);
    clients.push(dashboard);
    dashboard.subscribe(['counter', 'top10']);
    await dashboard.until(() => dashboard.rows('counter')[0]?.[0] === 100);

    assert.equal((await engine.kill()).signal, 'SIGKILL');
    engine = null;
    // The engine is gone: the gateway still answers with the last state it had, old clients and new.
    assert.deepEqual((await view(gateway.url, 'counter')).rows, [[100]]);
    const newcomer = await MuxClient.open(gateway.url);
    clients.push(newcomer);
    newcomer.subscribe(['counter']);
    await newcomer.until(() => newcomer.views.size === 1);
    assert.deepEqual(newcomer.rows('counter'), [[100]]);
    assert.equal(dashboard.socket.readyState, dashboard.socket.OPEN);

    // It comes back empty (in memory), replays the 100 events, and takes 5 more.
    engine = await startViewcast(engineArgs);
    await engine.waitFor(/done, 100 events applied/);
    const extra = readFileSync(RECORDING, 'utf8')
      .split('\n')
      .slice(0, 5)
      .map((line) => {
        const event = JSON.parse(line) as { meta: Record<string, unknown> };
        event.meta['id'] = `${String(event.meta['id'])}-again`;
        return JSON.stringify(event);
      });
    const posted = await fetch(`${engine.url}/api/ingest`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: extra.join('\n'),
    });
    assert.equal(posted.status, 200, await posted.text());

    const truth = { counter: await view(engine.url, 'counter'), top10: await view(engine.url, 'top10') };
    assert.deepEqual(truth.counter.rows, [[105]]);
    for (const client of [dashboard, newcomer]) {
      const views = [...client.views.keys()];
      await client.reach(truth.counter.timestamp, views);
      for (const name of views) {
        const expected = truth[name as 'counter' | 'top10'];
        assert.deepEqual(client.rows(name), [...expected.rows].sort(), name);
        assert.equal(client.views.get(name)?.timestamp, expected.timestamp, name);
      }
    }
  });
});
