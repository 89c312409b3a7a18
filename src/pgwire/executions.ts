/**
 * What an Execute (or a simple query) runs: finite rows, a live subscription, a COPY, or a bare
 * command. Each can stop after `maxRows` and resume on the next Execute of the same portal, as
 * the extended protocol allows; `maxRows` 0 means run to the end (for a subscription: forever).
 */
import {
  commandComplete,
  copyData,
  copyDone,
  copyOutResponse,
  copyTextLine,
  dataRow,
  portalSuspended,
} from './backend-messages.js';
import type { BinaryColumns } from './backend-messages.js';
import type { Output } from './output.js';
import type { Feed, OutputRow } from './subscribe-output.js';

export type Encoded = Array<string | null>;

export interface Execution {
  /**
   * Sends rows; resolves 'suspended' after `maxRows` rows (then a PortalSuspended was sent).
   * `binary`: the columns the client asked for in binary (Bind's result formats).
   */
  resume(
    out: Output,
    maxRows: number,
    signal: AbortSignal,
    binary?: BinaryColumns,
  ): Promise<'done' | 'suspended'>;
  close(): void;
}

export class CommandExecution implements Execution {
  constructor(private readonly tag: string) {}

  async resume(out: Output): Promise<'done'> {
    out.send(commandComplete(this.tag));
    return 'done';
  }

  close(): void {}
}

/** Finite rows: a SELECT, SHOW, or a FETCH that already has its rows. */
export class RowsExecution implements Execution {
  private offset = 0;

  /** `tag` gets the row count appended (`SELECT 10`, `FETCH 3`). */
  constructor(
    private readonly rows: Encoded[],
    private readonly tag: string,
    /** For COPY ... TO STDOUT: the number of columns; null for ordinary rows. */
    private readonly copyWidth: number | null = null,
  ) {}

  private get copy(): boolean {
    return this.copyWidth !== null;
  }

  async resume(
    out: Output,
    maxRows: number,
    signal: AbortSignal,
    binary: BinaryColumns = null,
  ): Promise<'done' | 'suspended'> {
    if (this.copyWidth !== null && this.offset === 0) out.send(copyOutResponse(this.copyWidth));
    const end = maxRows > 0 ? Math.min(this.rows.length, this.offset + maxRows) : this.rows.length;
    for (; this.offset < end; this.offset++) {
      const row = this.rows[this.offset] as Encoded;
      out.send(this.copy ? copyData(copyTextLine(row)) : dataRow(row, binary));
      if (out.shouldFlush) await out.flushAndDrain(signal);
    }
    if (this.offset < this.rows.length) {
      out.send(portalSuspended());
      return 'suspended';
    }
    if (this.copy) out.send(copyDone());
    out.send(commandComplete(`${this.tag} ${this.rows.length}`));
    return 'done';
  }

  close(): void {}
}

/**
 * A live SUBSCRIBE: rows are sent as they happen, until the client cancels or goes away, or the
 * subscription reaches its UP TO.
 */
export class FeedExecution implements Execution {
  private copyStarted = false;
  private sentTotal = 0;

  constructor(
    private readonly feed: Feed,
    private readonly encode: (row: OutputRow) => Encoded,
    private readonly width: number,
    private readonly copy = false,
  ) {}

  async resume(
    out: Output,
    maxRows: number,
    signal: AbortSignal,
    binary: BinaryColumns = null,
  ): Promise<'done' | 'suspended'> {
    if (this.copy && !this.copyStarted) {
      this.copyStarted = true;
      out.send(copyOutResponse(this.width));
    }
    let sent = 0;
    while ((maxRows === 0 || sent < maxRows) && !(this.feed.done && this.feed.ready === 0)) {
      if (this.feed.ready === 0) await out.flushAndDrain(signal);
      const rows = await this.feed.next(maxRows === 0 ? 10_000 : maxRows - sent, null, signal);
      for (const row of rows) {
        const values = this.encode(row);
        out.send(this.copy ? copyData(copyTextLine(values)) : dataRow(values, binary));
      }
      sent += rows.length;
      if (out.shouldFlush) await out.flushAndDrain(signal);
    }
    this.sentTotal += sent;
    if (this.feed.done && this.feed.ready === 0) {
      if (this.copy) out.send(copyDone());
      out.send(commandComplete(this.copy ? `COPY ${this.sentTotal}` : `SUBSCRIBE ${this.sentTotal}`));
      return 'done';
    }
    out.send(portalSuspended());
    return 'suspended';
  }

  close(): void {
    this.feed.close();
  }
}
