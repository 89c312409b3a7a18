/**
 * viewcast's own `/metrics` gauges: connections, who follows which view and how stale they are, the
 * maintained queries, each view's timestamp, retention log and health, and the engine's lag. Read at
 * scrape time from what the hub and the fan-out keep anyway (scraped-metrics.ts).
 */
import type { Registry } from 'prom-client';
import type { Hub } from '../hub/hub.js';
import { queryChannels } from '../hub/query-channels.js';
import { TRANSPORTS, type Fanout } from './fanout.js';
import { scrapedGauge, type ScrapedMetric } from './scraped-metrics.js';

/** Each view's health (view-health.ts) as one 0/1 gauge per state, so that an alert names the view. */
const HEALTH_STATES = [
  [
    'error',
    'viewcast_view_in_error',
    'in error (its SQL fails on some input it reads, or it failed for good)',
  ],
  ['stuck', 'viewcast_view_stuck', 'stuck (delivered nothing for longer than the bound)'],
  ['reconnecting', 'viewcast_view_reconnecting', 'reconnecting (its subscription to the engine was lost)'],
] as const;

export function registerServerGauges(
  registers: Registry[],
  hub: Hub,
  fanout: Fanout,
  now: () => number,
): void {
  const { counters } = fanout;
  const gauges: ScrapedMetric[] = [
    {
      name: 'viewcast_connections',
      help: 'Open client connections by transport.',
      labelNames: ['transport'],
      values: () => TRANSPORTS.map((t) => [{ transport: t }, counters.connections[t]]),
    },
    {
      name: 'viewcast_subscriptions',
      help: 'Clients following each view, over all transports.',
      labelNames: ['view'],
      values: () => {
        const subscriptions = new Map<string, number>(hub.views.map((c) => [c.name, c.listenerCount]));
        for (const session of fanout.sessions.keys())
          for (const view of session.views.keys())
            subscriptions.set(view, (subscriptions.get(view) ?? 0) + 1);
        return [...subscriptions].map(([view, n]) => [{ view }, n]);
      },
    },
    {
      name: 'viewcast_client_staleness_seconds',
      help: 'Per view, the largest "now minus the newest timestamp a client was sent" over its clients.',
      labelNames: ['view'],
      values: () => {
        const staleness = new Map<string, number>(hub.views.map((c) => [c.name, 0]));
        const nowMs = now();
        for (const session of fanout.sessions.keys()) {
          const known = session.lastTimestamp;
          if (known === null) continue;
          for (const view of session.views.keys())
            staleness.set(view, Math.max(staleness.get(view) ?? 0, (nowMs - known) / 1000));
        }
        return [...staleness].map(([view, s]) => [{ view }, s]);
      },
    },
    {
      name: 'viewcast_maintained_queries',
      help: 'Queries over served views kept current on the delta path (identical queries share one), and their subscribers.',
      labelNames: ['kind'],
      values: () => [
        [{ kind: 'pipelines' }, queryChannels(hub).size],
        [{ kind: 'subscribers' }, queryChannels(hub).subscribers],
      ],
    },
    {
      name: 'viewcast_view_timestamp_seconds',
      help: 'The engine timestamp each view is valid at, in seconds since the epoch.',
      labelNames: ['view'],
      values: () => hub.views.map((c) => [{ view: c.name }, (c.timestamp ?? 0) / 1000]),
    },
    {
      name: 'viewcast_retention_batches',
      help: "Batches in each view's retention log.",
      labelNames: ['view'],
      values: () => hub.views.map((c) => [{ view: c.name }, c.retained?.length ?? 0]),
    },
    {
      name: 'viewcast_retention_bytes',
      help: "Encoded bytes in each view's retention log.",
      labelNames: ['view'],
      values: () => hub.views.map((c) => [{ view: c.name }, c.retained?.bytes ?? 0]),
    },
    ...HEALTH_STATES.map(([state, name, what]): ScrapedMetric => ({
      name,
      help: `1 while the view is ${what}, else 0.`,
      labelNames: ['view'],
      values: () => hub.viewNames.map((view) => [{ view }, hub.status(view)?.state === state ? 1 : 0]),
    })),
    {
      name: 'viewcast_engine_lag_seconds',
      help: 'Now minus the newest timestamp all views have reached (grows while no events arrive).',
      values: () => (hub.timestamp === null ? [] : [[{}, Math.max(0, (now() - hub.timestamp) / 1000)]]),
    },
  ];
  for (const gauge of gauges) scrapedGauge(registers, gauge);
}
