/**
 * `/metrics` for Prometheus, through `prom-client`: the default process and Node.js metrics
 * (CPU, RSS, heap, event-loop lag, GC, open files), viewcast's own gauges and counters, and four
 * histograms: engine commit time, ingest-to-publish latency, publish-to-send latency and bytes
 * buffered per client. Gauges and counters are read at scrape time from what the fan-out and the hub
 * keep anyway; only the histograms are observed as things happen, once per commit or moment (never
 * once per client on the hot path), and counted in at scrape time (deferred-histogram.ts). One
 * registry per server, so several servers share a process.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import { queryChannels } from '../hub/query-channels.js';
import { TRANSPORTS, type Fanout } from './fanout.js';
import type { Heartbeat } from './heartbeat.js';
import { DeferredHistogram } from './deferred-histogram.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const BYTES_BUCKETS = [0, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304];
/** How often the event-loop delay is sampled for `nodejs_eventloop_lag_*`. */
const EVENT_LOOP_SAMPLE_MS = 100;
/** Commits and moments waiting for their counterpart (ingest-to-publish); older ones are dropped. */
const MAX_PENDING = 1024;

type Values = Array<[Record<string, string>, number]>;

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly commitSeconds: DeferredHistogram;
  private readonly ingestToPublish: DeferredHistogram;
  private readonly publishToSend: DeferredHistogram;
  /** Commits whose moment is not published yet: timestamp -> wall-clock ms the batch was pushed. */
  private readonly pushedAt = new Map<Timestamp, number>();
  /** Moments published before their commit returned: timestamp -> wall-clock ms of publishing. */
  private readonly publishedAt = new Map<Timestamp, number>();
  private readonly stopMoments: () => void;

  constructor(
    private readonly hub: Hub,
    private readonly fanout: Fanout,
    private readonly heartbeat: Heartbeat,
    private readonly now: () => number = Date.now,
  ) {
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
    this.ingestToPublish = new DeferredHistogram({
      name: 'viewcast_ingest_to_publish_seconds',
      help: 'From a batch of events handed to the engine to the moment with its changes published by the hub.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.publishToSend = new DeferredHistogram({
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
    this.defineGauges(registers);
    this.defineCounters(registers);
    this.stopMoments = hub.onMoment((moment) => this.published(moment.timestamp));
    fanout.on('fanned-out', (seconds: number) => this.publishToSend.observe(seconds));
  }

  /** The ingest pipeline committed a batch at `timestamp`, pushed at `pushedAtMs`, in `seconds`. */
  committed(timestamp: Timestamp, pushedAtMs: number, seconds: number): void {
    this.commitSeconds.observe(seconds);
    const published = this.publishedAt.get(timestamp);
    if (published !== undefined) {
      this.publishedAt.delete(timestamp);
      this.ingestToPublish.observe(Math.max(0, published - pushedAtMs) / 1000);
      return;
    }
    remember(this.pushedAt, timestamp, pushedAtMs);
  }

  private published(timestamp: Timestamp): void {
    const pushed = this.pushedAt.get(timestamp);
    if (pushed === undefined) {
      remember(this.publishedAt, timestamp, this.now());
      return;
    }
    this.pushedAt.delete(timestamp);
    this.ingestToPublish.observe(Math.max(0, this.now() - pushed) / 1000);
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

  private gauge(
    registers: Registry[],
    name: string,
    help: string,
    labelNames: string[],
    values: () => Values,
  ): void {
    const gauge: Gauge = new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect: () => {
        gauge.reset();
        for (const [labels, value] of values()) gauge.set(labels, Number.isFinite(value) ? value : 0);
      },
    });
  }

  private counter(
    registers: Registry[],
    name: string,
    help: string,
    values: () => Values,
    labels: string[] = [],
  ): void {
    const counter: Counter = new Counter({
      name,
      help,
      labelNames: labels,
      registers,
      collect: () => {
        counter.reset();
        for (const [set, value] of values()) counter.inc(set, Math.max(0, value));
      },
    });
  }

  private defineGauges(registers: Registry[]): void {
    const { hub, fanout } = this;
    const { counters } = fanout;
    this.gauge(
      registers,
      'viewcast_connections',
      'Open client connections by transport.',
      ['transport'],
      () => TRANSPORTS.map((t) => [{ transport: t }, counters.connections[t]]),
    );
    this.gauge(
      registers,
      'viewcast_subscriptions',
      'Clients following each view, over all transports.',
      ['view'],
      () => {
        const subscriptions = new Map<string, number>(hub.views.map((c) => [c.name, c.listenerCount]));
        for (const session of fanout.sessions.keys())
          for (const view of session.views.keys())
            subscriptions.set(view, (subscriptions.get(view) ?? 0) + 1);
        return [...subscriptions].map(([view, n]) => [{ view }, n]);
      },
    );
    this.gauge(
      registers,
      'viewcast_client_staleness_seconds',
      'Per view, the largest "now minus the newest timestamp a client was sent" over its clients.',
      ['view'],
      () => {
        const staleness = new Map<string, number>(hub.views.map((c) => [c.name, 0]));
        const nowMs = this.now();
        for (const session of fanout.sessions.keys()) {
          const known = session.lastTimestamp;
          if (known === null) continue;
          for (const view of session.views.keys())
            staleness.set(view, Math.max(staleness.get(view) ?? 0, (nowMs - known) / 1000));
        }
        return [...staleness].map(([view, s]) => [{ view }, s]);
      },
    );
    this.gauge(
      registers,
      'viewcast_maintained_queries',
      'Queries over served views kept current on the delta path (identical queries share one), and their subscribers.',
      ['kind'],
      () => [
        [{ kind: 'pipelines' }, queryChannels(hub).size],
        [{ kind: 'subscribers' }, queryChannels(hub).subscribers],
      ],
    );
    this.gauge(
      registers,
      'viewcast_view_timestamp_seconds',
      'The engine timestamp each view is valid at, in seconds since the epoch.',
      ['view'],
      () => hub.views.map((c) => [{ view: c.name }, (c.timestamp ?? 0) / 1000]),
    );
    this.gauge(
      registers,
      'viewcast_retention_batches',
      "Batches in each view's retention log.",
      ['view'],
      () => hub.views.map((c) => [{ view: c.name }, c.retained?.length ?? 0]),
    );
    this.gauge(
      registers,
      'viewcast_retention_bytes',
      "Encoded bytes in each view's retention log.",
      ['view'],
      () => hub.views.map((c) => [{ view: c.name }, c.retained?.bytes ?? 0]),
    );
    // Each view's health (view-health.ts) as one 0/1 gauge per state, so an alert names the view.
    const states = [
      [
        'error',
        'viewcast_view_in_error',
        'in error (its SQL fails on some input it reads, or it failed for good)',
      ],
      ['stuck', 'viewcast_view_stuck', 'stuck (delivered nothing for longer than the bound)'],
      [
        'reconnecting',
        'viewcast_view_reconnecting',
        'reconnecting (its subscription to the engine was lost)',
      ],
    ] as const;
    for (const [state, name, what] of states) {
      this.gauge(registers, name, `1 while the view is ${what}, else 0.`, ['view'], () =>
        hub.viewNames.map((view) => [{ view }, hub.status(view)?.state === state ? 1 : 0]),
      );
    }
    this.gauge(
      registers,
      'viewcast_engine_lag_seconds',
      'Now minus the newest timestamp all views have reached (grows while no events arrive).',
      [],
      () => (hub.timestamp === null ? [] : [[{}, Math.max(0, (this.now() - hub.timestamp) / 1000)]]),
    );
  }

  private defineCounters(registers: Registry[]): void {
    const { counters } = this.fanout;
    const byTransport = (record: Record<string, number>) => (): Values =>
      TRANSPORTS.map((t) => [{ transport: t }, record[t] ?? 0]);
    const one = (value: () => number) => (): Values => [[{}, value()]];
    const c = this.counter.bind(this, registers);
    c(
      'viewcast_frames_sent_total',
      'Frames sent to clients, by transport.',
      byTransport(counters.framesSent),
      ['transport'],
    );
    c(
      'viewcast_bytes_sent_total',
      'Frame bytes sent to clients, by transport.',
      byTransport(counters.bytesSent),
      ['transport'],
    );
    c(
      'viewcast_merged_batches_total',
      'Batches merged into a later one because their client fell behind.',
      one(() => counters.mergedBatches),
    );
    c(
      'viewcast_slow_clients_total',
      'Times a client fell behind its send buffer limit.',
      one(() => counters.slowClients),
    );
    c(
      'viewcast_refused_total',
      'Refused connections and requests, by reason.',
      () => Object.entries(counters.refused).map(([reason, n]) => [{ reason }, n]),
      ['reason'],
    );
    c(
      'viewcast_send_failures_total',
      'Clients dropped because sending to them failed.',
      one(() => counters.sendFailures),
    );
    c(
      'viewcast_dead_sockets_total',
      'WebSockets closed for not answering pings.',
      one(() => this.heartbeat.terminated),
    );
    c(
      'viewcast_moments_total',
      'Engine timestamps published to clients.',
      one(() => this.hub.moments),
    );
  }
}

function remember(map: Map<Timestamp, number>, timestamp: Timestamp, ms: number): void {
  map.set(timestamp, ms);
  if (map.size > MAX_PENDING) map.delete(map.keys().next().value as Timestamp);
}
