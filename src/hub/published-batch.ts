/**
 * A view's batch as the hub publishes it: the changes with their serialized forms, each made once
 * per view and timestamp and shared by every subscriber, transport and the retention log.
 */
import type { KeyColumns } from '../core/keyed.js';
import type { Change } from '../core/multiset.js';
import type { Timestamp } from '../engine/types.js';
import type { Batch } from './batch-builder.js';
import { keyedEntry } from './keyed-wire.js';
import { fragmentChanges, streamFrameFrom } from './wire.js';

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
 * Once its moment has been published the batch is `retire`d: from then on it lives in the
 * retention log as its fragment alone, and its changes are read back from that text when a
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
  private stream: string | null = null;
  private keyed: string | null = null;

  /** `fragment`: the batch's changes as `changesFragment` writes them. */
  constructor(
    readonly view: string,
    batch: Batch,
    readonly fragment: string,
    readonly previousBase: Timestamp,
    private readonly key: KeyColumns | null,
  ) {
    this.timestamp = batch.timestamp;
    this.live = batch.changes;
    if (batch.errors) this.errors = batch.errors;
    this.bytes = Buffer.byteLength(fragment);
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

  /** Keeps only the fragment (and the keyed entry, if some client needed it): see above. */
  retire(): void {
    this.live = null;
    this.stream = null;
  }
}
