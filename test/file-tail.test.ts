/**
 * Following a file on its own, against a collecting sink: a restart resumes at the stored
 * `<inode>:<offset>` position instead of reading the file again, and a file that does not exist
 * yet is waited for. (Partial writes, truncation and rotation through the whole server are in
 * sources-together.test.ts.)
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileTailSource } from '../src/sources/file-tail.js';
import { decodeDedupePosition } from '../src/sources/stream-position.js';
import type { EventSink, RawEvent } from '../src/sources/types.js';
import { sseBlocks, sseText } from './support/mock-eventstreams.js';
import { recording } from './support/shared-data.js';

const blocks = sseBlocks(readFileSync(recording('recentchange-2026-06-20-384.sse'), 'utf8'));
const text = (from: number, to: number): string => sseText(blocks, from, to);
/** The `meta.id` of a recorded message, read from its `data:` line. */
const blockId = (b: (typeof blocks)[number]): string =>
  (JSON.parse(/^data: (.*)$/m.exec(b.text)?.[1] ?? '{}') as { meta: { id: string } }).meta.id;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Runs a tail until it has handed over `n` events; returns them and the last position. */
async function tailUntil(
  file: string,
  n: number,
  resumeFrom: string | null,
  whileRunning: () => void = () => undefined,
): Promise<{ events: RawEvent[]; position: string | null }> {
  const source = new FileTailSource({ file, pollMs: 50, log: quiet });
  const events: RawEvent[] = [];
  let position: string | null = null;
  const sink: EventSink = {
    push: (event, at) => {
      events.push(event);
      position = at;
      if (events.length === n) source.stop();
    },
    skip: () => undefined,
  };
  const running = source.run(sink, resumeFrom);
  whileRunning();
  await running;
  return { events, position };
}

describe('file tail on its own', { timeout: 60_000 }, () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'viewcast-tail-'));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resumes after a restart at the stored position, not from the start', async () => {
    const file = join(dir, 'resume.sse');
    writeFileSync(file, text(0, 5));
    const first = await tailUntil(file, 5, null);
    assert.match(decodeDedupePosition(first.position).at ?? '', /^\d+:\d+$/);
    appendFileSync(file, text(5, 8));
    const second = await tailUntil(file, 3, first.position);
    const id = (e: RawEvent): unknown => (e['meta'] as { id: string }).id;
    assert.deepEqual(second.events.map(id), blocks.slice(5, 8).map(blockId));
  });

  it('drops a duplicate that straddles a restart: the latest ids travel with the position', async () => {
    const file = join(dir, 'straddling.sse');
    writeFileSync(file, text(20, 25));
    const first = await tailUntil(file, 5, null);
    // After the restart the stream re-delivers event 23 (same meta.id), then goes on.
    appendFileSync(file, text(23, 24) + text(25, 27));
    const skipped: string[] = [];
    const source = new FileTailSource({ file, pollMs: 50, log: quiet });
    const events: RawEvent[] = [];
    await source.run(
      {
        push: (event) => {
          events.push(event);
          if (events.length === 2) source.stop();
        },
        skip: (reason) => skipped.push(reason),
      },
      first.position,
    );
    assert.deepEqual(skipped, ['duplicate']);
    assert.equal(events.length, 2);
  });

  it('hands over every event of a file larger than one read, in order', async () => {
    const file = join(dir, 'whole.sse');
    const whole = text(0, blocks.length);
    writeFileSync(file, whole);
    const source = new FileTailSource({ file, pollMs: 50, log: quiet });
    const ids: unknown[] = [];
    const skipped: string[] = [];
    await source.run(
      {
        push: (event, at) => {
          ids.push((event['meta'] as { id: string }).id);
          // Stopped once the last message of the file is read, however many events came before.
          if (decodeDedupePosition(at).at?.endsWith(`:${Buffer.byteLength(whole)}`)) source.stop();
        },
        skip: (reason) => skipped.push(reason),
      },
      null,
    );
    assert.deepEqual(skipped, []);
    assert.deepEqual(ids, blocks.map(blockId));
  });

  it('waits for a file that does not exist yet', async () => {
    const file = join(dir, 'later.sse');
    const { events } = await tailUntil(file, 2, null, () => writeFileSync(file, text(10, 12)));
    assert.equal(events.length, 2);
  });
});
