/**
 * Fan-out: N WebSocket clients on `top10`, one batch at a fixed rate. Delivered frames/s and the
 * latency from the moment the server has a batch to its receipt by each client, for viewcast and,
 * in the same run, for a raw `ws` broadcast of the same frames and for the original demo's Tornado
 * design. Server and load generator sit on different cores; both report their CPU.
 *
 * `--sse`: N SSE clients of `/api/sse/top10` (the multiplexed protocol's sessions)
 * instead, against viewcast's own `/api/stream/top10` WebSocket clients in the same run.
 */
import { LoadGenerator, type LatencyReport } from './load/load.js';
import {
  ControlledProcess,
  hardFdLimit,
  nodeScript,
  pinningNote,
  pythonServer,
  SERVER_CPU,
  stopAll,
  tornadoServer,
  tornadoVersion,
} from './support/processes.js';
import { printResult, type ScenarioContext } from './result.js';
import { fmt, loadAverage, log, nowMs, ratio } from './support/stats.js';
import { printRatios, printRuns, type Run } from './fan-out-report.js';

const DELIVERY_GRACE_MS = 1000;

/** What viewcast sent, and when, for the baselines to send the same at the same moments. */
interface Sent {
  sent: string[];
  offsets: number[];
}

type Transport = 'ws' | 'sse';

interface Settings {
  rate: number;
  durationMs: number;
  graceMs: number;
}

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

async function measure(
  name: string,
  server: ControlledProcess,
  url: string,
  clients: number,
  drive: () => Promise<{ sendTimes: Record<string, number>; frames: string[]; sendCpuSeconds?: number }>,
  settings: Settings,
  transport: Transport = 'ws',
): Promise<Run & Sent> {
  const load = await LoadGenerator.start({ url, clients, mode: 'timestamp', transport });
  try {
    await load.startRecording();
    const cpu0 = server.cpuTimes();
    const t0 = nowMs();
    const { sendTimes, frames, sendCpuSeconds } = await drive();
    const complete = await load.awaitFrames(frames.length, settings.durationMs + settings.graceMs);
    const wall = (nowMs() - t0) / 1000;
    const cpu1 = server.cpuTimes();
    const serverSeconds = cpu1.user + cpu1.system - cpu0.user - cpu0.system;
    const serverCpu = serverSeconds / wall;
    const { cpuSeconds, systemSeconds } = await load.stopRecording();
    // Delivered frames/s: frames that arrived by one second after the last send, over the sending
    // window. A server that keeps up delivers the offered rate; one that falls behind by more than
    // a second shows its own capacity; one late frame does not count as a slow server.
    const sends = Object.values(sendTimes);
    const firstSend = Math.min(...sends);
    const lastSend = Math.max(...sends);
    const report: LatencyReport = await load.latency(sendTimes, lastSend + DELIVERY_GRACE_MS);
    const window = (lastSend - firstSend) / 1000 + 1 / settings.rate;
    return {
      server: name,
      clients,
      batches: frames.length,
      frames: report.frames,
      framesPerSecond: report.inWindow / window,
      p50: report.histogram.percentile(0.5),
      p99: report.histogram.percentile(0.99),
      max: report.histogram.max,
      serverCpu,
      serverUsPerFrame: (serverSeconds * 1e6) / report.frames,
      serverKernelUsPerFrame: ((cpu1.system - cpu0.system) * 1e6) / report.frames,
      sendCpu: sendCpuSeconds ?? null,
      loadCpu: cpuSeconds / wall,
      loadUsPerFrame: (cpuSeconds * 1e6) / report.frames,
      loadKernelUsPerFrame: (systemSeconds * 1e6) / report.frames,
      complete: complete && report.frames === frames.length * clients,
      misdelivered: report.outOfOrder + report.protocolErrors,
      sent: frames,
      offsets: frames.map(
        (f) => (sendTimes[f.slice(f.lastIndexOf(':') + 1, f.lastIndexOf('}'))] ?? firstSend) - firstSend,
      ),
    };
  } finally {
    await load.close();
  }
}

async function viewcastRun(
  clients: number,
  settings: Settings,
  transport: Transport = 'ws',
): Promise<Run & Sent> {
  const name = transport === 'sse' ? 'viewcast sse' : 'viewcast';
  const server = nodeScript(name, 'servers/viewcast.js', [], SERVER_CPU);
  try {
    const { url } = await server.next('ready', 120_000);
    await server.request({ cmd: 'prefill', events: 5000 }, 'prefilled');
    await server.request({ cmd: 'track', view: 'top10' }, 'tracking');
    const clientUrl =
      transport === 'sse'
        ? `${String(url)}/api/sse/top10`
        : `${String(url).replace(/^http/, 'ws')}/api/stream/top10`;
    return await measure(
      name,
      server,
      clientUrl,
      clients,
      async () => {
        const driven = await server.request(
          { cmd: 'drive-top10', rate: settings.rate, durationMs: settings.durationMs },
          'driven',
          settings.durationMs + 120_000,
        );
        const delay = driven['loopDelayMs'] as { p99: number; max: number };
        log(
          `  ${clients} clients, ${name}: the server's event-loop delay while it sent: p99 ${fmt(delay.p99, 1)} ms, max ${fmt(delay.max, 1)} ms`,
        );
        return {
          sendTimes: driven['sendTimes'] as Record<string, number>,
          frames: driven['frames'] as string[],
        };
      },
      settings,
      transport,
    );
  } finally {
    await stopAll([server]);
  }
}

/** SSE sessions against viewcast's own `/api/stream` sockets, run after them with the same settings. */
async function sseRuns(counts: number[], settings: Settings): Promise<void> {
  log(
    `clients: ${counts.join(', ')} on /api/sse/top10; ${settings.rate} batches/s for ${settings.durationMs / 1000} s`,
  );
  log('baseline: the same server with as many /api/stream/top10 WebSocket clients');
  log(`${pinningNote()}; open-file hard limit ${hardFdLimit()}; load average ${loadAverage()}`);
  log('');
  const runs: Run[] = [];
  for (const clients of counts) {
    runs.push(await viewcastRun(clients, settings, 'ws'));
    runs.push(await viewcastRun(clients, settings, 'sse'));
  }
  printRuns(runs);
  const top = counts[counts.length - 1] as number;
  const sse = runs.find((r) => r.clients === top && r.server === 'viewcast sse') as Run;
  const ws = runs.find((r) => r.clients === top && r.server === 'viewcast') as Run;
  printResult({
    scenario: 'fan-out',
    metric: `delivered frames/s, ${top} SSE clients on top10 at ${settings.rate} batches/s`,
    value: Math.round(sse.framesPerSecond),
    unit: 'frames/s',
    baseline: Math.round(ws.framesPerSecond),
    ratio: ratio(sse.framesPerSecond, ws.framesPerSecond),
    goal: 'SSE clients served as /api/stream sockets are',
  });
}

/** A baseline server broadcasting viewcast's own frames of the same run, at the same moments. */
async function baselineRun(
  name: string,
  server: ControlledProcess,
  clients: number,
  frames: string[],
  offsets: number[],
  settings: Settings,
): Promise<Run> {
  try {
    const { url } = await server.next('ready', 60_000);
    const wsUrl = `${String(url).replace(/^http/, 'ws')}/api/stream/top10`;
    const run = await measure(
      name,
      server,
      wsUrl,
      clients,
      async () => {
        const driven = await server.request(
          { cmd: 'broadcast', frames, offsets },
          'driven',
          settings.durationMs + 300_000,
        );
        return {
          sendTimes: driven['sendTimes'] as Record<string, number>,
          frames,
          ...(typeof driven['sendCpuSeconds'] === 'number'
            ? { sendCpuSeconds: driven['sendCpuSeconds'] }
            : {}),
        };
      },
      settings,
    );
    return run;
  } finally {
    await stopAll([server]);
  }
}

export default async function fanOut({ quick, args }: ScenarioContext): Promise<void> {
  const only = flag(args, 'clients', 0);
  const counts = only ? [only] : quick ? [1000] : [1000, 5000, 10_000];
  const settings: Settings = {
    rate: flag(args, 'rate', 10),
    durationMs: flag(args, 'seconds', quick ? 4 : 10) * 1000,
    graceMs: quick ? 8000 : 20_000,
  };
  if (args.includes('--sse')) {
    await sseRuns(counts, settings);
    return;
  }
  const tornado = tornadoVersion();
  log(
    `clients: ${counts.join(', ')} on /api/stream/top10; ${settings.rate} batches/s for ${settings.durationMs / 1000} s`,
  );
  log(`each batch: one event by a top-10 user through the real engine (one transaction, one top10 frame)`);
  log(`${pinningNote()}; open-file hard limit ${hardFdLimit()}; load average ${loadAverage()}`);
  log(
    `baselines: raw ws broadcasting the same frames; Tornado ${tornado ?? 'NOT AVAILABLE (install python3-tornado)'}`,
  );
  log(
    'floors, same frames: "node write" = socket.write of one pre-built frame per socket; "write(2)" = Python os.write',
  );
  log('clients: raw TCP after the upgrade, parsing frame headers only (bench/load/raw-websocket.ts)');
  log(
    `latency: server has the batch (hub publish / broadcast start) -> client receipt, every client, every frame`,
  );
  log('');
  const runs: Run[] = [];
  // Each baseline is sent viewcast's frames at viewcast's moments. The floors write the same frames
  // with nothing but a write per socket (see the servers); the Python ones need Debian's Python.
  const baselines: ReadonlyArray<readonly [name: string, start: () => ControlledProcess]> = [
    ['raw ws', () => nodeScript('raw ws', 'servers/raw-ws.js', [], SERVER_CPU)],
    ...(tornado ? [['tornado', () => tornadoServer([], SERVER_CPU)] as const] : []),
    ['floor: node write', () => nodeScript('floor node', 'servers/floor-ws.js', [], SERVER_CPU)],
    [
      'floor: node _write',
      () => nodeScript('floor node _write', 'servers/floor-ws.js', ['direct'], SERVER_CPU),
    ],
    ...(tornado
      ? [['floor: write(2)', () => pythonServer('floor write(2)', 'floor_ws.py', SERVER_CPU)] as const]
      : []),
  ];
  for (const clients of counts) {
    const ours = await viewcastRun(clients, settings);
    runs.push(ours);
    for (const [name, start] of baselines)
      runs.push(await baselineRun(name, start(), clients, ours.sent, ours.offsets, settings));
    const last = runs.filter((r) => r.clients === clients);
    for (const r of last)
      log(
        `  ${r.clients} clients, ${r.server}: ${fmt(r.framesPerSecond, 0)} frames/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms`,
      );
  }
  log('');
  printRuns(runs);
  log('');
  printRatios(counts, runs);
  const top = counts[counts.length - 1] as number;
  const ours = runs.find((r) => r.clients === top && r.server === 'viewcast') as Run;
  const raw = runs.find((r) => r.clients === top && r.server === 'raw ws') as Run;
  printResult({
    scenario: 'fan-out',
    metric: `delivered frames/s, ${top} clients on top10 at ${settings.rate} batches/s`,
    value: Math.round(ours.framesPerSecond),
    unit: 'frames/s',
    baseline: Math.round(raw.framesPerSecond),
    ratio: ratio(ours.framesPerSecond, raw.framesPerSecond),
    goal: '>= 1.0x raw ws frames per server cpu-second at 1,000; >= 8x tornado at 10,000',
  });
}
