/**
 * Turns the rows of `FETCH ... FROM <SUBSCRIBE ... WITH (PROGRESS) cursor>` into the engine
 * contract's SubscribeRows. Columns: mz_timestamp (numeric), mz_progressed (boolean), mz_diff
 * (int8, NULL on progress rows), then the view's columns.
 *
 * - Timestamps are read as BigInt (Materialize sends numeric, possibly above 2^53) and carried as
 *   numbers only when they are safe integers; anything else is an error that says so.
 * - Data rows are held until the timestamp is known complete, then consolidated per (timestamp,
 *   row), so a +1/-1 pair within a timestamp never reaches the hub. A timestamp is complete at an
 *   explicit progress row, or when a data row at a later timestamp arrives (SUBSCRIBE sends
 *   timestamps in order, so that row implies progress).
 */
import { consolidate, type Change, type Row } from '../../core/multiset.js';
import { ViewcastError } from '../../core/errors.js';
import type { SubscribeRow, Timestamp } from '../types.js';

export const SUBSCRIBE_COLUMNS = ['mz_timestamp', 'mz_progressed', 'mz_diff'] as const;

export class SubscribeDecoder {
  private pending: Change[] = [];
  private pendingTimestamp: Timestamp | null = null;
  private frontier: Timestamp | null = null;

  constructor(private readonly view: string) {}

  /** Checks the cursor's columns: the progress column must be there, and the view's columns after it. */
  static checkColumns(view: string, names: string[], expected: string[]): void {
    const head = names.slice(0, 3);
    if (head.join() !== SUBSCRIBE_COLUMNS.join()) {
      throw new ViewcastError(
        'VIEWCAST_REMOTE_PROTOCOL',
        `SUBSCRIBE to ${view} returned columns ${head.join(', ')}; expected ${SUBSCRIBE_COLUMNS.join(', ')}. ` +
          'The remote must be Materialize or viewcast, and support WITH (PROGRESS).',
      );
    }
    const rest = names.slice(3);
    if (rest.join() !== expected.join()) {
      throw new ViewcastError(
        'VIEWCAST_REMOTE_SCHEMA',
        `view ${view} on the remote now has columns (${rest.join(', ')}) instead of (${expected.join(', ')}); restart viewcast to pick up the change.`,
      );
    }
  }

  /** Decodes one FETCH's rows (in row-array form). Returns rows for the engine's listener. */
  decode(rows: unknown[][]): SubscribeRow[] {
    const out: SubscribeRow[] = [];
    for (const raw of rows) {
      const timestamp = parseTimestamp(raw[0], this.view);
      if (this.frontier !== null && timestamp < this.frontier && parseBoolean(raw[1]) === false) {
        throw new ViewcastError(
          'VIEWCAST_REMOTE_PROTOCOL',
          `SUBSCRIBE to ${this.view} sent an update at ${timestamp} after promising none before ${this.frontier}.`,
        );
      }
      if (parseBoolean(raw[1])) {
        this.flush(out);
        if (this.frontier === null || timestamp > this.frontier) {
          this.frontier = timestamp;
          out.push({ progressed: true, timestamp });
        }
        continue;
      }
      if (this.pendingTimestamp !== null && timestamp > this.pendingTimestamp) {
        this.flush(out);
        this.frontier = timestamp;
        out.push({ progressed: true, timestamp }); // implied: nothing more at earlier timestamps
      }
      this.pendingTimestamp = timestamp;
      this.pending.push([raw.slice(3) as Row, parseDiff(raw[2], this.view)]);
    }
    return out;
  }

  private flush(out: SubscribeRow[]): void {
    const timestamp = this.pendingTimestamp;
    if (timestamp === null) return;
    for (const [row, diff] of consolidate(this.pending))
      out.push({ progressed: false, timestamp, diff, row });
    this.pending = [];
    this.pendingTimestamp = null;
  }
}

export function parseTimestamp(value: unknown, view: string): Timestamp {
  const text =
    typeof value === 'string'
      ? value.trim()
      : typeof value === 'bigint' || typeof value === 'number'
        ? String(value)
        : '';
  if (!/^\d+$/.test(text)) {
    throw new ViewcastError(
      'VIEWCAST_REMOTE_PROTOCOL',
      `SUBSCRIBE to ${view} sent mz_timestamp "${String(value)}", not a whole number.`,
    );
  }
  const big = BigInt(text);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ViewcastError(
      'VIEWCAST_REMOTE_TIMESTAMP',
      `SUBSCRIBE to ${view} sent mz_timestamp ${text}, beyond 2^53: viewcast carries timestamps as exact numbers ` +
        'and cannot follow a timeline that large (Materialize uses milliseconds since the epoch for its sources).',
    );
  }
  return Number(big);
}

function parseBoolean(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}

export function parseDiff(value: unknown, view: string): number {
  const text =
    typeof value === 'string'
      ? value.trim()
      : typeof value === 'bigint' || typeof value === 'number'
        ? String(value)
        : '';
  if (!/^-?\d+$/.test(text) || BigInt(text) === 0n) {
    throw new ViewcastError(
      'VIEWCAST_REMOTE_PROTOCOL',
      `SUBSCRIBE to ${view} sent mz_diff "${String(value)}", not a non-zero integer.`,
    );
  }
  const diff = Number(text);
  if (!Number.isSafeInteger(diff)) {
    throw new ViewcastError(
      'VIEWCAST_REMOTE_PROTOCOL',
      `SUBSCRIBE to ${view} sent mz_diff ${text}, beyond 2^53.`,
    );
  }
  return diff;
}
