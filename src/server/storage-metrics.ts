/**
 * `/metrics` gauges of the engine's disk use: the retained event log (`--retain`) and the data
 * directory. Registered by the app beside the server's own metrics (metrics.ts), read at scrape time.
 */
import type { Registry } from 'prom-client';
import type { RetentionStatus } from '../engine/embedded/retention.js';
import { scrapedGauge } from './scraped-metrics.js';

export function registerStorageMetrics(registry: Registry, read: () => RetentionStatus | null): void {
  const gauges: Array<[string, string, (s: RetentionStatus) => number | null]> = [
    ['viewcast_retained_log_bytes', 'Bytes of the retained event log (--retain).', (s) => s.bytes],
    ['viewcast_retained_log_events', 'Events and changes held by the retained event log.', (s) => s.events],
    [
      'viewcast_retained_oldest_seconds',
      'Time of the oldest retained event, in seconds since the epoch (0: none).',
      (s) => (s.oldest === null ? 0 : s.oldest / 1000),
    ],
    [
      'viewcast_data_dir_bytes',
      'Bytes the data directory takes on disk (0 with --memory).',
      (s) => s.dataDirBytes,
    ],
  ];
  for (const [name, help, value] of gauges) {
    scrapedGauge([registry], {
      name,
      help,
      values: () => {
        const status = read();
        return [[{}, (status && value(status)) ?? 0]];
      },
    });
  }
}
