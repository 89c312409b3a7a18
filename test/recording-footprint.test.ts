/**
 * What a long-running server holds in memory: a replay streams its recording (the same events as
 * reading it whole, in every format, with no line split across chunks), and the retention log lets
 * go of a batch as soon as it drops it, and keeps exactly the newest batches its limits allow.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { RetentionLog } from '../src/hub/retention-log.js';
import { countRecordingEntries, recordingEntries } from '../src/sources/recording-stream.js';
import { readRecording } from '../src/sources/replay.js';
import { fuzz } from './support/fuzz.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

async function streamed(file: string): Promise<string[]> {
  const entries: string[] = [];
  for await (const entry of recordingEntries(file)) entries.push(entry);
  return entries;
}

describe('a recording read as a stream', { timeout: 60_000 }, () => {
  it('yields exactly the entries of the whole-file read, for JSON lines, gzip and SSE text', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'viewcast-stream-'));
    try {
      const gzipped = join(dir, 'big.jsonl.gz');
      const lines = (await readRecording(recording(RECORDING_2476))).join('\n  \n');
      writeFileSync(gzipped, gzipSync(`\n${lines}`)); // blank lines and a leading newline
      for (const file of [
        recording(RECORDING_2476),
        recording('recentchange-2023-07-29-enwiki-100.jsonl'),
        recording('recentchange-2026-06-20-384.sse'),
        gzipped,
      ]) {
        const whole = await readRecording(file);
        assert.deepEqual(await streamed(file), whole, file);
        assert.equal(await countRecordingEntries(file), whole.length, file);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says which recording it cannot read', async () => {
    await assert.rejects(streamed('/nonexistent/recording.jsonl'), /Cannot read the recording/);
  });
});

describe('the retention log', { timeout: 30_000 }, () => {
  it('serves what it keeps across compactions, and releases every batch it dropped', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const log = new RetentionLog<{ timestamp: number; bytes: number; payload: number[] }>(
      { batches: 10, bytes: 1 << 20 },
      0,
    );
    const dropped: Array<WeakRef<object>> = [];
    for (let t = 1; t <= 500; t++) {
      const entry = { timestamp: t, bytes: 10, payload: [t] };
      if (t <= 490) dropped.push(new WeakRef(entry));
      log.append(entry);
    }
    assert.equal(log.length, 10);
    assert.equal(log.horizon, 490);
    assert.deepEqual(
      log.since(495)?.map((b) => b.timestamp),
      [496, 497, 498, 499, 500],
    );
    assert.equal(log.since(489), null);
    await nextTurn(); // weak references are kept alive until the current job ends
    gc();
    const alive = dropped.filter((ref) => ref.deref() !== undefined).length;
    assert.equal(alive, 0, `${alive} dropped batches are still reachable`);
  });

  it('keeps the newest batches within both limits, and serves every timestamp from them', () => {
    const append = fc.record({ gap: fc.integer({ min: 1, max: 3 }), bytes: fc.integer({ min: 0, max: 30 }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 80 }),
        fc.array(append, { maxLength: 60 }),
        (batches, bytes, appends) => {
          const log = new RetentionLog<{ timestamp: number; bytes: number }>({ batches, bytes }, 0);
          // The model: every batch, the newest kept while both limits hold.
          const all: Array<{ timestamp: number; bytes: number }> = [];
          let timestamp = 0;
          for (const { gap, bytes: size } of appends) {
            timestamp += gap;
            const entry = { timestamp, bytes: size };
            all.push(entry);
            log.append(entry);
            let kept = all.length;
            let total = all.reduce((sum, b) => sum + b.bytes, 0);
            let start = 0;
            while (kept > batches || (total > bytes && kept > 0)) {
              total -= (all[start] as { bytes: number }).bytes;
              start++;
              kept--;
            }
            const horizon = start === 0 ? 0 : (all[start - 1] as { timestamp: number }).timestamp;
            assert.deepEqual([log.length, log.bytes, log.horizon], [kept, total, horizon]);
            for (let since = horizon - 1; since <= timestamp + 1; since++) {
              const expected = since < horizon ? null : all.slice(start).filter((b) => b.timestamp > since);
              assert.deepEqual(log.since(since), expected);
            }
          }
        },
      ),
      fuzz(300),
    );
  });
});
