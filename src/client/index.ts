export { Multiset, consolidate, rowKey, type Change, type Row } from '../core/multiset.js';
export { LiveView, type StreamMessage } from './live-view.js';
export {
  StreamClient,
  type ConnectionState,
  type StreamClientOptions,
  type ViewUpdate,
} from './stream-client.js';
export { changesetParts, rowToDatum, type ChangesetParts, type Datum } from './vega-changeset.js';
