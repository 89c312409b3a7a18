/**
 * The parent's side of the load generator: a few processes on the load core, each holding a share of
 * the clients. Reports their CPU use so a saturated load generator shows up as such.
 */
import { LOAD_CPU, nodeScript, stopAll, type ControlledProcess } from '../support/processes.js';
import { Histogram, type HistogramData } from '../support/stats.js';

/** Clients per load process: well under the usual descriptor limits, and spreads parsing work. */
const PER_PROCESS = 4000;

export interface LoadOptions {
  url: string;
  clients: number;
  mode: 'timestamp' | 'counter' | 'idle';
  transport?: 'ws' | 'sse';
  concurrency?: number;
}

export interface LatencyReport {
  histogram: Histogram;
  frames: number;
  /** Frames received no later than the `until` given to `latency`. */
  inWindow: number;
  /** Receipt time of the last matched frame (ms, wall clock). */
  last: number;
  first: number;
  /** timestamp mode: frames that did not come after their client's previous frame. */
  outOfOrder: number;
  /** Frames the clients could not read as whole messages (fragments, masked server frames). */
  protocolErrors: number;
}

export class LoadGenerator {
  private constructor(
    private readonly processes: ControlledProcess[],
    readonly connectMs: number,
    readonly failed: number,
  ) {}

  static async start(options: LoadOptions): Promise<LoadGenerator> {
    const count = Math.max(1, Math.ceil(options.clients / PER_PROCESS));
    const processes = Array.from({ length: count }, (_, i) =>
      nodeScript(`load generator ${i + 1}`, 'load/clients.js', [], LOAD_CPU),
    );
    try {
      await Promise.all(processes.map((p) => p.next('ready', 30_000)));
      const share = (i: number): number =>
        Math.floor(options.clients / count) + (i < options.clients % count ? 1 : 0);
      const replies = await Promise.all(
        processes.map((p, i) =>
          p.request(
            {
              cmd: 'connect',
              url: options.url,
              count: share(i),
              concurrency: Math.max(1, Math.floor((options.concurrency ?? 200) / count)),
              mode: options.mode,
              transport: options.transport ?? 'ws',
            },
            'connected',
            300_000,
          ),
        ),
      );
      const failed = replies.reduce((sum, r) => sum + Number(r['failed']), 0);
      const firstError = replies.find((r) => r['firstError'])?.['firstError'];
      if (failed > 0) process.stdout.write(`  ${failed} clients failed to connect: ${String(firstError)}\n`);
      const connectMs = Math.max(...replies.map((r) => Number(r['ms'])));
      return new LoadGenerator(processes, connectMs, failed);
    } catch (error) {
      await stopAll(processes);
      throw error;
    }
  }

  get pids(): number[] {
    return this.processes.map((p) => p.pid);
  }

  async startRecording(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.request({ cmd: 'start' }, 'started')));
  }

  /** Waits until every client has `perClient` frames, or the timeout; true when all arrived. */
  async awaitFrames(perClient: number, timeoutMs: number): Promise<boolean> {
    const replies = await Promise.all(
      this.processes.map((p) =>
        p.request({ cmd: 'await', perClient, timeoutMs }, 'awaited', timeoutMs + 30_000),
      ),
    );
    return replies.every((r) => r['complete'] === true);
  }

  /** counter mode: waits until every client has seen `count`; true when they all have. */
  async awaitCount(count: number, timeoutMs: number): Promise<boolean> {
    const replies = await Promise.all(
      this.processes.map((p) =>
        p.request({ cmd: 'await-count', count, timeoutMs }, 'awaited', timeoutMs + 30_000),
      ),
    );
    return replies.every((r) => r['complete'] === true);
  }

  /**
   * Stops recording; returns the frames seen and the CPU seconds the load processes used, in all
   * and in the kernel.
   */
  async stopRecording(): Promise<{ frames: number; cpuSeconds: number; systemSeconds: number }> {
    const replies = await Promise.all(this.processes.map((p) => p.request({ cmd: 'stop' }, 'stopped')));
    return {
      frames: replies.reduce((sum, r) => sum + Number(r['frames']), 0),
      cpuSeconds: replies.reduce((sum, r) => sum + Number(r['cpuSeconds']), 0),
      systemSeconds: replies.reduce((sum, r) => sum + Number(r['systemSeconds'] ?? 0), 0),
    };
  }

  /**
   * Latency of every frame against the time the server sent it (keyed by the frame's timestamp),
   * and how many frames arrived by `until` (ms, wall clock).
   */
  latency(reference: Record<string, number>, until = Infinity): Promise<LatencyReport> {
    return this.collect({ cmd: 'latency', reference, until: Number.isFinite(until) ? until : null });
  }

  /** Latency of every event: `arrivals[i]` is when event `base + i + 1` arrived at the source. */
  counterLatency(base: number, arrivals: number[]): Promise<LatencyReport> {
    return this.collect({ cmd: 'counter-latency', base, arrivals });
  }

  private async collect(command: Record<string, unknown> & { cmd: string }): Promise<LatencyReport> {
    const replies = await Promise.all(this.processes.map((p) => p.request(command, 'latency', 120_000)));
    const histogram = new Histogram();
    for (const r of replies) histogram.merge(r['histogram'] as HistogramData);
    const lasts = replies.map((r) => Number(r['last'])).filter(Number.isFinite);
    const firsts = replies.map((r) => Number(r['first'])).filter(Number.isFinite);
    return {
      histogram,
      frames: replies.reduce((sum, r) => sum + Number(r['matched']), 0),
      inWindow: replies.reduce((sum, r) => sum + Number(r['inWindow']), 0),
      last: lasts.length ? Math.max(...lasts) : NaN,
      first: firsts.length ? Math.min(...firsts) : NaN,
      outOfOrder: replies.reduce((sum, r) => sum + Number(r['outOfOrder'] ?? 0), 0),
      protocolErrors: replies.reduce((sum, r) => sum + Number(r['protocolErrors'] ?? 0), 0),
    };
  }

  /** Adds `count` more clients, spread over the processes. */
  async more(options: LoadOptions): Promise<void> {
    const n = this.processes.length;
    const replies = await Promise.all(
      this.processes.map((p, i) =>
        p.request(
          {
            cmd: 'connect',
            url: options.url,
            count: Math.floor(options.clients / n) + (i < options.clients % n ? 1 : 0),
            concurrency: Math.max(1, Math.floor((options.concurrency ?? 200) / n)),
            mode: options.mode,
            transport: options.transport ?? 'ws',
          },
          'connected',
          300_000,
        ),
      ),
    );
    const failed = replies.reduce((sum, r) => sum + Number(r['failed']), 0);
    if (failed > 0)
      throw new Error(
        `${failed} clients failed to connect: ${String(replies.find((r) => r['firstError'])?.['firstError'])}`,
      );
  }

  async close(): Promise<void> {
    for (const p of this.processes) p.send({ cmd: 'close' });
    await stopAll(this.processes);
  }
}
