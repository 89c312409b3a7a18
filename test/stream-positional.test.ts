/**
 * The positional `/api/stream` format: real `ws` clients that connect at different moments (before
 * any batch, after some, after progress without data) decode the frames with the shared decoder and
 * end with exactly the rows and timestamp of `GET /api/views/:view`; the seed format stays the
 * default; a one-row change costs about half the seed's bytes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { Multiset } from '../src/core/multiset.js';
import { decodePositionalFrame, type PositionalFrame } from '../src/core/wire-protocol.js';
import { Hub } from '../src/hub/hub.js';
import { startServer, type RunningServer } from '../src/server/http-server.js';
import { FakeEngine } from './support/fake-engine.js';

/** A client of one view: the state it has rebuilt, and a way to wait until it reaches a timestamp. */
class Follower {
  readonly rows = new Multiset();
  timestamp: number | null = null;
  readonly sizes: number[] = [];
  private base: number | null = null;
  private readonly waiters: Array<() => void> = [];
  readonly socket: WebSocket;

  constructor(url: string, positional: boolean) {
    const suffix = positional ? '?format=positional' : '';
    this.socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/stream/a${suffix}`);
    this.socket.on('message', (data: Buffer) => {
      this.sizes.push(data.length);
      const parsed = JSON.parse(data.toString()) as unknown;
      let message: { inserted: unknown[][]; deleted: unknown[][]; timestamp: number };
      if (positional) {
        const decoded = decodePositionalFrame(parsed as PositionalFrame, this.base);
        this.base = decoded.base;
        message = decoded.message;
      } else message = parsed as typeof message;
      for (const row of message.deleted) this.rows.apply(row, -1);
      for (const row of message.inserted) this.rows.apply(row, 1);
      this.timestamp = message.timestamp;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  async reach(timestamp: number): Promise<void> {
    while (this.timestamp === null || this.timestamp < timestamp)
      await new Promise<void>((wake) => this.waiters.push(wake));
  }
}

describe('positional /api/stream frames', { timeout: 60_000 }, () => {
  let engine: FakeEngine;
  let hub: Hub;
  let server: RunningServer;

  before(async () => {
    engine = new FakeEngine(['a']);
    hub = new Hub(engine);
    const started = hub.start();
    engine.open('a', 100, [['p'], ['q']]);
    await started;
    server = await startServer({ hub, status: () => ({}) }, '127.0.0.1', 0);
  });

  after(async () => {
    await server?.close();
    hub?.close();
  });

  it('rebuilds the exact rows and timestamps, whenever a client joins', async () => {
    const early = new Follower(server.url, true);
    const seed = new Follower(server.url, false);
    await early.reach(100);
    await seed.reach(100);
    engine.step('a', 110, [[['r'], 2]]);
    engine.step('a', 125, [
      [['p'], -1],
      [['s'], 1],
    ]);
    await early.reach(125);
    // Progress without data moves the view's timestamp but not the base deltas count from.
    engine.step('a', 140);
    const late = new Follower(server.url, true);
    await late.reach(140);
    engine.step('a', 141, [[['q'], -1]]);
    engine.step('a', 1000, [[['r'], -1]]);
    for (const follower of [early, late, seed]) await follower.reach(1000);
    const response = await fetch(`${server.url}/api/views/a`);
    const truth = (await response.json()) as { timestamp: number; rows: unknown[][] };
    const expected = new Multiset();
    for (const row of truth.rows) expected.apply(row, 1);
    for (const follower of [early, late, seed]) {
      assert.deepEqual(follower.rows.rows().sort(), expected.rows().sort());
      assert.equal(follower.timestamp, 1000);
    }
    assert.ok(truth.timestamp >= 1000);
    // The last one-row change: positional about half the seed's bytes.
    const positionalLast = early.sizes.at(-1) ?? 0;
    const seedLast = seed.sizes.at(-1) ?? 0;
    assert.ok(
      positionalLast * 2 < seedLast + 8,
      `${positionalLast} positional bytes, ${seedLast} seed bytes`,
    );
    for (const follower of [early, late, seed]) follower.socket.close();
  });
});
