/**
 * CPU per moment of a `SUBSCRIBE (SELECT ...)` over a served view: maintained on the delta path
 * (hub/query-channels.ts) against the baseline of re-evaluating it in the PGlite query worker after
 * every changed moment (pgwire/query-views.ts, what queries the delta path does not maintain get).
 * A served view `user_edits` ("user", count) of `--users` rows; each moment, `--changed` users edit
 * once (their row is retracted and inserted with count + 1). CPU is the whole process's (worker
 * threads included), per moment, after the query caught up with the moment.
 */
import type { Engine, SubscribeListener, SubscribeRow, ViewInfo } from '../src/engine/types.js';
import { Hub } from '../src/hub/hub.js';
import { queryChannels } from '../src/hub/query-channels.js';
import type { ViewChannel } from '../src/hub/view-channel.js';
import { PG_DEFAULTS } from '../src/pgwire/pg-options.js';
import { analyzeQuery } from '../src/pgwire/query-analysis.js';
import { loadSqlParser } from '../src/sql/parse-sql.js';
import { QueryService } from '../src/pgwire/query-service.js';
import { ReevaluatedQueries } from '../src/pgwire/query-views.js';
import { printResult, type ScenarioContext } from './result.js';
import { fmt, log, ratio } from './support/stats.js';

const QUERIES = [
  `SELECT count(*) FROM user_edits WHERE count > 10`,
  `SELECT * FROM user_edits WHERE "user" LIKE 'A%'`,
];

class OneViewEngine implements Engine {
  readonly views: ViewInfo[] = [
    {
      name: 'user_edits',
      columns: [
        { name: 'user', type: 'text' },
        { name: 'count', type: 'bigint' },
      ],
      path: 'delta',
    },
  ];
  private listener: SubscribeListener | null = null;
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  subscribe(_view: string, _options: unknown, listener: SubscribeListener): { close(): void } {
    this.listener = listener;
    return { close: () => (this.listener = null) };
  }
  step(timestamp: number, changes: Array<[unknown[], number]>): void {
    const rows: SubscribeRow[] = changes.map(([row, diff]) => ({ progressed: false, timestamp, diff, row }));
    rows.push({ progressed: true, timestamp: timestamp + 1 });
    this.listener?.(rows);
  }
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function userName(i: number): string {
  return `${String.fromCharCode(65 + (i % 26))}user${i}`;
}

function reached(channel: ViewChannel, timestamp: number): Promise<void> {
  return new Promise((resolve) => {
    if ((channel.timestamp ?? 0) >= timestamp) return resolve();
    const stop = channel.listenProgress((t) => {
      if (t < timestamp) return;
      stop();
      resolve();
    });
  });
}

async function run(
  path: 'delta' | 'pglite',
  users: number,
  changed: number,
  moments: number,
): Promise<{ cpuMsPerMoment: number; wallMsPerMoment: number }> {
  await loadSqlParser();
  const engine = new OneViewEngine();
  const hub = new Hub(engine, { log: quiet });
  const started = hub.start();
  const counts = Array.from({ length: users }, (_, i) => i % 20);
  engine.step(
    1,
    counts.map((c, i): [unknown[], number] => [[userName(i), c], 1]),
  );
  await started;
  const service = new QueryService(hub, { ...PG_DEFAULTS, statementTimeoutMs: 600_000 }, null);
  const reevaluated = new ReevaluatedQueries(hub, service, (e) => log(`error: ${String(e)}`));
  const channels: ViewChannel[] = [];
  const releases: Array<() => void> = [];
  for (const sql of QUERIES) {
    if (path === 'delta') {
      const q = queryChannels(hub).acquire(sql);
      channels.push(q.channel);
      releases.push(q.release);
    } else {
      const q = await reevaluated.acquire(analyzeQuery(sql, hub.viewNames));
      channels.push(q.channel);
      releases.push(q.release);
    }
  }
  let seed = 1;
  const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let m = 0; m < moments; m++) {
    const timestamp = 2 + m;
    const changes: Array<[unknown[], number]> = [];
    for (let k = 0; k < changed; k++) {
      const i = Math.floor(random() * users);
      const before = counts[i] ?? 0;
      changes.push([[userName(i), before], -1], [[userName(i), before + 1], 1]);
      counts[i] = before + 1;
    }
    engine.step(timestamp, changes);
    for (const channel of channels) await reached(channel, timestamp);
  }
  const used = process.cpuUsage(cpu);
  const elapsed = performance.now() - wall;
  for (const release of releases) release();
  hub.close();
  await service.close();
  return { cpuMsPerMoment: (used.user + used.system) / 1000 / moments, wallMsPerMoment: elapsed / moments };
}

export default async function subscribeQuery(context: ScenarioContext): Promise<void> {
  const users = context.quick ? 2000 : 10_000;
  const changed = 10;
  const moments = context.quick ? 30 : 100;
  log(`queries: ${QUERIES.join(' ; ')}`);
  log(`user_edits of ${users} rows; ${moments} moments of ${changed} changed users each`);
  // Warm both paths (PGlite's worker start, the planner's first compile) outside the measurement.
  await run('pglite', 100, 1, 2);
  await run('delta', 100, 1, 2);
  const pglite = await run('pglite', users, changed, moments);
  log(
    `baseline, re-evaluated in PGlite: ${fmt(pglite.cpuMsPerMoment)} ms CPU, ${fmt(pglite.wallMsPerMoment)} ms wall per moment`,
  );
  const delta = await run('delta', users, changed, moments);
  log(`delta path: ${fmt(delta.cpuMsPerMoment)} ms CPU, ${fmt(delta.wallMsPerMoment)} ms wall per moment`);
  const exact = delta.cpuMsPerMoment / pglite.cpuMsPerMoment;
  log(`delta path: ${fmt(exact, 4)}x the CPU of re-evaluation (${fmt(1 / exact, 0)} times less)`);
  printResult({
    scenario: 'subscribe-query',
    metric: 'CPU per moment, two queries over user_edits',
    value: delta.cpuMsPerMoment,
    unit: 'ms',
    baseline: pglite.cpuMsPerMoment,
    ratio:
      ratio(delta.cpuMsPerMoment, pglite.cpuMsPerMoment) === 0
        ? exact
        : ratio(delta.cpuMsPerMoment, pglite.cpuMsPerMoment),
    goal: '< 0.1x re-evaluation in PGlite',
  });
}
