/**
 * One view never stops the others: the hub carries a view's errors as data and reports
 * its status; a view that stops progressing is reported stuck after a bound and the others' moments
 * go on; it catches up when it comes back; a listener that throws is isolated; start-up gives up
 * naming the views without a snapshot; held moments are bounded. Fake engine, manual clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hub, type ViewStatus } from '../src/hub/hub.js';
import type { Moment } from '../src/hub/moment.js';
import { manualClock } from './support/clock.js';
import { FakeEngine, recordingLog } from './support/fake-engine.js';

const DIVISION = { view: 'ratio', sqlstate: '22012', message: 'division by zero', value: '3' };

async function started(names: string[], options: { maxHeldMoments?: number } = {}) {
  const engine = new FakeEngine(names);
  const clock = manualClock();
  const log = recordingLog();
  const hub = new Hub(engine, { clock, log, stuckAfterMs: 10_000, ...options });
  const starting = hub.start();
  for (const name of names) engine.open(name, 10, [[`${name}0`]]);
  await starting;
  const moments: Moment[] = [];
  hub.onMoment((m) => moments.push(m));
  const timeline = (): Array<[number, string[]]> =>
    moments.map((m) => [m.timestamp, m.changed.map((b) => b.view)]);
  return { engine, clock, log, hub, moments, timeline };
}

describe('hub: errors are data, stuck views, isolated listeners', { timeout: 30_000 }, () => {
  it("carries a view's errors to its status, and clears them when the engine says so", async () => {
    const { engine, hub } = await started(['counter', 'ratio']);
    const seen: Array<[string, ViewStatus['state']]> = [];
    hub.onStatus((view, status) => seen.push([view, status.state]));
    engine.step('ratio', 11, [], [DIVISION]);
    engine.step('counter', 11, [[['c1'], 1]]);
    assert.deepEqual(hub.status('ratio'), {
      state: 'error',
      code: 'VIEWCAST_VIEW_ERROR',
      errors: [DIVISION],
    });
    assert.deepEqual(hub.status('counter'), { state: 'ok' });
    assert.deepEqual(Object.keys(hub.statuses()), ['counter', 'ratio']);
    assert.equal(hub.channel('counter')?.timestamp, 11, 'the other view goes on');
    engine.step('ratio', 12, [], []);
    engine.step('counter', 12);
    assert.deepEqual(hub.status('ratio'), { state: 'ok' });
    assert.deepEqual(seen, [
      ['ratio', 'error'],
      ['ratio', 'ok'],
    ]);
  });

  it('reports a silent view stuck after the bound; the others keep publishing moments', async () => {
    const { engine, clock, hub, timeline, log } = await started(['a', 'b']);
    engine.step('a', 11, [[['a1'], 1]]);
    assert.deepEqual(timeline(), [], 'b has not reached 11: the moment is held');
    clock.advance(9_000);
    engine.step('a', 12, [[['a2'], 1]]);
    assert.equal(hub.status('b')?.state, 'ok', 'within the bound b still holds moments back');
    assert.deepEqual(timeline(), []);
    clock.advance(4_000); // the watchdog looks every quarter of the bound
    assert.deepEqual(hub.status('b'), { state: 'stuck', since: 0, timestamp: 10 });
    assert.deepEqual(timeline(), [
      [11, ['a']],
      [12, ['a']],
    ]);
    assert.ok(log.lines.some((l) => l.includes('views b delivered nothing for 10000 ms')));
    engine.step('a', 13, [[['a3'], 1]]);
    assert.deepEqual(timeline().at(-1), [13, ['a']], 'moments flow without b');
    assert.equal(hub.channel('b')?.timestamp, 10, "b's state stays at the last timestamp it reached");
  });

  it('catches a stuck view up with one net diff when it comes back, then holds moments for it again', async () => {
    const { engine, clock, hub, timeline } = await started(['a', 'b']);
    clock.advance(6_000);
    engine.step('a', 11);
    engine.step('a', 12);
    clock.advance(7_000);
    engine.step('a', 13, [[['a3'], 1]]);
    assert.equal(hub.status('b')?.state, 'stuck');
    // b comes back with changes at timestamps already published: they wait for its next batch.
    engine.step('b', 11, [[['b1'], 1]]);
    engine.step('b', 12, [
      [['b1'], -1],
      [['b2'], 1],
    ]);
    assert.equal(hub.channel('b')?.timestamp, 10);
    engine.step('b', 14, [[['b4'], 1]]);
    assert.deepEqual(hub.status('b'), { state: 'ok' });
    engine.step('a', 14);
    assert.deepEqual(timeline().at(-1), [14, ['b']]);
    const last = hub.channel('b');
    assert.deepEqual(last?.rows.rows().sort(), [['b0'], ['b2'], ['b4']]);
    engine.step('a', 15, [[['a5'], 1]]);
    assert.deepEqual(timeline().at(-1), [14, ['b']], 'b holds moments back again');
    engine.step('b', 15);
    assert.deepEqual(timeline().at(-1), [15, ['a']]);
  });

  it('reports every view stuck when the whole engine is silent, but releases none: they come back together', async () => {
    const { engine, clock, hub, timeline } = await started(['a', 'b']);
    clock.advance(15_000);
    assert.equal(hub.status('a')?.state, 'stuck');
    assert.equal(hub.status('b')?.state, 'stuck');
    engine.step('a', 11, [[['a1'], 1]]);
    assert.deepEqual(hub.status('a'), { state: 'ok' });
    assert.deepEqual(timeline(), [], 'b still holds the moment: it was never released');
    engine.step('b', 11, [[['b1'], 1]]);
    assert.deepEqual(timeline(), [[11, ['a', 'b']]]);
  });

  it('bounds held moments: the view holding them back is released', async () => {
    const { engine, hub, timeline } = await started(['a', 'b'], { maxHeldMoments: 3 });
    for (let t = 11; t <= 14; t++) engine.step('a', t, [[[`a${t}`], 1]]);
    assert.equal(hub.status('b')?.state, 'stuck');
    assert.equal(hub.heldMoments, 0);
    assert.deepEqual(
      timeline().map(([t]) => t),
      [11, 12, 13, 14],
    );
  });

  it('isolates a moment or status listener that throws, and logs it once by name', async () => {
    const { engine, hub, log, moments } = await started(['a', 'b']);
    hub.onMoment(function brokenSession() {
      throw new Error('socket exploded');
    });
    const after: number[] = [];
    hub.onMoment((m) => after.push(m.timestamp));
    hub.onStatus(function brokenFeed() {
      throw new Error('feed exploded');
    });
    for (const t of [11, 12]) {
      engine.step('a', t, [[[`a${t}`], 1]], t === 11 ? [{ ...DIVISION, view: 'a' }] : []);
      engine.step('b', t);
    }
    assert.deepEqual(after, [11, 12]);
    assert.equal(moments.length, 2);
    assert.equal(log.lines.filter((l) => l.includes('brokenSession')).length, 1);
    assert.equal(log.lines.filter((l) => l.includes('brokenFeed')).length, 1);
    const channel = hub.channel('a');
    channel?.listen(function brokenSocket() {
      throw new Error('boom');
    });
    engine.step('a', 13, [[['a13'], 1]]);
    engine.step('b', 13);
    assert.deepEqual(after.at(-1), 13);
  });

  it('start-up gives up after its timeout with an error naming the views that sent no snapshot', async () => {
    const engine = new FakeEngine(['a', 'b', 'c']);
    const clock = manualClock();
    const hub = new Hub(engine, { clock, log: recordingLog(), startTimeoutMs: 5_000 });
    const starting = hub.start();
    engine.open('a', 10, [['a0']]);
    clock.advance(5_000);
    await assert.rejects(starting, (error: Error & { code?: string }) => {
      assert.equal(error.code, 'VIEWCAST_START_TIMEOUT');
      assert.match(error.message, /views b, c delivered no snapshot within 5000 ms/);
      return true;
    });
    hub.close();
  });

  it('reports a lost subscription as reconnecting and a fatal one as an error that releases the view', async () => {
    const { engine, hub, timeline, log } = await started(['a', 'b']);
    const lost = Object.assign(new Error('Connection terminated'), {});
    engine.options.get('b')?.onInterrupted?.({ fatal: false, error: lost });
    assert.deepEqual(hub.status('b'), { state: 'reconnecting', reason: 'Connection terminated' });
    engine.step('b', 11);
    assert.deepEqual(hub.status('b'), { state: 'ok' });
    const { ViewcastError } = await import('../src/core/errors.js');
    const schema = new ViewcastError('VIEWCAST_REMOTE_SCHEMA', 'view b on the remote now has columns (y)');
    engine.options.get('b')?.onInterrupted?.({ fatal: true, error: schema });
    const status = hub.status('b');
    assert.equal(status?.state, 'error');
    assert.equal(status?.state === 'error' && status.code, 'VIEWCAST_REMOTE_SCHEMA');
    assert.ok(log.lines.some((l) => l.startsWith('error view b') && l.includes('VIEWCAST_REMOTE_SCHEMA')));
    engine.step('a', 11);
    engine.step('a', 12, [[['a12'], 1]]);
    assert.deepEqual(timeline().at(-1), [12, ['a']], 'a failed view does not hold the others back');
  });
});
