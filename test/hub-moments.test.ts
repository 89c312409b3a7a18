/**
 * The hub and the fan-out server driven by exact batches. The engine here is a small fake that
 * implements the engine contract (src/engine/types.ts) so that each test decides which view
 * progresses when; everything downstream of it (hub, retention logs, HTTP and WebSocket server on
 * port 0) is the real code. The real engine is covered by subscribe-protocol.test.ts.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Engine, SubscribeListener, SubscribeRow, ViewInfo } from '../src/engine/types.js';
import { Multiset } from '../src/core/multiset.js';
import { Hub } from '../src/hub/hub.js';
import type { Moment } from '../src/hub/moment.js';
import { startServer, type RunningServer } from '../src/server/http-server.js';
import { MuxClient } from './support/mux-client.js';

class FakeEngine implements Engine {
  readonly views: ViewInfo[] = [
    { name: 'a', columns: [{ name: 'x', type: 'text' }] },
    { name: 'b', columns: [{ name: 'y', type: 'bigint' }] },
  ];
  private readonly listeners = new Map<string, SubscribeListener>();

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  subscribe(view: string, _options: unknown, listener: SubscribeListener): { close(): void } {
    this.listeners.set(view, listener);
    return { close: () => this.listeners.delete(view) };
  }

  /** Sends `view` the changes at `timestamp` and a progress row just after them. */
  step(view: string, timestamp: number, changes: Array<[unknown[], number]> = []): void {
    const rows: SubscribeRow[] = changes.map(([row, diff]) => ({ progressed: false, timestamp, diff, row }));
    rows.push({ progressed: true, timestamp: timestamp + 1 });
    this.listeners.get(view)?.(rows);
  }

  open(view: string, timestamp: number, rows: unknown[][]): void {
    this.listeners.get(view)?.([{ progressed: true, timestamp }]);
    this.step(
      view,
      timestamp,
      rows.map((row) => [row, 1]),
    );
  }
}

describe(
  'hub moments from views that progress at different paces (fake engine)',
  { timeout: 300_000 },
  () => {
    let engine: FakeEngine;
    let hub: Hub;
    const moments: Moment[] = [];

    before(async () => {
      engine = new FakeEngine();
      hub = new Hub(engine, { retention: { batches: 3, bytes: 1 << 20 } });
      const started = hub.start();
      engine.open('a', 10, [['p']]);
      engine.open('b', 10, [[1]]);
      await started;
      hub.onMoment((m) => moments.push(m));
    });

    it("holds a view's batch until every view has progressed past its timestamp", () => {
      engine.step('a', 11, [[['q'], 1]]);
      assert.equal(moments.length, 0, 'b has not reached 11 yet');
      assert.equal(hub.timestamp, 10);
      engine.step('b', 12, [[[2], 1]]);
      assert.deepEqual(
        moments.map((m) => [m.timestamp, m.changed.map((b) => b.view)]),
        [[11, ['a']]],
      );
      engine.step('a', 12, [[['r'], 1]]);
      assert.deepEqual(
        moments.map((m) => [m.timestamp, m.changed.map((b) => b.view)]),
        [
          [11, ['a']],
          [12, ['a', 'b']],
        ],
      );
      assert.equal(hub.timestamp, 12);
      assert.deepEqual(hub.require('a').rows.rows(), [['p'], ['q'], ['r']]);
    });

    it('builds one frame per combination of views, from the same fragments', () => {
      const moment = moments[1] as Moment;
      const both = moment.frameFor(new Set(['a', 'b']));
      assert.equal(both, moment.frameFor(new Set(['b', 'a'])), 'cached: the very same bytes');
      assert.deepEqual(JSON.parse(String(both)), {
        type: 'batch',
        timestamp: 12,
        views: { a: { inserted: [['r']], deleted: [] }, b: { inserted: [[2]], deleted: [] } },
      });
      assert.equal(moment.frameFor(new Set(['c'])), null);
    });

    it('keeps at most the configured batches and moves the horizon past dropped ones', () => {
      for (let t = 13; t <= 16; t++) {
        engine.step('a', t, [[[`s${t}`], 1]]);
        engine.step('b', t);
      }
      const log = hub.require('a').retained;
      assert.equal(log?.length, 3);
      assert.equal(log?.horizon, 13);
      assert.deepEqual(
        log?.since(13)?.map((b) => b.timestamp),
        [14, 15, 16],
      );
      assert.equal(log?.since(12), null);
    });

    it('plans a catch-up as one net diff, or a snapshot when that is smaller or not retained', () => {
      const a = hub.require('a');
      assert.deepEqual(a.catchUp(16), { kind: 'current' });
      const plan = a.catchUp(14);
      assert.equal(plan.kind, 'diff');
      assert.deepEqual(plan.kind === 'diff' && JSON.parse(plan.fragment), {
        inserted: [['s15'], ['s16']],
        deleted: [],
      });
      assert.deepEqual(a.catchUp(11), { kind: 'snapshot', reason: 'since-not-retained' });
      assert.deepEqual(a.catchUp(99), { kind: 'snapshot', reason: 'since-ahead' });
      engine.step('a', 17, [
        [['p'], -1],
        [['q'], -1],
        [['r'], -1],
        [['s13'], -1],
        [['s14'], -1],
        [['s15'], -1],
      ]);
      engine.step('b', 17);
      assert.deepEqual(
        a.catchUp(15),
        { kind: 'snapshot', reason: 'behind' },
        'one row left: the snapshot is smaller',
      );
    });
  },
);

describe('connection limit and heartbeat (fake engine, real server)', { timeout: 300_000 }, () => {
  let server: RunningServer;
  let hub: Hub;

  before(async () => {
    const engine = new FakeEngine();
    hub = new Hub(engine);
    const started = hub.start();
    engine.open('a', 1, []);
    engine.open('b', 1, []);
    await started;
    server = await startServer(
      { hub, status: () => ({}), options: { maxConnections: 1, heartbeatMs: 50 } },
      '127.0.0.1',
      0,
    );
  });

  after(async () => {
    await server?.close();
    hub?.close();
  });

  it('closes a socket over the connection limit with 1008 and a reason, and answers SSE with 503', async () => {
    const first = await MuxClient.open(server.url);
    const second = await MuxClient.open(server.url).catch((error: unknown) => error);
    assert.ok(second instanceof Error);
    const late = new (await import('ws')).default(`${server.url.replace('http', 'ws')}/api/subscribe`);
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      late.on('close', (c, r) => resolve([c, String(r)])),
    );
    assert.equal(code, 1008);
    assert.match(reason, /too many connections \(--max-connections 1\)/);
    const sse = await fetch(`${server.url}/api/sse/a`);
    assert.equal(sse.status, 503);
    assert.match(await sse.text(), /TOO_MANY_CONNECTIONS/);
    first.close();
  });

  it('terminates a socket that stops answering pings', async () => {
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (server.fanout.counters.connections.subscribe === 0) resolve();
        else setImmediate(check);
      };
      check();
    });
    // A raw TCP client that completes the upgrade and then never answers a ping, like a peer
    // whose network vanished.
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    socket.write(
      'GET /api/subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    await new Promise((resolve) => socket.once('data', resolve));
    await new Promise((resolve) => socket.once('close', resolve));
    assert.equal(server.heartbeat.terminated, 1);
  });
});

describe(
  'resume where one view is still in the log and another is not (fake engine, real server)',
  { timeout: 300_000 },
  () => {
    let server: RunningServer;
    let hub: Hub;
    let engine: FakeEngine;

    before(async () => {
      engine = new FakeEngine();
      hub = new Hub(engine, { retention: { batches: 2, bytes: 1 << 20 } });
      const started = hub.start();
      engine.open('a', 1, []);
      engine.open('b', 1, []);
      await started;
      server = await startServer({ hub, status: () => ({}) }, '127.0.0.1', 0);
      // a changes at every timestamp (its log keeps 4 and 5), b only at 3.
      for (let t = 2; t <= 5; t++) {
        engine.step('a', t, [[[`a${t}`], 1]]);
        engine.step('b', t, t === 3 ? [[[3], 1]] : []);
      }
    });

    after(async () => {
      await server?.close();
      hub?.close();
    });

    it('replays b, resets a, then says at once that b is at the reset moment too', async () => {
      const client = await MuxClient.open(server.url);
      client.views.set('b', { rows: new Multiset(), timestamp: 2 });
      client.subscribe(['a', 'b'], 2);
      await client.until(() => client.frames.some((f) => f.type === 'progress'));
      assert.deepEqual(
        client.frames.slice(1).map((f) => [f.type, f.timestamp, f.view ?? null]),
        [
          ['batch', 3, null],
          ['reset', 5, 'a'],
          ['progress', 5, null],
        ],
      );
      assert.deepEqual(client.rows('a'), [['a2'], ['a3'], ['a4'], ['a5']]);
      assert.deepEqual(client.rows('b'), [[3]]);
      client.close();
    });
  },
);
