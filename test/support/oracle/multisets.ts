/**
 * Views compared as multisets of wire rows (row -> count), by a canonical key that keeps every
 * distinction the wire keeps: 1 and '1' differ, a BigInt is not a number, a Date is its instant.
 */
export type Row = readonly unknown[];
export type Counted = Map<string, number>;

function canonical(value: unknown): unknown {
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (value instanceof Date) return { date: Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString() };
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
  if (typeof value === 'number' && !Number.isFinite(value)) return { number: String(value) };
  if (value === undefined) return { undefined: true };
  return value;
}

export function rowKey(row: Row): string {
  // Dates are tagged before JSON.stringify, which would call their toJSON before any replacer.
  return JSON.stringify(row.map(canonical), (_key, value: unknown) => canonical(value));
}

export function addTo(counted: Counted, row: Row, diff: number): void {
  const key = rowKey(row);
  const n = (counted.get(key) ?? 0) + diff;
  if (n === 0) counted.delete(key);
  else counted.set(key, n);
}

export function countRows(rows: Iterable<Row>): Counted {
  const counted: Counted = new Map();
  for (const row of rows) addTo(counted, row, 1);
  return counted;
}

export function countChanges(changes: Iterable<readonly [Row, number]>): Counted {
  const counted: Counted = new Map();
  for (const [row, diff] of changes) addTo(counted, row, diff);
  return counted;
}

/** Lines naming every row whose count differs, empty when the multisets are equal. */
export function differences(expected: Counted, actual: Counted): string[] {
  const lines: string[] = [];
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const e = expected.get(key) ?? 0;
    const a = actual.get(key) ?? 0;
    if (e !== a) lines.push(`${key}: expected ${e}, got ${a}`);
  }
  return lines.sort();
}

/** The multiset as `row xN` lines, sorted, for a report. */
export function listing(counted: Counted): string {
  if (counted.size === 0) return '(no rows)';
  return [...counted]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, n]) => (n === 1 ? key : `${key} x${n}`))
    .join('\n');
}
