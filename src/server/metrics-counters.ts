/**
 * viewcast's own `/metrics` counters: frames and bytes sent, slow clients and their merged batches,
 * refusals, failed sends, dead sockets and published moments. The fan-out, the heartbeat and the hub
 * keep these totals anyway; a scrape reads them (scraped-metrics.ts).
 */
import type { Registry } from 'prom-client';
import type { Hub } from '../hub/hub.js';
import { TRANSPORTS, type Fanout } from './fanout.js';
import type { Heartbeat } from './heartbeat.js';
import { scrapedCounter, type LabelledValues, type ScrapedMetric } from './scraped-metrics.js';

export function registerServerCounters(
  registers: Registry[],
  hub: Hub,
  fanout: Fanout,
  heartbeat: Heartbeat,
): void {
  const { counters } = fanout;
  const byTransport = (record: Record<string, number>) => (): LabelledValues =>
    TRANSPORTS.map((t) => [{ transport: t }, record[t] ?? 0]);
  const one = (value: () => number) => (): LabelledValues => [[{}, value()]];
  const transport = ['transport'];
  const metrics: ScrapedMetric[] = [
    {
      name: 'viewcast_frames_sent_total',
      help: 'Frames sent to clients, by transport.',
      labelNames: transport,
      values: byTransport(counters.framesSent),
    },
    {
      name: 'viewcast_bytes_sent_total',
      help: 'Frame bytes sent to clients, by transport.',
      labelNames: transport,
      values: byTransport(counters.bytesSent),
    },
    {
      name: 'viewcast_merged_batches_total',
      help: 'Batches merged into a later one because their client fell behind.',
      values: one(() => counters.mergedBatches),
    },
    {
      name: 'viewcast_slow_clients_total',
      help: 'Times a client fell behind its send buffer limit.',
      values: one(() => counters.slowClients),
    },
    {
      name: 'viewcast_refused_total',
      help: 'Refused connections and requests, by reason.',
      labelNames: ['reason'],
      values: () => Object.entries(counters.refused).map(([reason, n]) => [{ reason }, n]),
    },
    {
      name: 'viewcast_send_failures_total',
      help: 'Clients dropped because sending to them failed.',
      values: one(() => counters.sendFailures),
    },
    {
      name: 'viewcast_dead_sockets_total',
      help: 'WebSockets closed for not answering pings.',
      values: one(() => heartbeat.terminated),
    },
    {
      name: 'viewcast_moments_total',
      help: 'Engine timestamps published to clients.',
      values: one(() => hub.moments),
    },
  ];
  for (const counter of metrics) scrapedCounter(registers, counter);
}
