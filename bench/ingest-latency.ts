/**
 * Ingest to browser: from an event's arrival at the source to the receipt, by each of 100 WebSocket
 * clients, of the first `counter` batch that includes it; at 50, 500 and 5,000 events/s. The
 * baseline is the floor without an engine: a raw `ws` server that broadcasts a counter frame for
 * the events of each timer wake-up. Then the highest rate whose backlog stays flat.
 *
 * The source runs inside the server process and hands events to the same ingest pipeline a live
 * source uses; an event's arrival is the moment it was due (see bench/servers/pacer.ts). `counter`
 * changes with every event, and events are applied in order, so a count of C tells a client that
 * every event up to the C-th is in.
 */
import { LoadGenerator } from './load/load.js';
import { ControlledProcess, nodeScript, pinningNote, SERVER_CPU, stopAll } from './support/processes.js';
import { printResult, type ScenarioContext } from './result.js';
import { fmt, loadAverage, log, printTable, ratio } from './support/stats.js';

const CLIENTS = 100;

interface LatencyRun {
  server: string;
  rate: number;
  events: number;
  /** viewcast: transactions, and the engine's time per transaction. */
  commits: { transactions: number; p50: number; p99: number } | null;
  p50: number;
  p99: number;
  max: number;
  complete: boolean;
}

async function latencyRuns(
  name: string,
  server: ControlledProcess,
  url: string,
  rates: number[],
  durationMs: number,
): Promise<LatencyRun[]> {
  const load = await LoadGenerator.start({
    url: `${url.replace(/^http/, 'ws')}/api/stream/counter`,
    clients: CLIENTS,
    mode: 'counter',
  });
  const runs: LatencyRun[] = [];
  try {
    for (const rate of rates) {
      if (name === 'viewcast') await server.request({ cmd: 'commits' }, 'commits'); // resets them
      await load.startRecording();
      const driven = await server.request(
        { cmd: 'drive-counter', rate, durationMs },
        'driven',
        durationMs + 60_000,
      );
      const base = Number(driven['base']);
      const arrivals = driven['arrivals'] as number[];
      const complete = await load.awaitCount(base + arrivals.length, 30_000);
      await load.stopRecording();
      const report = await load.counterLatency(base, arrivals);
      const commits = name === 'viewcast' ? await server.request({ cmd: 'commits' }, 'commits') : null;
      runs.push({
        server: name,
        rate,
        events: arrivals.length,
        commits: commits
          ? {
              transactions: Number(commits['transactions']),
              p50: Number(commits['p50']),
              p99: Number(commits['p99']),
            }
          : null,
        p50: report.histogram.percentile(0.5),
        p99: report.histogram.percentile(0.99),
        max: report.histogram.max,
        complete,
      });
      log(
        `  ${name} at ${rate} events/s: p50 ${fmt(report.histogram.percentile(0.5), 2)} ms, p99 ${fmt(report.histogram.percentile(0.99), 2)} ms`,
      );
    }
  } finally {
    await load.close();
  }
  return runs;
}

/** Least-squares slope of the backlog (events per second) over the second half of a trial. */
function backlogSlope(samples: Array<[number, number]>): number {
  const tail = samples.slice(Math.floor(samples.length / 2));
  if (tail.length < 2) return 0;
  const n = tail.length;
  const mx = tail.reduce((s, [t]) => s + t, 0) / n;
  const my = tail.reduce((s, [, b]) => s + b, 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, b] of tail) {
    num += (t - mx) * (b - my);
    den += (t - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 1000;
}

interface Trial {
  rate: number;
  seconds: number;
  slope: number;
  finalBacklog: number;
  flat: boolean;
}

/**
 * Flat: the backlog ends under a quarter second of events (or two full transactions, whichever is
 * more) and grows by less than 10% of the arrival rate per second. An engine that cannot keep up
 * grows it by the whole shortfall every second, which fails the first rule within a few seconds;
 * the slope rule catches a slow creep that a long hold would turn into a backlog.
 */
async function trial(server: ControlledProcess, rate: number, durationMs: number): Promise<Trial> {
  const driven = await server.request(
    { cmd: 'drive-counter', rate, durationMs, sampleMs: 200, keepArrivals: false },
    'driven',
    durationMs + 60_000,
  );
  const backlog = driven['backlog'] as Array<[number, number]>;
  const slope = backlogSlope(backlog);
  const finalBacklog = backlog[backlog.length - 1]?.[1] ?? 0;
  await server.request({ cmd: 'drain' }, 'drained', 300_000);
  const flat = slope < rate * 0.1 && finalBacklog < Math.max(2000, rate * 0.25);
  log(
    `  ${rate} events/s for ${durationMs / 1000} s: backlog slope ${fmt(slope, 0)} events/s, final backlog ${finalBacklog}: ${flat ? 'flat' : 'growing'}`,
  );
  return { rate, seconds: durationMs / 1000, slope, finalBacklog, flat };
}

async function highestFlatRate(server: ControlledProcess, quick: boolean): Promise<Trial[]> {
  const probeMs = quick ? 1500 : 4000;
  const holdMs = quick ? 6000 : 60_000;
  const trials: Trial[] = [];
  let ok = 0;
  let failed = 0;
  for (const rate of quick
    ? [2000, 8000, 16_000, 32_000]
    : [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000]) {
    const t = await trial(server, rate, probeMs);
    trials.push(t);
    if (!t.flat) {
      failed = rate;
      break;
    }
    ok = rate;
  }
  for (let i = 0; i < (quick ? 1 : 2) && failed > 0 && ok > 0; i++) {
    const mid = Math.round((ok + failed) / 2 / 100) * 100;
    const t = await trial(server, mid, probeMs);
    trials.push(t);
    if (t.flat) ok = mid;
    else failed = mid;
  }
  // A long hold can fail where a short probe passed (the input table grows by millions of rows). The
  // next hold then aims under what the engine did keep up with: the rate minus the backlog's growth.
  for (let hold = 0; hold < (quick ? 2 : 3) && ok > 0; hold++) {
    const t = await trial(server, ok, holdMs);
    trials.push(t);
    if (t.flat) break;
    ok = Math.max(100, Math.round(Math.min(ok * 0.9, (ok - t.slope) * 0.9) / 100) * 100);
  }
  return trials;
}

export default async function ingestLatency({ quick }: ScenarioContext): Promise<void> {
  const rates = [50, 500, 5000];
  const durationMs = quick ? 2000 : 15_000;
  log(
    `${CLIENTS} WebSocket clients on /api/stream/counter; ${rates.join(', ')} events/s for ${durationMs / 1000} s each`,
  );
  log(
    `source in the server process, events paced at a fixed rate into viewcast's ingest pipeline (default batching)`,
  );
  log(
    `latency: event due at the source -> receipt of the first counter frame that includes it, every client`,
  );
  log(`baseline: raw ws server broadcasting a counter frame per timer wake-up (no engine)`);
  log(`${pinningNote()}; load average ${loadAverage()}`);
  log('');
  const ours = nodeScript('viewcast', 'servers/viewcast.js', [], SERVER_CPU);
  const runs: LatencyRun[] = [];
  let trials: Trial[] = [];
  try {
    const { url } = await ours.next('ready', 120_000);
    await ours.request({ cmd: 'prefill', events: 2000 }, 'prefilled');
    runs.push(...(await latencyRuns('viewcast', ours, String(url), rates, durationMs)));
    log('');
    log('highest rate whose backlog stays flat (events arrived but not yet in a published batch):');
    trials = await highestFlatRate(ours, quick);
  } finally {
    await stopAll([ours]);
  }
  const raw = nodeScript('raw ws', 'servers/raw-ws.js', [], SERVER_CPU);
  try {
    const { url } = await raw.next('ready', 60_000);
    runs.push(...(await latencyRuns('raw ws', raw, String(url), rates, durationMs)));
  } finally {
    await stopAll([raw]);
  }
  log('');
  printTable(
    [
      'events/s',
      'server',
      'events',
      'p50 ms',
      'p99 ms',
      'max ms',
      'all clients caught up',
      'transactions',
      'engine ms per transaction p50 / p99',
    ],
    runs.map((r) => [
      r.rate,
      r.server,
      r.events,
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      fmt(r.max, 1),
      r.complete ? 'yes' : 'no',
      r.commits ? r.commits.transactions : '-',
      r.commits ? `${fmt(r.commits.p50, 2)} / ${fmt(r.commits.p99, 2)}` : '-',
    ]),
  );
  log('');
  printTable(
    ['events/s', 'seconds', 'backlog slope (events/s per s)', 'final backlog', 'flat'],
    trials.map((t) => [t.rate, t.seconds, fmt(t.slope, 0), t.finalBacklog, t.flat ? 'yes' : 'no']),
  );
  const held = [...trials].reverse().find((t) => t.flat && t.seconds === trials[trials.length - 1]?.seconds);
  log('');
  log(
    `highest flat rate held for ${trials[trials.length - 1]?.seconds ?? 0} s: ${held ? `${held.rate} events/s` : 'none'}`,
  );
  const at50 = runs.find((r) => r.server === 'viewcast' && r.rate === 50) as LatencyRun;
  const floor50 = runs.find((r) => r.server === 'raw ws' && r.rate === 50) as LatencyRun;
  log(
    `at 50 events/s: p50 ${fmt(at50.p50, 2)} ms, ${fmt(ratio(at50.p50, floor50.p50), 2)}x the raw ws floor (goal <= 1.5x); ` +
      `p99 ${fmt(at50.p99, 2)} ms, ${fmt(ratio(at50.p99, floor50.p99), 2)}x (goal <= 2x)`,
  );
  printResult({
    scenario: 'ingest-latency',
    metric: `p99 event arrival to client receipt, 50 events/s, ${CLIENTS} clients (p50 ${fmt(at50.p50, 2)} ms)`,
    value: Math.round(at50.p99 * 100) / 100,
    unit: 'ms',
    baseline: Math.round(floor50.p99 * 100) / 100,
    ratio: ratio(at50.p99, floor50.p99),
    goal: 'p50 <= 1.5x and p99 <= 2x the raw ws floor at 50 events/s',
  });
}
