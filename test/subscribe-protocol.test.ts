/**
 * The multiplexed WebSocket, SSE, resume, slow clients, security and operations on real parts: one
 * real server (PGlite + pg_ivm worker, HTTP, WebSocket and SSE on port 0) replaying the 2,476-event
 * recording, then fed more transactions directly through the engine so each test controls its
 * timestamps.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/cli/app.js';
import type { ClientSession } from '../src/server/client-session.js';
import { compareRows, MuxClient, upgradeStatus, wsUrl, type Frame } from './support/mux-client.js';
import { projectRoot, recording, RECORDING_2476 } from './support/shared-data.js';
import { startTestApp } from './support/server.js';
import { SseReader } from './support/sse-client.js';
import WebSocket from 'ws';

const TOKEN = 'test-token-0123456789';
const BUFFER_LIMIT = 64 * 1024;

interface Snapshot {
  timestamp: number;
  rows: unknown[][];
}

/** Resolves once an `/api/stream` socket has received a message of timestamp `t` or later. */
function streamReached(stream: { socket: WebSocket; stamps: number[] }, t: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if ((stream.stamps.at(-1) ?? 0) < t) return;
      stream.socket.off('message', check);
      resolve();
    };
    stream.socket.on('message', check);
    check();
  });
}

describe('multiplexed subscribe, SSE and the fan-out policies', { timeout: 120_000 }, () => {
  let app: App;
  let release!: () => void;
  let dashboard: MuxClient;
  /** `/api/stream` clients: the timestamps of the messages each received. */
  let streams: Record<'counter' | 'top10', { socket: WebSocket; stamps: number[] }>;
  let users = 0;

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${app.url}${path}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.status, 200, path);
    return (await response.json()) as T;
  };
  /** Commits one transaction of `count` edits by new users; resolves with its timestamp. */
  const commit = (count = 1, nameLength = 12): Promise<number> =>
    app.engine.ingest(
      Array.from({ length: count }, () => ({ user: `u${users++}`.padEnd(nameLength, 'x'), type: 'edit' })),
      {},
    );
  const open = (): Promise<MuxClient> => MuxClient.open(app.url, { token: TOKEN });

  before(async () => {
    app = await startTestApp(
      [
        ...['--source', `replay:${recording(RECORDING_2476)}`, '--speed', 'max', '--memory'],
        ...['--batch-size', '200', '--auth-token', TOKEN, '--retention-batches', '30'],
        ...['--max-subscriptions', '2', '--client-buffer-bytes', String(BUFFER_LIMIT), '--progress-ms', '50'],
      ],
      { holdSources: new Promise((resolve) => (release = resolve)) },
    );
    dashboard = await open();
    dashboard.subscribe(['counter', 'top10']);
    await dashboard.until(() => dashboard.views.size === 2);
    const stream = async (view: string): Promise<{ socket: WebSocket; stamps: number[] }> => {
      const socket = new WebSocket(wsUrl(app.url, `/api/stream/${view}`, TOKEN));
      const stamps: number[] = [];
      socket.on('message', (data) =>
        stamps.push((JSON.parse(String(data)) as { timestamp: number }).timestamp),
      );
      await new Promise((resolve) => socket.once('message', resolve));
      return { socket, stamps };
    };
    streams = { counter: await stream('counter'), top10: await stream('top10') };
    release();
    await app.sourcesDone;
  });

  after(async () => {
    dashboard?.close();
    for (const stream of Object.values(streams ?? {})) stream.socket.close();
    await app?.close();
  });

  it('starts a socket with hello and a snapshot of each view at one timestamp', () => {
    const [hello, first, second] = dashboard.frames;
    assert.equal(hello?.type, 'hello');
    assert.deepEqual(hello?.views, [
      'counter',
      'user_edits',
      'top10',
      'edits_per_second',
      'recent_user_edits',
      'top10_recent',
    ]);
    assert.deepEqual(
      [first?.type, first?.view, second?.type, second?.view],
      ['snapshot', 'counter', 'snapshot', 'top10'],
    );
    assert.equal(first?.timestamp, second?.timestamp);
  });

  it('sends counter and top10 changes of one timestamp in one frame, the same moments as /api/stream', async () => {
    const final = app.hub.timestamp ?? 0;
    await dashboard.reach(final, ['counter', 'top10']);
    const batches = dashboard.batches();
    // Each /api/stream socket has its own frames in flight: waited for up to its view's last change.
    const lastChange = (view: string): number =>
      Math.max(
        0,
        ...batches.filter((b) => view in (b.views as Record<string, unknown>)).map((b) => b.timestamp ?? 0),
      );
    await Promise.all([
      streamReached(streams.counter, final),
      streamReached(streams.top10, lastChange('top10')),
    ]);
    const stamps = batches.map((b) => b.timestamp ?? 0);
    assert.deepEqual(
      stamps,
      [...new Set(stamps)].sort((a, b) => a - b),
      'one frame per timestamp, in order',
    );
    const changed = (view: string): number[] =>
      batches.filter((b) => view in (b.views as Record<string, unknown>)).map((b) => b.timestamp ?? 0);
    // Every edit bumps the counter, so every moment that changes top10 changes counter too.
    assert.ok(changed('top10').length > 1);
    for (const t of changed('top10')) assert.ok(changed('counter').includes(t), `counter missing at ${t}`);
    assert.deepEqual(changed('counter'), streams.counter.stamps.slice(1));
    assert.deepEqual(changed('top10'), streams.top10.stamps.slice(1));
    for (const view of ['counter', 'top10']) {
      const snapshot = await api<Snapshot>(`/api/views/${view}`);
      assert.deepEqual(dashboard.rows(view), [...snapshot.rows].sort(compareRows), view);
      assert.equal(dashboard.views.get(view)?.timestamp, snapshot.timestamp);
    }
    assert.deepEqual(dashboard.rows('counter'), [[2476]]);
  });

  it('resumes with since: exactly the batches that were missed, then live', async () => {
    const views = ['counter', 'user_edits'];
    const witness = await open();
    witness.subscribe(views);
    const leaving = await open();
    leaving.subscribe(views);
    await leaving.until(() => leaving.views.size === 2);
    const since = leaving.views.get('counter')?.timestamp ?? 0;
    // Until the server has answered the close, it may still send (RFC 6455, 5.5.1), and a frame
    // applied after `since` was read would make the state adopted below newer than `since`.
    await leaving.close();
    for (let i = 0; i < 3; i++) await commit(1 + i);
    const last = app.hub.timestamp ?? 0;
    await witness.reach(last, views);
    const missed = witness.batches().filter((f) => (f.timestamp ?? 0) > since);
    assert.equal(missed.length, 3);

    const back = await open();
    back.adopt(leaving);
    back.subscribe(views, since);
    await back.until(() => back.batches().length === 3);
    assert.deepEqual(
      back.frames.slice(1).map((f) => f.text),
      missed.map((f) => f.text),
      'the same frames, byte for byte, and nothing else',
    );
    const live = await commit();
    await back.until(() => back.batches().some((f) => f.timestamp === live));
    await witness.reach(live, views);
    assert.deepEqual(back.batches().at(-1)?.text, witness.batches().at(-1)?.text);
    for (const view of views) assert.deepEqual(back.rows(view), witness.rows(view), view);
    for (const c of [witness, back]) c.close();
  });

  it('answers a since older than the retention log with a reset, and the client converges', async () => {
    const oldest = dashboard.batches()[0]?.timestamp ?? 0;
    for (let i = 0; i < 31; i++) await commit();
    const client = await open();
    // Both views change at every transaction, so 31 transactions push `oldest` out of both logs.
    client.subscribe(['counter', 'user_edits'], oldest);
    await client.until(() => client.views.size === 2);
    const resets = client.frames.filter((f) => f.type === 'reset');
    assert.deepEqual(
      resets.map((f) => [f.view, f.reason]),
      [
        ['counter', 'since-not-retained'],
        ['user_edits', 'since-not-retained'],
      ],
    );
    assert.equal(client.batches().length, 0, 'no partial history before a reset');
    for (const view of ['counter', 'user_edits']) {
      const snapshot = await api<Snapshot>(`/api/views/${view}`);
      assert.deepEqual(client.rows(view), [...snapshot.rows].sort(compareRows), view);
    }
    client.close();
  });

  it('merges the batches of a client that stopped reading, keeps it bounded, and others keep flowing', async () => {
    const views = ['user_edits'];
    const fast = await open();
    fast.subscribe(views);
    const slow = await open();
    slow.subscribe(views);
    await Promise.all([fast, slow].map((c) => c.until(() => c.views.size === 1)));
    const fellBehind = new Promise<ClientSession>((resolve) => app.server.fanout.once('behind', resolve));
    const caughtUp = new Promise<ClientSession>((resolve) => app.server.fanout.once('caught-up', resolve));
    slow.socket.pause();
    // The slow client asks for the top10 snapshot over and over but reads nothing: the kernel's
    // socket buffers fill, then the server's, up to the limit; from then on nothing is queued for it.
    const largestFrame = app.hub.require('top10').subscribeSnapshot().length;
    for (let i = 0; i < 30_000; i++) slow.send({ type: 'subscribe', views: ['top10'] });
    const session = await fellBehind;
    const fastBefore = fast.batches().length;
    const stamps: number[] = [];
    for (let i = 0; i < 5; i++) stamps.push(await commit(20, 120));
    await fast.reach(stamps.at(-1) ?? 0, views);
    const fastFrames = fast.batches().slice(fastBefore);
    assert.deepEqual(
      fastFrames.map((f) => [f.timestamp, f.merged]),
      stamps.map((t) => [t, undefined]),
      'the other client got every batch on its own, while the slow one was behind',
    );
    assert.equal(session.behind, true);
    assert.ok(
      session.peakBuffered <= BUFFER_LIMIT + largestFrame,
      `unsent bytes peaked at ${session.peakBuffered}, above the ${BUFFER_LIMIT} limit plus one frame`,
    );

    slow.socket.resume();
    await caughtUp;
    const final = app.hub.timestamp ?? 0;
    await slow.reach(final, ['user_edits', 'top10']);
    const merged = slow.batches().filter((f) => f.merged !== undefined);
    assert.equal(merged.length, 1);
    assert.equal(merged[0]?.merged, 5, 'told how many batches were merged');
    // user_edits: one net diff of the 100 new users (smaller than its snapshot); top10: the snapshot it asked for.
    const diff = (merged[0]?.views as Record<string, { inserted: unknown[]; deleted: unknown[] }>)[
      'user_edits'
    ];
    assert.deepEqual([diff?.inserted.length, diff?.deleted.length], [100, 0]);
    for (const view of ['user_edits', 'top10']) {
      const snapshot = await api<Snapshot>(`/api/views/${view}`);
      assert.deepEqual(slow.rows(view), [...snapshot.rows].sort(compareRows), view);
    }
    const metrics = await (await fetch(`${app.url}/metrics?token=${TOKEN}`)).text();
    assert.match(metrics, /^viewcast_merged_batches_total [1-9]\d*$/m);
    for (const c of [fast, slow]) c.close();
  });

  it('streams SSE: a snapshot, then batches with id = timestamp, and resumes from Last-Event-ID', async () => {
    const headers = { Authorization: `Bearer ${TOKEN}` };
    const sse = await SseReader.open(`${app.url}/api/sse?views=counter,top10`, headers);
    assert.equal(sse.response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    await sse.until(() => sse.messages.length >= 2);
    assert.deepEqual(
      sse.messages.map((m) => m.event),
      ['snapshot', 'snapshot'],
    );
    // Once both snapshots are out the id is the timestamp; between them it says counter only.
    const at = Number(sse.messages[1]?.id);
    assert.equal(JSON.parse(sse.messages[0]?.data ?? '').timestamp, at);
    assert.equal(sse.messages[0]?.id, `${at},`);
    sse.close();
    const missed = [await commit(), await commit()];
    const resumed = await SseReader.open(`${app.url}/api/sse/counter`, {
      ...headers,
      'Last-Event-ID': String(at),
    });
    await resumed.until(() => resumed.messages.length >= 2);
    assert.deepEqual(
      resumed.messages.map((m) => [m.event, Number(m.id)]),
      missed.map((t) => ['batch', t]),
    );
    const frame = JSON.parse(resumed.messages[1]?.data ?? '') as Frame;
    assert.deepEqual(Object.keys(frame.views ?? {}), ['counter']);
    const live = await commit();
    await resumed.until(() => resumed.messages.some((m) => m.id === String(live)));
    await resumed.until(
      () => resumed.messages.some((m) => m.event === 'progress') || resumed.comments.length > 0,
    );
    resumed.close();
  });

  it('refuses a forbidden Origin, a missing token and unknown views, each clearly', async () => {
    const evil = 'http://evil.example';
    assert.equal(await upgradeStatus(wsUrl(app.url, '/api/subscribe', TOKEN), { origin: evil }), 403);
    assert.equal(await upgradeStatus(wsUrl(app.url, '/api/stream/top10', TOKEN), { origin: evil }), 403);
    assert.equal(await upgradeStatus(wsUrl(app.url, '/api/subscribe')), 401);
    const sameOrigin = await MuxClient.open(app.url, { token: TOKEN, origin: app.url });
    sameOrigin.close();
    const forbidden = await fetch(`${app.url}/api/sse/top10?token=${TOKEN}`, { headers: { Origin: evil } });
    assert.equal(forbidden.status, 403);
    assert.match(await forbidden.text(), /FORBIDDEN_ORIGIN.*--allow-origin/);
    const anonymous = await fetch(`${app.url}/api/sse/top10`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await fetch(`${app.url}/api/views`)).status, 401);
    assert.equal((await fetch(`${app.url}/api/sse/nope?token=${TOKEN}`)).status, 404);

    const client = await open();
    client.send({ type: 'subscribe', views: ['counter', 'nope'], ref: 7 });
    client.send({ type: 'subscribe', views: ['counter', 'top10', 'user_edits'], ref: 8 });
    client.send({ type: 'unsubscribe', views: ['top10'], ref: 9 });
    client.send('not json');
    await client.until(() => client.frames.filter((f) => f.type === 'error').length === 4);
    const errors = client.frames.filter((f) => f.type === 'error');
    assert.deepEqual(
      errors.map((f) => [f.code, f.ref ?? null]),
      [
        ['UNKNOWN_VIEW', 7],
        ['TOO_MANY_SUBSCRIPTIONS', 8],
        ['NOT_SUBSCRIBED', 9],
        ['BAD_MESSAGE', null],
      ],
    );
    assert.match(errors[0]?.message ?? '', /unknown view "nope"; known views: counter, user_edits, top10/);
    assert.equal(client.views.size, 0, 'a refused subscribe subscribes to nothing');
    const closed = new Promise<number>((resolve) => client.socket.on('close', (code) => resolve(code)));
    client.send('x'.repeat(20_000));
    assert.equal(await closed, 1009);
  });

  it('serves the page with a CSP and nosniff, and /metrics, /healthz, /readyz', async () => {
    const page = await fetch(`${app.url}/`);
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await (await fetch(`${app.url}/healthz`)).text(), 'ok\n');
    assert.equal((await fetch(`${app.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${app.url}/metrics`)).status, 401);
    const metrics = await (
      await fetch(`${app.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).text();
    for (const name of [
      'viewcast_connections{transport="subscribe"}',
      'viewcast_subscriptions{view="top10"}',
      'viewcast_frames_sent_total{transport="sse"}',
      'viewcast_bytes_sent_total{transport="subscribe"}',
      'viewcast_client_staleness_seconds{view="counter"}',
      'viewcast_engine_lag_seconds',
      'viewcast_refused_total{reason="forbidden_origin"}',
    ])
      assert.ok(metrics.includes(name), `missing ${name}`);
  });

  it('tails a view like COPY (SUBSCRIBE ...) TO STDOUT until Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      [`${projectRoot}bin/viewcast.js`, 'tail', 'counter', '--url', app.url],
      {
        env: { ...process.env, VIEWCAST_AUTH_TOKEN: TOKEN },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines: string[] = [];
    const waiters = new Set<() => void>();
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      for (const w of [...waiters]) w();
    });
    const until = (test: () => boolean): Promise<void> =>
      test() ? Promise.resolve() : new Promise((resolve) => waiters.add(() => test() && resolve()));
    const before = await api<Snapshot>('/api/views/counter');
    const count = Number(before.rows[0]?.[0]);
    await until(() => lines.length >= 2);
    assert.equal(lines[0], `${before.timestamp}\tf\t1\t${count}`);
    assert.equal(lines[1], `${before.timestamp + 1}\tt\t\\N\t\\N`);
    const t = await commit(2);
    await until(() => lines.includes(`${t + 1}\tt\t\\N\t\\N`));
    assert.deepEqual(lines.slice(-3), [
      `${t}\tf\t-1\t${count}`,
      `${t}\tf\t1\t${count + 2}`,
      `${t + 1}\tt\t\\N\t\\N`,
    ]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  });
});
