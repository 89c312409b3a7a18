/**
 * De-duplication survives a restart through the whole server: an event posted to
 * POST /api/ingest, then posted again after the server restarted on the same data directory (a
 * client retrying), is a duplicate: the latest `meta.id`s were committed with the events.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import { tempDir } from './support/engine.js';
import { waitForChannel } from './support/pg-wire.js';
import { startTestApp } from './support/server.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

const TOKEN = 'dedupe-token';
const events = readFileSync(recording(RECORDING_2476), 'utf8').split('\n').slice(0, 3);

async function post(
  app: App,
  lines: string[],
): Promise<{ accepted: number; skipped: Record<string, number> }> {
  for (;;) {
    const response = await fetch(`${app.url}/api/ingest`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    // 503 while the sources start (the server listens before they run): ask again.
    if (response.status === 503) continue;
    assert.equal(response.status, 200);
    return (await response.json()) as { accepted: number; skipped: Record<string, number> };
  }
}

const counted = (app: App, n: number): Promise<void> =>
  waitForChannel(app.hub.require('counter'), (c) => Number(c.rows.rows()[0]?.[0]) === n);

describe('de-duplication across a restart', { timeout: 120_000 }, () => {
  it('drops an event posted again after a restart', async () => {
    const dataDir = join(tempDir(), 'data');
    const args = ['--source', 'ingest', '--ingest-token', TOKEN, '--data-dir', dataDir];
    const first = await startTestApp(args);
    try {
      assert.equal((await post(first, events.slice(0, 2))).accepted, 2);
      await counted(first, 2);
    } finally {
      await first.close();
    }
    const second = await startTestApp(args);
    try {
      const again = await post(second, events.slice(1, 3));
      assert.deepEqual(again, { ...again, accepted: 1, skipped: { duplicate: 1 } });
      await counted(second, 3);
    } finally {
      await second.close();
    }
  });
});
