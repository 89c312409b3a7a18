/**
 * Memory: the server's resident memory per idle client, at 1,000, 5,000 and 10,000 clients on
 * `top10`: WebSocket (`/api/stream/top10`) and, where the server has it, SSE (`/api/sse/top10`).
 * Per client = (RSS with N clients - RSS before any client) / N, read from /proc after the clients
 * settled. Baselines in the same run: a raw `ws` server and the Tornado design holding the same
 * idle sockets.
 */
import { LoadGenerator } from './load/load.js';
import {
  ControlledProcess,
  nodeScript,
  pinningNote,
  SERVER_CPU,
  stopAll,
  tornadoServer,
  tornadoVersion,
} from './support/processes.js';
import { printResult, type ScenarioContext } from './result.js';
import { fmt, loadAverage, log, printTable, ratio } from './support/stats.js';

interface Level {
  server: string;
  transport: string;
  clients: number;
  rssMb: number;
  perClientKb: number;
  /** Between this level and the one before: what each added client cost. */
  marginalKb: number;
  /** Node servers: JS heap + external memory per client (NaN for Tornado). */
  heapKb: number;
}

/** RSS, and for Node servers the JS heap plus buffers outside it, after a full collection. */
async function collected(server: ControlledProcess): Promise<{ rss: number; heap: number }> {
  const usage = await server.request({ cmd: 'gc' }, 'collected');
  await settle(300);
  const heap = Number(usage['heapUsed']) + Number(usage['external']);
  return { rss: server.rssBytes(), heap };
}

const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function levels(
  name: string,
  transport: 'ws' | 'sse',
  server: ControlledProcess,
  path: string,
  counts: number[],
  prepare?: (url: string) => Promise<void>,
): Promise<Level[]> {
  const { url } = await server.next('ready', 120_000);
  await prepare?.(String(url));
  await settle(500);
  const before = await collected(server);
  let previous = { count: 0, rss: before.rss };
  const base = transport === 'ws' ? String(url).replace(/^http/, 'ws') : String(url);
  const out: Level[] = [];
  let load: LoadGenerator | null = null;
  let connected = 0;
  try {
    for (const count of counts) {
      const options = { url: `${base}${path}`, clients: count - connected, mode: 'idle' as const, transport };
      if (!load) load = await LoadGenerator.start(options);
      else await load.more(options);
      connected = count;
      await settle(500);
      const now = await collected(server);
      const rss = now.rss;
      out.push({
        server: name,
        transport,
        clients: count,
        rssMb: rss / 2 ** 20,
        perClientKb: (rss - before.rss) / count / 1024,
        heapKb: (now.heap - before.heap) / count / 1024,
        marginalKb: (rss - previous.rss) / (count - previous.count) / 1024,
      });
      previous = { count, rss };
      log(
        `  ${name} ${transport} ${count} clients: RSS ${fmt(rss / 2 ** 20, 1)} MB, ${fmt((rss - before.rss) / count / 1024, 2)} KB per client (heap ${fmt((now.heap - before.heap) / count / 1024, 2)} KB)`,
      );
    }
  } finally {
    await load?.close();
    await stopAll([server]);
  }
  return out;
}

/** Whether this build serves SSE: asked once, before the memory of that server is read. */
async function servesSse(url: string): Promise<boolean> {
  const controller = new AbortController();
  try {
    const response = await fetch(`${url}/api/sse/top10`, { signal: controller.signal });
    return response.status === 200;
  } catch {
    return false;
  } finally {
    controller.abort();
  }
}

export default async function memory({ quick }: ScenarioContext): Promise<void> {
  const counts = quick ? [1000, 2000] : [1000, 5000, 10_000];
  const prefill = async (server: ControlledProcess): Promise<void> => {
    await server.request({ cmd: 'prefill', events: 5000 }, 'prefilled');
  };
  log(`idle clients on top10 at ${counts.join(', ')}; RSS of the server process from /proc/<pid>/status,`);
  log('read after a full garbage collection (servers run with --expose-gc)');
  log(`${pinningNote()}; load average ${loadAverage()}`);
  log('');
  const results: Level[] = [];
  const ours = nodeScript('viewcast', 'servers/viewcast.js', [], SERVER_CPU);
  let sse = false;
  results.push(
    ...(await levels('viewcast', 'ws', ours, '/api/stream/top10', counts, async (url) => {
      sse = await servesSse(url);
      log(
        `SSE: ${sse ? '/api/sse/top10' : 'not served by this build (GET /api/sse/top10 is not 200): skipped'}`,
      );
      await prefill(ours);
    })),
  );
  if (sse) {
    const oursSse = nodeScript('viewcast', 'servers/viewcast.js', [], SERVER_CPU);
    results.push(
      ...(await levels('viewcast', 'sse', oursSse, '/api/sse/top10', counts, () => prefill(oursSse))),
    );
  }
  results.push(
    ...(await levels('raw ws', 'ws', nodeScript('raw ws', 'servers/raw-ws.js', [], SERVER_CPU), '/', counts)),
  );
  if (tornadoVersion()) {
    results.push(
      ...(await levels('tornado', 'ws', tornadoServer([], SERVER_CPU), '/api/stream/top10', counts)),
    );
  }
  log('');
  printTable(
    [
      'server',
      'transport',
      'clients',
      'server RSS MB',
      'KB per client',
      'KB per client added since the previous level',
      'JS heap + external KB per client',
    ],
    results.map((r) => [
      r.server,
      r.transport,
      r.clients.toLocaleString('en-US'),
      fmt(r.rssMb, 1),
      fmt(r.perClientKb, 2),
      fmt(r.marginalKb, 2),
      fmt(r.heapKb, 2),
    ]),
  );
  const top = counts[counts.length - 1] as number;
  const ourWs = results.find(
    (r) => r.server === 'viewcast' && r.transport === 'ws' && r.clients === top,
  ) as Level;
  const ourSse = results.find((r) => r.server === 'viewcast' && r.transport === 'sse' && r.clients === top);
  const raw = results.find((r) => r.server === 'raw ws' && r.clients === top) as Level;
  log('');
  log(
    `at ${top} clients: WebSocket ${fmt(ourWs.perClientKb, 2)} KB per client${ourSse ? `, SSE ${fmt(ourSse.perClientKb, 2)} KB` : ''}; goal <= 8 KB`,
  );
  printResult({
    scenario: 'memory',
    metric: `server RSS per idle WebSocket client at ${top} clients${ourSse ? ` (SSE: ${fmt(ourSse.perClientKb, 2)} KB)` : ''}`,
    value: Math.round(ourWs.perClientKb * 100) / 100,
    unit: 'KB',
    baseline: Math.round(raw.perClientKb * 100) / 100,
    ratio: ratio(ourWs.perClientKb, raw.perClientKb),
    goal: '<= 8 KB per client (baseline: raw ws)',
  });
}
