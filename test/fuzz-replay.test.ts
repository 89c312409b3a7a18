/**
 * Property tests of the replay reader: a recording with arbitrary garbage lines mixed into it hands
 * over every good event, in order, with its resume position, and counts every bad line as skipped.
 * Bad input is never fatal and never hides the good events around it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { ReplaySource } from '../src/sources/replay.js';
import type { RawEvent } from '../src/sources/types.js';
import { fuzz } from './support/fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'viewcast-fuzz-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Line = { good: RawEvent } | { bad: string };

/** Good events; `meta.id` is made unique per line, since a repeated id is (rightly) a duplicate. */
const goodEvent = fc
  .record({ user: fc.string({ maxLength: 8 }), title: fc.string({ maxLength: 8 }) })
  .map((e): Line => ({ good: { ...e, meta: { id: '' } } }));

function uniqueIds(lines: Line[]): Line[] {
  return lines.map((l, i) => ('good' in l ? { good: { ...l.good, meta: { id: `event-${i}` } } } : l));
}

/** Lines that are not one JSON object: broken JSON, other JSON values, binary noise. */
const badLine = fc
  .oneof(
    fc.string({ maxLength: 30, unit: 'binary' }),
    fc.constantFrom('{', '{"user": "x"', '[1,2]', '42', 'null', '"text"', 'true', '{"a":1}}', '}{'),
    fc.json().filter((j) => !j.trim().startsWith('{')),
  )
  .map((text) => text.replace(/[\r\n]/g, ' '))
  .filter((text) => text.trim() !== '' && !isObjectJson(text))
  .map((text): Line => ({ bad: text }));

function isObjectJson(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

let fileNumber = 0;
async function replay(lines: Line[], resumeFrom: string | null = null) {
  const file = join(dir, `recording-${fileNumber++}.jsonl`);
  writeFileSync(file, lines.map((l) => ('good' in l ? JSON.stringify(l.good) : l.bad)).join('\n'));
  const pushed: Array<{ event: RawEvent; position: string | null }> = [];
  const skipped: string[] = [];
  const source = new ReplaySource({ file, speed: 'max' });
  await source.run(
    {
      push: (event, position) => void pushed.push({ event, position }),
      skip: (reason) => void skipped.push(reason),
    },
    resumeFrom,
  );
  return { pushed, skipped, status: source.status() };
}

describe('replay of a recording with garbage lines', { timeout: 300_000 }, () => {
  it('hands over every good event in order and counts every bad line, whatever comes first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(goodEvent, badLine), { minLength: 1, maxLength: 25 }),
        async (lines) => {
          const { pushed, skipped, status } = await replay(lines);
          const good = lines.flatMap((l) => ('good' in l ? [l.good] : []));
          assert.deepEqual(
            pushed.map((p) => p.event),
            good,
          );
          assert.equal(skipped.length, lines.length - good.length, `skipped: ${skipped.join(', ')}`);
          assert.equal(status.finished, true);
        },
      ),
      fuzz(150),
    );
  });

  it('resumes after any position without repeating or losing a good event', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(goodEvent, badLine), { minLength: 1, maxLength: 20 }).map(uniqueIds),
        fc.nat(),
        async (lines, cut) => {
          const first = await replay(lines);
          const stop = first.pushed[cut % Math.max(1, first.pushed.length)];
          if (!stop) return;
          const rest = await replay(lines, stop.position);
          assert.deepEqual(
            [...first.pushed.slice(0, first.pushed.indexOf(stop) + 1), ...rest.pushed].map((p) => p.event),
            first.pushed.map((p) => p.event),
          );
        },
      ),
      fuzz(100),
    );
  });
});
