/** The fan-out benchmark's tables: every run, then each client count's ratios and floors. */
import { fmt, log, printTable, ratio } from './support/stats.js';

export interface Run {
  server: string;
  clients: number;
  /** Batches the server sent (viewcast: published; the engine merges ticks when a commit runs long). */
  batches: number;
  frames: number;
  framesPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  serverCpu: number;
  /** Server CPU-seconds per frame delivered, in µs: all of the process, and its kernel part. */
  serverUsPerFrame: number;
  serverKernelUsPerFrame: number;
  /** CPU-seconds the server spent in its send loop alone (null where the server does not say). */
  sendCpu: number | null;
  loadCpu: number;
  /** The load generator's CPU-seconds per frame received, in µs. */
  loadUsPerFrame: number;
  loadKernelUsPerFrame: number;
  complete: boolean;
  /** Frames out of order at their client, or unreadable as whole messages (both must be 0). */
  misdelivered: number;
}

/** One row per server and client count. */
export function printRuns(runs: Run[]): void {
  printTable(
    [
      'clients',
      'server',
      'batches sent',
      'frames/s delivered',
      'p50 ms',
      'p99 ms',
      'max ms',
      'server cpu',
      'frames per server cpu-second',
      'frames per send cpu-second',
      'server µs per frame (kernel)',
      'load cpu',
      'load µs per frame (kernel)',
      'all frames arrived, in order',
    ],
    runs.map((r) => [
      r.clients.toLocaleString('en-US'),
      r.server,
      r.batches,
      fmt(r.framesPerSecond, 0),
      fmt(r.p50, 2),
      fmt(r.p99, 2),
      fmt(r.max, 1),
      `${fmt(r.serverCpu * 100, 0)}%`,
      fmt(r.framesPerSecond / r.serverCpu, 0),
      r.sendCpu ? fmt(r.frames / r.sendCpu, 0) : '-',
      `${fmt(r.serverUsPerFrame, 1)} (${fmt(r.serverKernelUsPerFrame, 1)})`,
      `${fmt(r.loadCpu * 100, 0)}%`,
      `${fmt(r.loadUsPerFrame, 1)} (${fmt(r.loadKernelUsPerFrame, 1)})`,
      r.complete && r.misdelivered === 0 ? 'yes' : `no (${r.misdelivered} out of order)`,
    ]),
  );
}

/**
 * Per client count: viewcast against the baselines, and what 8x Tornado's delivered frames/s asks of
 * a server's CPU per frame next to the floors measured in the same run.
 */
export function printRatios(counts: number[], runs: Run[]): void {
  const ratios: Array<Array<string | number>> = [];
  for (const clients of counts) {
    const ours = runs.find((r) => r.clients === clients && r.server === 'viewcast') as Run;
    const raw = runs.find((r) => r.clients === clients && r.server === 'raw ws');
    const tor = runs.find((r) => r.clients === clients && r.server === 'tornado');
    ratios.push([
      clients.toLocaleString('en-US'),
      fmt(raw ? ratio(ours.framesPerSecond / ours.serverCpu, raw.framesPerSecond / raw.serverCpu) : null, 2),
      fmt(raw ? ratio(ours.framesPerSecond, raw.framesPerSecond) : null, 2),
      fmt(raw ? ratio(raw.p99, ours.p99) : null, 2),
      fmt(tor ? ratio(ours.framesPerSecond, tor.framesPerSecond) : null, 2),
      fmt(tor ? ratio(tor.p50, ours.p50) : null, 1),
      fmt(tor ? ratio(tor.p99, ours.p99) : null, 1),
    ]);
  }
  printTable(
    [
      'clients',
      'frames per server cpu-s vs raw ws',
      'frames/s vs raw ws',
      'p99 raw ws / ours',
      'frames/s vs tornado',
      'p50 tornado / ours',
      'p99 tornado / ours',
    ],
    ratios,
  );
  for (const clients of counts) {
    const of = (server: string): Run | undefined =>
      runs.find((r) => r.clients === clients && r.server === server);
    const tor = of('tornado');
    if (!tor) continue;
    const floors = ['viewcast', 'raw ws', 'floor: node write', 'floor: node _write', 'floor: write(2)']
      .map((server) => [server, of(server)] as const)
      .filter((entry): entry is readonly [string, Run] => entry[1] !== undefined)
      .map(
        ([server, r]) =>
          `${server} ${fmt(r.serverUsPerFrame, 1)} (kernel ${fmt(r.serverKernelUsPerFrame, 1)})`,
      );
    log(
      `${clients.toLocaleString('en-US')} clients: tornado spends ${fmt(tor.serverUsPerFrame, 1)} µs of server CPU per frame, so 8x its frames/s at full CPU allows ${fmt(tor.serverUsPerFrame / 8, 1)} µs per frame; µs per frame in this run: ${floors.join(', ')}`,
    );
  }
}
