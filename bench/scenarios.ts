/** The benchmark scenarios by name, in the order `npm run bench` runs them. */
import type { Scenario } from './result.js';

export const scenarios: Record<string, () => Promise<Scenario>> = {
  'fan-out': async () => (await import('./fan-out.js')).default,
  'send-cost': async () => (await import('./send-cost.js')).default,
  'ingest-latency': async () => (await import('./ingest-latency.js')).default,
  'time-to-state': async () => (await import('./time-to-state.js')).default,
  memory: async () => (await import('./memory.js')).default,
  'bytes-per-update': async () => (await import('./bytes-per-update.js')).default,
  'gateway-lag': async () => (await import('./gateway-lag.js')).default,
  'event-decode': async () => (await import('./event-decode.js')).default,
  'engine-throughput': async () => (await import('./engine-throughput.js')).default,
  'engine-users': async () => (await import('./engine-users.js')).default,
  'engine-store': async () => (await import('./engine-store.js')).default,
  'engine-transaction': async () => (await import('./engine-transaction.js')).default,
  'engine-footprint': async () => (await import('./engine-footprint.js')).default,
  'engine-event-loop': async () => (await import('./engine-event-loop.js')).default,
  'engine-latency': async () => (await import('./engine-latency.js')).default,
  'subscribe-frames': async () => (await import('./subscribe-frames.js')).default,
  'retained-log': async () => (await import('./retained-log.js')).default,
  'subscribe-query': async () => (await import('./subscribe-query.js')).default,
};
