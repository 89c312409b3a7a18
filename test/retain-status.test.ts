/**
 * `--retain` as an operator sees it: the flag's values and errors, and the retained log's disk use in
 * `GET /api/status` and `/metrics`, on a real server with a data directory and the real recording.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import { parseServeOptions } from '../src/cli/options.js';
import { UsageError } from '../src/core/errors.js';
import type { RetentionStatus } from '../src/engine/embedded/retention.js';
import { tempDir } from './support/engine.js';
import { getJson, startTestApp } from './support/server.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

function sample(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
}

describe('--retain', { timeout: 120_000 }, () => {
  it('takes a duration, all or 0, defaults to 7d, and refuses what it cannot read', () => {
    const retain = (...args: string[]): number => {
      const options = parseServeOptions(args);
      assert.notEqual(options, 'help');
      return options === 'help' ? NaN : options.retainMs;
    };
    assert.equal(retain(), 7 * 24 * 3_600_000);
    assert.equal(retain('--retain', '24h'), 24 * 3_600_000);
    assert.equal(retain('--retain', '90m'), 90 * 60_000);
    assert.equal(retain('--retain', 'all'), Infinity);
    assert.equal(retain('--retain', '0'), 0);
    assert.equal(retain('--memory'), 0, '--memory keeps nothing on disk');
    assert.throws(
      () => retain('--retain', '7 days'),
      (e: unknown) =>
        e instanceof UsageError &&
        /--retain takes a duration such as 24h, 7d or 90m, all, or 0/.test(e.message),
    );
    assert.throws(
      () => retain('--memory', '--retain', '7d'),
      (e: unknown) => e instanceof UsageError && /does not go with --memory/.test(e.message),
    );
  });

  describe('disk use in /api/status and /metrics', () => {
    const dir = tempDir();
    let app: App;
    before(async () => {
      app = await startTestApp([
        ...['--source', `replay:${recording(RECORDING_2476)}`, '--speed', 'max'],
        ...['--data-dir', join(dir, 'data'), '--retain', '24h'],
      ]);
      await app.sourcesDone;
      await app.engine.maintainRetention();
    });
    after(async () => {
      await app?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('reports the retained events, their bytes, the oldest one and the data directory', async () => {
      const status = await getJson<{ engine: { storage: RetentionStatus } }>(app, '/api/status');
      const storage = status.engine.storage;
      assert.equal(storage.retain, '1d');
      assert.equal(storage.events, 2476);
      assert.equal(storage.complete, true);
      assert.ok(storage.bytes > 2476 * 50 && storage.bytes < 2476 * 1400, `${storage.bytes} bytes`);
      assert.equal(typeof storage.oldest, 'number');
      assert.ok((storage.dataDirBytes ?? 0) > storage.bytes);

      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      assert.equal(sample(metrics, 'viewcast_retained_log_events'), 2476);
      assert.equal(sample(metrics, 'viewcast_retained_log_bytes'), storage.bytes);
      assert.equal(sample(metrics, 'viewcast_retained_oldest_seconds'), (storage.oldest ?? 0) / 1000);
      assert.equal(sample(metrics, 'viewcast_data_dir_bytes'), storage.dataDirBytes);
    });
  });
});
