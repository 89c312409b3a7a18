/**
 * `/metrics` in the Prometheus text format (version 0.0.4). Everything is computed at scrape time
 * from counters the fan-out keeps anyway; nothing on the hot path exists only for metrics.
 */
import type { Hub } from '../hub/hub.js';
import { TRANSPORTS, type Fanout } from './fanout.js';
import type { Heartbeat } from './heartbeat.js';

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Exposition {
  private text = '';

  metric(name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Labels, number]>): void {
    this.text += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    for (const [labels, value] of samples) {
      const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      this.text += `${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${Number.isFinite(value) ? value : 0}\n`;
    }
  }

  toString(): string {
    return this.text;
  }
}

export function renderMetrics(hub: Hub, fanout: Fanout, heartbeat: Heartbeat, nowMs = Date.now()): string {
  const out = new Exposition();
  const { counters } = fanout;
  out.metric(
    'viewcast_connections',
    'gauge',
    'Open client connections by transport.',
    TRANSPORTS.map((t) => [{ transport: t }, counters.connections[t]]),
  );
  const subscriptions = new Map<string, number>();
  const staleness = new Map<string, number>();
  for (const channel of hub.views) subscriptions.set(channel.name, channel.listenerCount);
  for (const session of fanout.sessions.keys()) {
    for (const view of session.views.keys()) {
      subscriptions.set(view, (subscriptions.get(view) ?? 0) + 1);
      const known = session.lastTimestamp;
      if (known === null) continue;
      staleness.set(view, Math.max(staleness.get(view) ?? 0, (nowMs - known) / 1000));
    }
  }
  out.metric(
    'viewcast_subscriptions',
    'gauge',
    'Clients following each view, over all transports.',
    [...subscriptions].map(([view, n]) => [{ view }, n]),
  );
  out.metric(
    'viewcast_frames_sent_total',
    'counter',
    'Frames sent to clients, by transport.',
    TRANSPORTS.map((t) => [{ transport: t }, counters.framesSent[t]]),
  );
  out.metric(
    'viewcast_bytes_sent_total',
    'counter',
    'Frame bytes sent to clients, by transport.',
    TRANSPORTS.map((t) => [{ transport: t }, counters.bytesSent[t]]),
  );
  out.metric(
    'viewcast_merged_batches_total',
    'counter',
    'Batches merged into a later one because their client fell behind.',
    [[{}, counters.mergedBatches]],
  );
  out.metric('viewcast_slow_clients_total', 'counter', 'Times a client fell behind its send buffer limit.', [
    [{}, counters.slowClients],
  ]);
  out.metric(
    'viewcast_refused_total',
    'counter',
    'Refused connections and requests, by reason.',
    Object.entries(counters.refused).map(([reason, n]) => [{ reason }, n]),
  );
  out.metric('viewcast_dead_sockets_total', 'counter', 'WebSockets closed for not answering pings.', [
    [{}, heartbeat.terminated],
  ]);
  out.metric(
    'viewcast_client_staleness_seconds',
    'gauge',
    'Per view, the largest "now minus the newest timestamp a client was sent" over its clients.',
    [...staleness].map(([view, s]) => [{ view }, s]),
  );
  out.metric(
    'viewcast_view_timestamp_seconds',
    'gauge',
    'The engine timestamp each view is valid at, in seconds since the epoch.',
    hub.views.map((c) => [{ view: c.name }, (c.timestamp ?? 0) / 1000]),
  );
  out.metric(
    'viewcast_retention_batches',
    'gauge',
    "Batches in each view's retention log.",
    hub.views.map((c) => [{ view: c.name }, c.retained?.length ?? 0]),
  );
  out.metric(
    'viewcast_retention_bytes',
    'gauge',
    "Encoded bytes in each view's retention log.",
    hub.views.map((c) => [{ view: c.name }, c.retained?.bytes ?? 0]),
  );
  const timestamp = hub.timestamp;
  out.metric(
    'viewcast_engine_lag_seconds',
    'gauge',
    'Now minus the newest timestamp all views have reached (grows while no events arrive).',
    timestamp === null ? [] : [[{}, Math.max(0, (nowMs - timestamp) / 1000)]],
  );
  out.metric('viewcast_moments_total', 'counter', 'Engine timestamps published to clients.', [
    [{}, hub.moments],
  ]);
  return out.toString();
}
