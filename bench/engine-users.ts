/**
 * Per-event cost against history: ingest throughput through the wikirecent views when user_edits
 * already holds 10,000 and 1,000,000 distinct users (--quick: 10,000 and 100,000). Every measured
 * event goes to a random existing user, the worst case for the views: nearly every event of a
 * transaction changes a different row of user_edits, and top10 is read through its index. The
 * baseline is the 10,000-user figure of the same run; the goal is a flat cost (ratio near 1).
 */
import type { EmbeddedEngine } from '../src/engine/embedded/engine.js';
import { cpuMs, startEngine } from './support/recording.js';
import { fmt, loadAverage, log, printTable } from './support/stats.js';
import { printResult, type Scenario } from './result.js';

const BATCH = 1000;

async function prefill(engine: EmbeddedEngine, users: number): Promise<void> {
  const chunk = 20_000;
  for (let i = 0; i < users; i += chunk) {
    const n = Math.min(chunk, users - i);
    await engine.ingest(
      Array.from({ length: n }, (_, j) => ({ user: `user-${i + j}` })),
      {},
    );
  }
}

async function measure(users: number, events: number): Promise<{ wall: number; cpu: number }> {
  const engine = await startEngine();
  try {
    const filled = performance.now();
    await prefill(engine, users);
    log(`  ${fmt(users, 0)} users: prefilled in ${fmt((performance.now() - filled) / 1000)} s`);
    let seed = 1;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const batches = Array.from({ length: events / BATCH }, () =>
      Array.from({ length: BATCH }, () => ({ user: `user-${Math.floor(random() * users)}` })),
    );
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    for (const batch of batches) await engine.ingest(batch, {});
    const wallMs = performance.now() - start;
    return { wall: (events / wallMs) * 1000, cpu: (events / cpuMs(cpu0)) * 1000 };
  } finally {
    await engine.close();
  }
}

const scenario: Scenario = async ({ quick }) => {
  const sizes = quick ? [10_000, 100_000] : [10_000, 1_000_000];
  const events = quick ? 10_000 : 30_000;
  log(
    `${fmt(events, 0)} events in transactions of ${BATCH}, each to a random existing user; load ${loadAverage()}`,
  );
  const results = [];
  for (const users of sizes) results.push({ users, ...(await measure(users, events)) });
  printTable(
    ['distinct users', 'events/s (wall)', 'events/s per CPU-second'],
    results.map((r) => [fmt(r.users, 0), fmt(r.wall, 0), fmt(r.cpu, 0)]),
  );
  const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
  printResult({
    scenario: 'engine-users',
    metric: `events/s per CPU-second with ${fmt(large.users, 0)} distinct users`,
    value: Math.round(large.cpu),
    unit: 'events/s',
    baseline: Math.round(small.cpu),
    ratio: Number((large.cpu / small.cpu).toFixed(2)),
    goal: 'flat: >= 0.8x the 10,000-user figure',
  });
};

export default scenario;
