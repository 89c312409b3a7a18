/**
 * Subscribe frames: the server-side cost of one engine timestamp for many `/api/subscribe` clients,
 * in process and without a network (sinks only count bytes), so that it isolates what the hub and
 * the fan-out do per moment: apply, encode, pick frames. Baseline in the same run: the same hub,
 * with each client's batch frame serialized for that client (JSON.stringify + encode per client),
 * which is what a server without shared fragments does.
 *
 * The engine is a small in-process stand-in that emits fixed SUBSCRIBE rows (counter: 1 row,
 * top10: 2 rows, user_edits: 20 rows changed per timestamp), because the embedded engine's own
 * speed is measured by engine-throughput.
 */
import { performance } from 'node:perf_hooks';
import type { Engine, SubscribeListener, SubscribeRow, ViewInfo } from '../src/engine/types.js';
import { Hub } from '../src/hub/hub.js';
import { toStreamMessage } from '../src/hub/wire.js';
import { Fanout } from '../src/server/fanout.js';
import { SERVER_DEFAULTS } from '../src/server/server-options.js';
import { printResult, type ScenarioContext } from './result.js';
import { fmt, log, printTable, ratio } from './support/stats.js';

const VIEWS = ['counter', 'top10', 'user_edits'];

class SteppingEngine implements Engine {
  readonly views: ViewInfo[] = VIEWS.map((name) => ({ name, columns: [{ name: 'c', type: 'text' }] }));
  private readonly listeners = new Map<string, SubscribeListener>();
  private t = 1;
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  subscribe(view: string, _o: unknown, listener: SubscribeListener): { close(): void } {
    this.listeners.set(view, listener);
    listener([
      { progressed: true, timestamp: 0 },
      { progressed: true, timestamp: 1 },
    ]);
    return { close: () => undefined };
  }
  /** One timestamp: every view changes, like a transaction of edits by new and known users. */
  step(): void {
    const t = this.t++;
    const data = (row: unknown[], diff: number): SubscribeRow => ({
      progressed: false,
      timestamp: t,
      diff,
      row,
    });
    const rows: Record<string, SubscribeRow[]> = {
      counter: [data([t], 1), data([t - 1], -1)],
      top10: [data([`user-${t}`, t], 1), data([`user-${t - 1}`, t - 1], -1)],
      user_edits: Array.from({ length: 20 }, (_, i) => data([`editor-${t}-${i}`, i + 1], 1)),
    };
    for (const [view, listener] of this.listeners)
      listener([...(rows[view] ?? []), { progressed: true, timestamp: t + 1 }]);
  }
}

interface Measured {
  msPerMoment: number;
  bytesPerMoment: number;
}

async function run(clients: number, moments: number, perClient: boolean): Promise<Measured> {
  const engine = new SteppingEngine();
  const hub = new Hub(engine);
  await hub.start();
  let bytes = 0;
  const subsets = [new Set(['counter', 'top10']), new Set(VIEWS)];
  if (perClient) {
    hub.onMoment((moment) => {
      for (let i = 0; i < clients; i++) {
        const views: Record<string, unknown> = {};
        for (const batch of moment.changed) {
          if (!subsets[i % 2]?.has(batch.view)) continue;
          const { inserted, deleted } = toStreamMessage(batch.changes, batch.timestamp);
          views[batch.view] = { inserted, deleted };
        }
        bytes += Buffer.from(JSON.stringify({ type: 'batch', timestamp: moment.timestamp, views })).length;
      }
    });
  } else {
    const fanout = new Fanout(hub, { ...SERVER_DEFAULTS, progressMs: 3_600_000 });
    for (let i = 0; i < clients; i++) {
      const session = fanout.createSession('subscribe', {
        send: (_kind, frame) => (bytes += frame.length),
        close: () => undefined,
        buffered: 0,
      });
      session.subscribe([...(subsets[i % 2] ?? [])], null);
    }
    bytes = 0;
  }
  for (let i = 0; i < 50; i++) engine.step(); // warm up
  bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < moments; i++) engine.step();
  const elapsed = performance.now() - t0;
  hub.close();
  return { msPerMoment: elapsed / moments, bytesPerMoment: bytes / moments };
}

export default async function subscribeFrames({ quick }: ScenarioContext): Promise<void> {
  const clients = quick ? 2000 : 10_000;
  const moments = quick ? 200 : 1000;
  log(
    `${clients} clients on /api/subscribe (half counter+top10, half all three views), ${moments} timestamps, no network`,
  );
  const ours = await run(clients, moments, false);
  const base = await run(clients, moments, true);
  printTable(
    ['server side', 'ms per timestamp', 'bytes per timestamp'],
    [
      ['viewcast (fragments, frames shared)', fmt(ours.msPerMoment, 3), fmt(ours.bytesPerMoment, 0)],
      ['baseline (serialize per client)', fmt(base.msPerMoment, 3), fmt(base.bytesPerMoment, 0)],
    ],
  );
  printResult({
    scenario: 'subscribe-frames',
    metric: `server CPU per engine timestamp for ${clients} /api/subscribe clients, no network`,
    value: Math.round(ours.msPerMoment * 1000) / 1000,
    unit: 'ms',
    baseline: Math.round(base.msPerMoment * 1000) / 1000,
    ratio: ratio(ours.msPerMoment, base.msPerMoment),
    goal: '< 1x the per-client serialization baseline',
  });
}
