/**
 * Replay on its own, against a collecting sink: gzipped recordings, the 100-event recording without
 * a final newline, resuming from a stored position, `--loop` with fresh event ids, and the progress
 * line a terminal shows. (The replay through the whole server is in replay-end-to-end.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { metaId } from '../src/sources/event-schema.js';
import { decodeDedupePosition } from '../src/sources/stream-position.js';
import { ReplayProgress } from '../src/sources/replay-progress.js';
import { readRecording, ReplaySource } from '../src/sources/replay.js';
import type { EventSink, RawEvent, SourceLog } from '../src/sources/types.js';
import { recording } from './support/shared-data.js';

const OLD_100 = 'recentchange-2023-07-29-enwiki-100.jsonl';
/** The event count of a replay position (which also carries the latest ids). */
const at = (position: string | null): string | null => decodeDedupePosition(position).at;
const quiet: SourceLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

function collect(
  stopAfter = Infinity,
  onStop: () => void = () => undefined,
): {
  sink: EventSink;
  events: RawEvent[];
  positions: Array<string | null>;
} {
  const events: RawEvent[] = [];
  const positions: Array<string | null> = [];
  return {
    events,
    positions,
    sink: {
      push: (event, position) => {
        events.push(event);
        positions.push(position);
        if (events.length === stopAfter) onStop();
      },
      skip: () => undefined,
    },
  };
}

describe('replay source', { timeout: 60_000 }, () => {
  let dir: string;
  let gzipped: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'viewcast-replay-'));
    gzipped = join(dir, 'enwiki-100.jsonl.gz');
    writeFileSync(gzipped, gzipSync(readFileSync(recording(OLD_100))));
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the 100-event recording without a final newline, plain and gzipped, and raw SSE', async () => {
    assert.equal((await readRecording(recording(OLD_100))).length, 100);
    assert.equal((await readRecording(gzipped)).length, 100);
    const sse = join(dir, 'recording.sse.gz');
    writeFileSync(sse, gzipSync(readFileSync(recording('recentchange-2026-06-20-384.sse'))));
    assert.equal((await readRecording(sse)).length, 384);
  });

  it('hands over every event with its position and reports itself finished', async () => {
    const source = new ReplaySource({ file: gzipped, speed: 'max' });
    const got = collect();
    await source.run(got.sink, null);
    assert.equal(got.events.length, 100);
    assert.deepEqual(got.positions.slice(0, 3).map(at), ['1', '2', '3']);
    assert.equal(at(got.positions.at(-1) ?? null), '100');
    const status = source.status();
    assert.equal(status.finished, true);
    assert.equal(status['percent'], 100);
  });

  it('resumes after the stored position', async () => {
    const source = new ReplaySource({ file: recording(OLD_100), speed: 'max' });
    const got = collect();
    await source.run(got.sink, '40');
    assert.equal(got.events.length, 60);
    assert.equal(at(got.positions[0] ?? null), '41');
  });

  it('drops a duplicate that straddles a restart: the latest ids travel with the position', async () => {
    const lines = readFileSync(recording(OLD_100), 'utf8').split('\n').slice(0, 10);
    // Event 8 re-delivers event 4 (same meta.id), as a resumed stream does.
    lines.splice(7, 0, lines[3] as string);
    const file = join(dir, 'straddling.jsonl');
    writeFileSync(file, lines.join('\n'));
    const first = new ReplaySource({ file, speed: 'max' });
    const before = collect(5, () => first.stop());
    await first.run(before.sink, null);
    const second = new ReplaySource({ file, speed: 'max' });
    const skipped: string[] = [];
    const after = collect();
    await second.run(
      { ...after.sink, skip: (reason) => skipped.push(reason) },
      before.positions.at(-1) ?? null,
    );
    const ids = [...before.events, ...after.events].map(metaId);
    assert.equal(ids.length, 10, 'every event once, the re-delivery not at all');
    assert.equal(new Set(ids).size, 10);
    assert.deepEqual(skipped, ['duplicate']);
  });

  it('resumes from a position stored before the ids travelled with it (a bare count)', async () => {
    const source = new ReplaySource({ file: recording(OLD_100), speed: 'max' });
    const got = collect();
    await source.run(got.sink, '98');
    assert.equal(got.events.length, 2);
  });

  it('loops forever with fresh event ids on every later pass', async () => {
    const source = new ReplaySource({ file: recording(OLD_100), speed: 'max', loop: true });
    const got = collect(250, () => source.stop());
    await source.run(got.sink, null);
    assert.equal(got.events.length, 250);
    const ids = got.events.map((e) => metaId(e));
    assert.equal(new Set(ids).size, 250, 'every pass has new meta.ids');
    const original = (await readRecording(recording(OLD_100))).map((line) =>
      metaId(JSON.parse(line) as RawEvent),
    );
    assert.deepEqual(ids.slice(0, 100), original, 'the first pass keeps the recorded ids');
    assert.deepEqual(
      got.events.slice(100, 200).map((e) => e['user']),
      got.events.slice(0, 100).map((e) => e['user']),
    );
    assert.equal(source.status()['passes'], 3);
    assert.equal(source.status().finished, false);
  });

  it('shows progress on a terminal: events, percent, rate, ETA, then a final log line', async () => {
    const drawn: string[] = [];
    const logged: string[] = [];
    const terminal = { write: (text: string) => drawn.push(text) > 0, columns: 200 };
    const source = new ReplaySource({
      file: recording(OLD_100),
      speed: 'max',
      progress: { terminal, log: { ...quiet, info: (m) => logged.push(m) } },
    });
    await source.run(collect().sink, null);
    // Each drawing returns to the start of the line and clears it (CR, ESC [K) before writing.
    assert.ok((drawn[0] as string).startsWith('\r\u001b[K'));
    assert.match(
      drawn[0] as string,
      /replay recentchange-2023-07-29-enwiki-100\.jsonl: 1 events of 100 \(1\.0%\)/,
    );
    assert.match(logged.at(-1) as string, /100 events in \d+\.\d s, all read/);
  });

  it('formats a progress line with rate and ETA', () => {
    const progress = new ReplayProgress('replay x', 2476, false, { terminal: null, log: quiet });
    assert.equal(
      progress.line(1238, progress.started + 2000),
      'replay x: 1,238 events of 2,476 (50.0%), 619 events/s, ETA 2 s',
    );
    const looping = new ReplayProgress('replay x', 100, true, { terminal: null, log: quiet });
    assert.equal(looping.line(250, looping.started + 1000), 'replay x: 250 events, pass 3, 250 events/s');
  });
});
