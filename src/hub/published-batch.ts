/**
 * A view's batch as the hub publishes it: the changes with their serialized forms, each made once
 * per view and timestamp and shared by every subscriber, transport and the retention log.
 */
import type { KeyColumns } from '../core/keyed.js';
import type { Change } from '../core/multiset.js';
import type { Timestamp } from '../engine/types.js';
import type { Batch } from './batch-builder.js';
import { keyedEntry } from './keyed-wire.js';
import { streamFrameFrom } from './wire.js';

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
 */
export class Published implements PublishedBatch {
  readonly timestamp: Timestamp;
  readonly changes: Change[];
  readonly errors?: Batch['errors'];
  readonly bytes: number;
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
    this.changes = batch.changes;
    if (batch.errors) this.errors = batch.errors;
    this.bytes = Buffer.byteLength(fragment);
  }

  get streamFrame(): string {
    this.stream ??= streamFrameFrom(this.fragment, this.timestamp);
    return this.stream;
  }

  get keyedEntry(): string {
    this.keyed ??= keyedEntry(this.changes, this.key);
    return this.keyed;
  }
}
