/**
 * A view's batch as the hub publishes it: the changes with their serialized forms, each made once
 * per view and timestamp and shared by every subscriber, transport and the retention log.
 */
import type { KeyColumns } from '../core/keyed.js';
import type { Change } from '../core/multiset.js';
import type { Timestamp } from '../engine/types.js';
import type { Batch } from './batch-builder.js';
import { keyedEntry } from './keyed-wire.js';
import { fragmentChanges, fragmentOf, listText, streamFrameFrom } from './wire.js';

/** Bytes of a fragment's frame around its two lists. */
const FRAGMENT_FRAME_BYTES = fragmentOf('', '').length;

export interface PublishedBatch extends Batch {
  view: string;
  /** `{"inserted":[...],"deleted":[...]}`, serialized once. */
  readonly fragment: string;
  /** Encoded size of the fragment in bytes. */
  readonly bytes: number;
  /** The batch as a `/api/stream` message. */
  readonly streamFrame: string;
  /** The view's base before this batch: the timestamp of its previous batch (keyed frames count from it). */
  readonly previousBase: Timestamp;
  /** The keyed form's entry for this batch (keyed-wire.ts), serialized once. */
  readonly keyedEntry: string;
}

/**
 * A class rather than an object literal with a getter: one of these is made per view and
 * transaction, and a literal with an accessor is built on V8's slow path. The forms only some
 * clients use are made on first use.
 *
 * The fragment too is made on first use: most batches are never read by anyone (no client is
 * connected, or none follows the view), so only the texts of its two lists are kept (`listText`:
 * the row's own text for the common one-row list, nothing made), and its size is counted from them.
 * Whoever reads it, now or from the retention log later, gets the same bytes.
 *
 * Once its moment has been published the batch is `retire`d: from then on it lives in the
 * retention log as its fragment's text alone, and its changes are read back from that text when a
 * catch-up or an AS OF replay asks for them (rare). Keeping every retained batch's rows as objects
 * made the garbage collector copy and trace them all, which cost more than anything else on the
 * publish path; and the log's byte limit now bounds what it really holds.
 */
export class Published implements PublishedBatch {
  readonly timestamp: Timestamp;
  readonly errors?: Batch['errors'];
  readonly bytes: number;
  /** The changes as objects, until the batch is retired. */
  private live: Change[] | null;
  /** The fragment's lists until the fragment is made (then both empty). */
  private inserted: string;
  private deleted: string;
  private text: string | null = null;
  private stream: string | null = null;
  private keyed: string | null = null;

  /** `texts`: the changes' rows' texts (`rowTexts`), at the same index. */
  constructor(
    readonly view: string,
    batch: Batch,
    texts: readonly string[],
    readonly previousBase: Timestamp,
    private readonly key: KeyColumns | null,
  ) {
    this.timestamp = batch.timestamp;
    const { changes } = batch;
    this.live = changes;
    if (batch.errors) this.errors = batch.errors;
    this.inserted = listText(changes, texts, true);
    this.deleted = listText(changes, texts, false);
    this.bytes = FRAGMENT_FRAME_BYTES + Buffer.byteLength(this.inserted) + Buffer.byteLength(this.deleted);
  }

  /** `{"inserted":[...],"deleted":[...]}` (`changesFragment`), made once on first use. */
  get fragment(): string {
    if (this.text === null) {
      this.text = fragmentOf(this.inserted, this.deleted);
      this.inserted = this.deleted = '';
    }
    return this.text;
  }

  /** Consolidated, as published; once retired, read back from the fragment (in another order). */
  get changes(): Change[] {
    return this.live ?? fragmentChanges(this.fragment);
  }

  get streamFrame(): string {
    this.stream ??= streamFrameFrom(this.fragment, this.timestamp);
    return this.stream;
  }

  get keyedEntry(): string {
    this.keyed ??= keyedEntry(this.changes, this.key);
    return this.keyed;
  }

  /** Keeps only the fragment's text (and the keyed entry, if some client needed it): see above. */
  retire(): void {
    this.live = null;
    this.stream = null;
  }
}
