/**
 * Lines in the shape of `COPY (SUBSCRIBE <view> WITH (PROGRESS)) TO STDOUT`: tab-separated
 * `timestamp, progressed, diff, columns...` in Postgres' COPY text format (`\N` for NULL, `t`/`f`,
 * backslash escapes for tab, newline, carriage return and backslash).
 */
import type { Change, Row } from '../core/multiset.js';

export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

export function dataLine(timestamp: number, diff: number, row: Row): string {
  return [String(timestamp), 'f', String(diff), ...row.map(copyValue)].join('\t');
}

/** A progress line at `timestamp`: every change before it has been printed. */
export function progressLine(timestamp: number, columns: number): string {
  return [String(timestamp), 't', '\\N', ...Array.from({ length: columns }, () => '\\N')].join('\t');
}

export function dataLines(timestamp: number, changes: Iterable<Change>): string[] {
  const lines: string[] = [];
  for (const [row, diff] of changes) lines.push(dataLine(timestamp, diff, row));
  return lines;
}
