/**
 * Time to complete state: how long a new client waits, from opening its connection, until it holds
 * the whole current view parsed: `top10`, and a 100,000-row view (one row per event). Measured
 * warm (the snapshot frame is cached for the current timestamp) and cold (a batch has just changed
 * the view, so the first client after it pays the serialization). Baseline in the same run: a raw
 * `ws` server sending the very same snapshot bytes on connect; and, for reference, viewcast's JSON
 * endpoint `GET /api/views/:view`.
 */
import { StateClient } from './load/first-state.js';
import {
  ControlledProcess,
  nodeScript,
  pinningNote,
  projectRoot,
  SERVER_CPU,
  stopAll,
} from './support/processes.js';
import { printResult, type ScenarioContext } from './result.js';
import { fmt, loadAverage, log, median, printTable, ratio } from './support/stats.js';

interface Row {
  view: string;
  rows: number;
  path: string;
  bytes: number;
  times: number[];
}

async function cold(
  client: StateClient,
  server: ControlledProcess,
  url: string,
  times: number,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    await server.request({ cmd: 'drive-batches', batches: 1, size: 1 }, 'driven');
    out.push(...(await client.measure(url, 1)).durations);
  }
  return out;
}

export default async function timeToStateScenario({ quick }: ScenarioContext): Promise<void> {
  const large = quick ? 30_000 : 100_000;
  const repeats = quick ? 5 : 15;
  log(
    `views: bench/views/large-view.sql (wikirecent + recent_rows, one row per event); ${large.toLocaleString('en-US')} events ingested`,
  );
  log(
    `time: connection opened -> snapshot received and JSON-parsed, one client at a time, ${repeats} times each`,
  );
  log(`${pinningNote()}; load average ${loadAverage()}`);
  log('');
  const rows: Row[] = [];
  const frames: Record<string, string> = {};
  const client = await StateClient.start();
  const server = nodeScript(
    'viewcast',
    'servers/viewcast.js',
    [`${projectRoot}bench/views/large-view.sql`],
    SERVER_CPU,
  );
  try {
    const { url } = await server.next('ready', 120_000);
    const prefill = await server.request(
      { cmd: 'prefill', events: large, batch: 1000 },
      'prefilled',
      600_000,
    );
    log(`ingested ${large.toLocaleString('en-US')} events in ${fmt(Number(prefill['ms']) / 1000, 1)} s`);
    const ws = String(url).replace(/^http/, 'ws');
    await client.measure(`${ws}/api/stream/top10`, 3); // the client's own warm-up, not measured
    for (const [view, count] of [
      ['top10', 10],
      ['recent_rows', large],
    ] as const) {
      // Cold first: each measurement right after a batch that changed the view.
      rows.push({
        view,
        rows: count,
        path: 'ws /api/stream (cold)',
        bytes: 0,
        times: await cold(client, server, `${ws}/api/stream/${view}`, quick ? 3 : 5),
      });
      const warm = await client.measure(`${ws}/api/stream/${view}`, repeats);
      rows.push({
        view,
        rows: count,
        path: 'ws /api/stream (warm)',
        bytes: warm.bytes,
        times: warm.durations,
      });
      const json = await client.measure(`${url}/api/views/${view}`, repeats);
      rows.push({
        view,
        rows: count,
        path: 'GET /api/views (JSON)',
        bytes: json.bytes,
        times: json.durations,
      });
      frames[view] = String(
        (await server.request({ cmd: 'snapshot-frame', view }, 'snapshot-frame'))['frame'],
      );
    }
  } finally {
    await stopAll([server]);
  }
  for (const view of ['top10', 'recent_rows']) {
    const raw = nodeScript('raw ws', 'servers/raw-ws.js', [], SERVER_CPU);
    try {
      const { url } = await raw.next('ready', 60_000);
      await raw.request({ cmd: 'snapshot', frame: frames[view] }, 'snapshot-set');
      const base = await client.measure(`${String(url).replace(/^http/, 'ws')}/`, repeats);
      rows.push({
        view,
        rows: view === 'top10' ? 10 : large,
        path: 'raw ws, same bytes',
        bytes: base.bytes,
        times: base.durations,
      });
    } finally {
      await stopAll([raw]);
    }
  }
  await client.close();
  for (const r of rows)
    if (r.bytes === 0) r.bytes = rows.find((o) => o.view === r.view && o.bytes > 0)?.bytes ?? 0;
  rows.sort((a, b) => (a.view === b.view ? 0 : a.view === 'top10' ? -1 : 1));
  log('');
  printTable(
    ['view', 'rows', 'path', 'bytes', 'median ms', 'min ms', 'max ms'],
    rows.map((r) => [
      r.view,
      r.rows.toLocaleString('en-US'),
      r.path,
      r.bytes.toLocaleString('en-US'),
      fmt(median(r.times), 2),
      fmt(Math.min(...r.times), 2),
      fmt(Math.max(...r.times), 2),
    ]),
  );
  const pick = (view: string, path: string): number =>
    median(rows.find((r) => r.view === view && r.path === path)?.times ?? []);
  log('');
  for (const view of ['top10', 'recent_rows']) {
    log(
      `${view}: warm ${fmt(pick(view, 'ws /api/stream (warm)'), 2)} ms, cold ${fmt(pick(view, 'ws /api/stream (cold)'), 2)} ms, raw ws ${fmt(pick(view, 'raw ws, same bytes'), 2)} ms: ${fmt(ratio(pick(view, 'ws /api/stream (warm)'), pick(view, 'raw ws, same bytes')), 2)}x warm, ${fmt(ratio(pick(view, 'ws /api/stream (cold)'), pick(view, 'raw ws, same bytes')), 2)}x cold`,
    );
  }
  const ours = pick('recent_rows', 'ws /api/stream (cold)');
  const base = pick('recent_rows', 'raw ws, same bytes');
  printResult({
    scenario: 'time-to-state',
    metric: `new client to a complete ${large}-row view over /api/stream, cold snapshot (top10 warm: ${fmt(pick('top10', 'ws /api/stream (warm)'), 2)} ms)`,
    value: Math.round(ours * 100) / 100,
    unit: 'ms',
    baseline: Math.round(base * 100) / 100,
    ratio: ratio(ours, base),
    goal: 'no goal set; baseline: raw ws sending the same bytes',
  });
}
