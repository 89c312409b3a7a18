/**
 * `/metrics` for Prometheus, through `prom-client`: the default process and Node.js metrics
 * (CPU, RSS, heap, event-loop lag, GC, open files), viewcast's own gauges and counters
 * (metrics-gauges.ts, metrics-counters.ts), and four histograms: engine commit time, ingest-to-publish latency, publish-to-send latency and bytes
 * buffered per client. Gauges and counters are read at scrape time from what the fan-out and the hub
 * keep anyway; only the histograms are observed as things happen, once per commit or moment (never
 * once per client on the hot path), and counted in at scrape time (deferred-histogram.ts). One
 * registry per server, so several servers share a process.
 */
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import type { Fanout } from './fanout.js';
import type { Heartbeat } from './heartbeat.js';
import { DeferredHistogram } from './deferred-histogram.js';
import { IngestLatency } from './ingest-latency.js';
import { registerServerCounters } from './metrics-counters.js';
import { registerServerGauges } from './metrics-gauges.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const BYTES_BUCKETS = [0, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304];
/** How often the event-loop delay is sampled for `nodejs_eventloop_lag_*`. */
const EVENT_LOOP_SAMPLE_MS = 100;

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly commitSeconds: DeferredHistogram;
  private readonly ingestLatency: IngestLatency;
  private readonly stopMoments: () => void;

  constructor(hub: Hub, fanout: Fanout, heartbeat: Heartbeat, now: () => number = Date.now) {
    const registers = [this.registry];
    // prom-client samples the event-loop delay with a timer (10 ms by default): 100 wake-ups a
    // second even when idle, about 0.5-0.7% of a core on its own (BENCHMARKS.md, "Idle cost, third
    // pass"). Every 100 ms still catches every stall of 100 ms or more.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    this.commitSeconds = new DeferredHistogram({
      name: 'viewcast_engine_commit_seconds',
      help: 'Engine time of one ingest transaction (a micro-batch of events), durable write included.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const ingestToPublish = new DeferredHistogram({
      name: 'viewcast_ingest_to_publish_seconds',
      help: 'From a batch of events handed to the engine to the moment with its changes published by the hub.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const publishToSend = new DeferredHistogram({
      name: 'viewcast_publish_to_send_seconds',
      help: 'From a moment published by the hub to its frame written to the last client following it.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const perClient = new Histogram({
      name: 'viewcast_client_buffered_bytes',
      help: 'Bytes queued and not yet written to the network, per connected client, at scrape time.',
      buckets: BYTES_BUCKETS,
      registers,
      collect: () => {
        perClient.reset();
        for (const bytes of fanout.bufferedPerClient()) perClient.observe(bytes);
      },
    });
    registerServerGauges(registers, hub, fanout, now);
    registerServerCounters(registers, hub, fanout, heartbeat);
    this.ingestLatency = new IngestLatency((seconds) => ingestToPublish.observe(seconds), now);
    this.stopMoments = hub.onMoment((moment) => this.ingestLatency.published(moment.timestamp));
    fanout.on('fanned-out', (seconds: number) => publishToSend.observe(seconds));
  }

  /** The ingest pipeline committed a batch at `timestamp`, pushed at `pushedAtMs`, in `seconds`. */
  committed(timestamp: Timestamp, pushedAtMs: number, seconds: number): void {
    this.commitSeconds.observe(seconds);
    this.ingestLatency.committed(timestamp, pushedAtMs);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.stopMoments();
    this.registry.clear();
  }
}
