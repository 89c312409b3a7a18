/**
 * Send cost: where the CPU of one fan-out send goes. N clients of the load generator (raw TCP after
 * the upgrade, as in fan-out) connect to one pinned server process that writes the same frame to all
 * of them in rounds, the ways of writing taking turns (bench/servers/write-loops.ts): `ws.send`,
 * viewcast's stream send, `socket.write`, the direct `_write`, and the bare write(2) system call.
 * Medians over the rounds of CPU per send, and the kernel's part of it (utime/stime by getrusage).
 * Also what the load generator spent per frame received, the measure of the instrument itself.
 */
import { LoadGenerator } from './load/load.js';
import { nodeScript, pinningNote, SERVER_CPU, stopAll } from './support/processes.js';
import { printResult, type ScenarioContext } from './result.js';
import { fmt, loadAverage, log, median, printTable, ratio } from './support/stats.js';

/** A real top10 batch: one user's count goes up by one. */
const PAYLOAD = '{"inserted":[["Materialscientist",1234]],"deleted":[["Materialscientist",1233]]}';

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

type Samples = Record<string, Array<{ user: number; system: number }>>;

export default async function sendCost({ quick, args }: ScenarioContext): Promise<void> {
  const clients = flag(args, 'clients', quick ? 2000 : 10_000);
  const rounds = flag(args, 'rounds', quick ? 5 : 15);
  log(`${clients} WebSocket clients, ${rounds} rounds of each way of writing one frame to all of them`);
  log(`${pinningNote()}; load average ${loadAverage()}`);
  const server = nodeScript('write loops', 'servers/write-loops.js', [], SERVER_CPU);
  let load: LoadGenerator | null = null;
  try {
    const { url } = await server.next('ready', 60_000);
    load = await LoadGenerator.start({
      url: `${String(url).replace(/^http/, 'ws')}/floor`,
      clients,
      mode: 'timestamp',
    });
    await load.startRecording();
    const measured = await server.request({ cmd: 'rounds', rounds, payload: PAYLOAD }, 'measured', 600_000);
    const sends = Number(measured['sends']);
    const complete = await load.awaitFrames(sends, 120_000);
    const received = await load.stopRecording();
    const delivery = await load.latency({});
    const samples = measured['samples'] as Samples;
    const rows = Object.entries(samples).map(([way, list]) => {
      const total = median(list.map((s) => s.user + s.system));
      const kernel = median(list.map((s) => s.system));
      return { way, total, kernel };
    });
    const of = (way: string): number => rows.find((r) => r.way === way)?.total ?? NaN;
    printTable(
      ['way of writing', 'µs per send', 'kernel µs', 'user µs', 'vs ws.send', 'above write(2), µs'],
      rows.map((r) => [
        r.way,
        fmt(r.total, 2),
        fmt(r.kernel, 2),
        fmt(r.total - r.kernel, 2),
        fmt(ratio(of('ws.send'), r.total), 2),
        fmt(r.total - of('write(2)'), 2),
      ]),
    );
    log(
      `load generator: ${fmt((received.cpuSeconds * 1e6) / received.frames, 1)} µs of CPU per frame received (kernel ${fmt((received.systemSeconds * 1e6) / received.frames, 1)}); ${received.frames} frames, all arrived: ${complete ? 'yes' : 'no'}, out of order or unreadable: ${delivery.outOfOrder + delivery.protocolErrors}`,
    );
    log(`load average at the end ${loadAverage()}`);
    printResult({
      scenario: 'send-cost',
      metric: `CPU per send to ${clients} sockets, viewcast's stream send`,
      value: Number(fmt(of('viewcast'), 2)),
      unit: 'µs',
      baseline: Number(fmt(of('ws.send'), 2)),
      ratio: ratio(of('ws.send'), of('viewcast')),
      goal: 'as close to write(2) as the per-client buffer bound allows',
    });
  } finally {
    await load?.close();
    await stopAll([server]);
  }
}
