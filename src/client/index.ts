/** The viewcast browser client: `connect({ views: ['counter', 'top10'] })`, then listen for changes. */
export { Multiset, consolidate, rowKey, type Change, type Row } from '../core/multiset.js';
export { ViewcastError } from '../core/errors.js';
export { backoffDelay, BACKOFF_DEFAULTS, type BackoffOptions } from '../core/backoff.js';
export {
  connectionStatus,
  step,
  type ConnectionStatus,
  type TransportKind,
  type TransportPreference,
} from './connection-machine.js';
export { LiveView, type ViewChange } from './live-view.js';
export * from './protocol.js';
export { StreamClient, type StreamClientOptions, type ViewUpdate } from './stream-client.js';
export { SseParser, type SseMessage } from '../core/sse-parser.js';
export { endpoint } from './transports.js';
export {
  changesetParts,
  rowToDatum,
  toVegaChangeset,
  type ChangesetParts,
  type Datum,
} from './vega-changeset.js';
export { ViewSet, type ChangeEvent } from './view-set.js';
export { connect, ViewcastClient } from './viewcast-client.js';
export {
  CLIENT_DEFAULTS,
  type ClientEvents,
  type ClientOptions,
  type StatusEvent,
} from './client-options.js';
