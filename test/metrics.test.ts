/**
 * `/metrics` as an operator reads it: every metric README names is exposed, with the type README
 * gives; the process metrics are there; the latency histograms fill as events flow; and
 * `--log-format json` writes one JSON object per line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import { parseServeOptions } from '../src/cli/options.js';
import { formatLine } from '../src/core/log.js';
import { MuxClient } from './support/mux-client.js';
import { startTestApp } from './support/server.js';
import { projectRoot, recording } from './support/shared-data.js';

const INGEST_TOKEN = 'metrics-ingest-token';

/** `| \`name\` | type |` rows of README's Metrics table. */
function readmeMetrics(): Map<string, string> {
  const readme = readFileSync(`${projectRoot}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('### Metrics'), readme.indexOf('## Views'));
  const metrics = new Map<string, string>();
  for (const match of section.matchAll(/^\| `([a-z_]+)`\s*\| (gauge|counter|histogram)\s*\|/gm))
    metrics.set(match[1] as string, match[2] as string);
  return metrics;
}

/** `# TYPE name type` lines of an exposition. */
function exposedTypes(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

function sample(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
}

describe('/metrics', { timeout: 120_000 }, () => {
  let app: App;
  before(async () => {
    app = await startTestApp([
      ...['--source', `replay:${recording('recentchange-2023-07-29-enwiki-100.jsonl')}`, '--speed', 'max'],
      ...['--source', 'ingest', '--ingest-token', INGEST_TOKEN, '--memory'],
    ]);
  });
  after(() => app?.close());

  const scrape = async (): Promise<string> => (await fetch(`${app.url}/metrics`)).text();

  it('exposes every metric README lists, with its type, and the process metrics', async () => {
    const listed = readmeMetrics();
    assert.ok(listed.size >= 19, `README lists ${listed.size} metrics`);
    const exposed = exposedTypes(await scrape());
    for (const [name, type] of listed)
      assert.equal(exposed.get(name), type, `${name} is exposed as a ${type}`);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ])
      assert.ok(exposed.has(name), `${name} is exposed`);
  });

  it('fills the latency histograms as events are committed, published and sent', async () => {
    const client = await MuxClient.open(app.url);
    client.subscribe(['counter']);
    await client.until(() => client.views.size === 1);
    const before = await scrape();
    // Through POST /api/ingest and the ingest pipeline, as events arrive in production.
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${app.url}/api/ingest`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${INGEST_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify([{ user: `m${i}`, type: 'edit', meta: { id: `metrics-${i}` } }]),
      });
      assert.equal(response.status, 200, await response.text());
    }
    await client.reach(app.hub.timestamp ?? 0, ['counter']);
    const after = await scrape();
    assert.ok(
      sample(after, 'viewcast_publish_to_send_seconds_count') >=
        sample(before, 'viewcast_publish_to_send_seconds_count') + 3,
      'every moment is timed from publishing to the last send',
    );
    assert.ok(sample(after, 'viewcast_engine_commit_seconds_count') > 0, 'the replay commits were timed');
    assert.ok(sample(after, 'viewcast_ingest_to_publish_seconds_count') > 0, 'the replay moments were timed');
    assert.ok(sample(after, 'viewcast_client_buffered_bytes_count') >= 1, 'the connected client is counted');
    assert.match(after, /^viewcast_connections\{transport="subscribe"\} 1$/m);
    client.close();
  });

  it('--log-format json writes one JSON object per line; anything else is refused', () => {
    const line = formatLine('json', 'warn', 'a "quoted"\nmessage', new Date(0));
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
    assert.deepEqual(JSON.parse(line), {
      time: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      message: 'a "quoted"\nmessage',
    });
    const options = parseServeOptions(['--log-format', 'json']);
    assert.equal(options !== 'help' && options.logFormat, 'json');
    assert.throws(() => parseServeOptions(['--log-format', 'xml']), /--log-format takes text or json/);
  });
});
