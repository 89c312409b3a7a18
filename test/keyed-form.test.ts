/**
 * The keyed form (`?format=keyed`) on every transport, against a real server: raw WebSocket and SSE
 * clients and the client library rebuild exactly the hub's rows after hundreds of transactions of
 * upserts, updates and removals (a view keyed on a column, a view with no key, a one-row view);
 * every socket of the same views gets the same bytes; an update sends the new row once; a keyless
 * view says it is positional; a resume with `since`, a slow client's catch-up and a view that goes
 * into error and recovers all keep the rows exact.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { KeyedDecoder } from '../src/client/keyed-decoder.js';
import { parseServerMessage, type SnapshotMessage } from '../src/client/protocol.js';
import { StreamClient } from '../src/client/stream-client.js';
import { connect, type ViewcastClient } from '../src/client/viewcast-client.js';
import { ViewSet } from '../src/client/view-set.js';
import { Hub } from '../src/hub/hub.js';
import { Fanout } from '../src/server/fanout.js';
import { startServer, type RunningServer } from '../src/server/http-server.js';
import { SERVER_DEFAULTS } from '../src/server/server-options.js';
import { KeyedWorkload, sorted } from './support/keyed-model.js';
import { SseReader } from './support/sse-client.js';

const VIEWS = ['users', 'tags', 'total'];

/** A raw `/api/subscribe?format=keyed` socket: its frames as sent, and the views they rebuild. */
class KeyedSocket {
  readonly texts: string[] = [];
  /** Refused requests (none expected). */
  readonly refusals: string[] = [];
  readonly views = new ViewSet();
  readonly socket: WebSocket;
  private readonly waiters = new Set<() => void>();

  constructor(
    url: string,
    readonly decoder = new KeyedDecoder(),
  ) {
    this.socket = new WebSocket(`${url.replace(/^http/, 'ws')}/api/subscribe?format=keyed`);
    this.socket.on('message', (data: Buffer) => {
      const text = data.toString();
      this.texts.push(text);
      const result = this.views.receive(parseServerMessage(text, undefined, this.decoder));
      if (result.error && !result.error.errors) this.refusals.push(text);
      for (const wake of [...this.waiters]) wake();
    });
  }

  subscribe(since?: number): void {
    this.views.add(VIEWS);
    this.views.beginSubscribe(VIEWS, false);
    const send = (): void =>
      this.socket.send(JSON.stringify({ type: 'subscribe', views: VIEWS, ...(since ? { since } : {}) }));
    if (this.socket.readyState === WebSocket.OPEN) send();
    else this.socket.once('open', send);
  }

  until(done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!done()) return;
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
      check();
    });
  }

  reach(timestamp: number): Promise<void> {
    return this.until(() => (this.views.timestamp ?? 0) >= timestamp);
  }
}

function hubRows(hub: Hub, view: string): string[] {
  return sorted(hub.require(view).rows.rows());
}

function clientRows(
  get: (view: string) => { rows: { rows(): unknown[][] } } | undefined,
  view: string,
): string[] {
  return sorted(get(view)?.rows.rows() ?? []);
}

/** Every view of the workload, as the client holds it, equals the hub's. */
function assertSameViews(views: ViewSet, hub: Hub): void {
  for (const view of VIEWS)
    assert.deepEqual(
      clientRows((v) => views.get(v), view),
      hubRows(hub, view),
      view,
    );
}

function untilClient(client: ViewcastClient, timestamp: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if ((client.timestamp ?? 0) < timestamp) return;
      stop();
      stopProgress();
      resolve();
    };
    const stop = client.on('change', check);
    const stopProgress = client.on('progress', check);
    check();
  });
}

describe('the keyed form', { timeout: 120_000 }, () => {
  let work: KeyedWorkload;
  let hub: Hub;
  let server: RunningServer;

  before(async () => {
    work = new KeyedWorkload();
    hub = new Hub(work.engine);
    const started = hub.start();
    work.open();
    await started;
    server = await startServer({ hub, status: () => ({}) }, '127.0.0.1', 0);
    (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
  });

  after(async () => {
    delete (globalThis as { WebSocket?: unknown }).WebSocket;
    await server?.close();
    hub?.close();
  });

  it('rebuilds every view exactly on /api/subscribe, SSE and /api/stream, with one encoding per frame', async () => {
    const first = new KeyedSocket(server.url);
    const second = new KeyedSocket(server.url);
    const resumed = new KeyedSocket(server.url);
    for (const socket of [first, second, resumed]) socket.subscribe();
    await Promise.all([first, second, resumed].map((s) => s.reach(work.timestamp)));
    const sse = await SseReader.open(`${server.url}/api/sse/users?format=keyed`);
    const sseViews = new ViewSet();
    const sseDecoder = new KeyedDecoder('users');
    let sseUnnamed = 0;
    let sseWithId = 0;
    let lastId: string | null = null;
    sseViews.add(['users']);
    const library = connect({ url: server.url, views: VIEWS, transport: 'websocket' });
    const librarySse = connect({ url: server.url, views: VIEWS, transport: 'sse' });
    const streams = VIEWS.map((view) => new StreamClient(view, { url: server.url, keyed: true }));
    await Promise.all([untilClient(library, work.timestamp), untilClient(librarySse, work.timestamp)]);
    await Promise.all(
      streams.map(
        (s) =>
          new Promise<void>((resolve) =>
            s.view.timestamp !== null ? resolve() : s.onUpdate(() => resolve()),
          ),
      ),
    );

    // Snapshots say each view's form: keyed on its key, or positional for the view without one.
    const hello = JSON.parse(first.texts[0] ?? '{}') as { format?: string };
    assert.equal(hello.format, 'keyed');
    const snapshots = first.texts.slice(1, 4).map((t) => JSON.parse(t) as SnapshotMessage);
    assert.deepEqual(
      snapshots.map((s) => [s.view, s.form, s.key]),
      [
        ['users', 'keyed', ['k']],
        ['tags', 'positional', undefined],
        ['total', 'keyed', []],
      ],
    );

    // GET /api/views says which views have a key.
    const listed = (await (await fetch(`${server.url}/api/views`)).json()) as Array<{
      name: string;
      key: unknown;
    }>;
    assert.deepEqual(
      listed.map((v) => [v.name, v.key]),
      [
        ['users', ['k']],
        ['tags', null],
        ['total', []],
      ],
    );

    let stopAt = 0;
    for (let i = 0; i < 300; i++) {
      work.step();
      if (i === 100) {
        await resumed.reach(work.timestamp);
        stopAt = resumed.views.timestamp ?? 0;
        resumed.socket.terminate();
      }
    }
    const last = work.timestamp;
    // A new socket resumes from the moment the old one had, with the old one's decoder and views.
    const again = new KeyedSocket(server.url, resumed.decoder);
    Object.assign(again, { views: resumed.views });
    again.socket.once('open', () =>
      again.socket.send(JSON.stringify({ type: 'subscribe', views: VIEWS, since: stopAt })),
    );
    await Promise.all([first, second, again].map((s) => s.reach(last)));
    await Promise.all([untilClient(library, last), untilClient(librarySse, last)]);
    // `/api/stream` has no progress: a view is at its last batch.
    for (const s of streams) {
      const at = hub.require(s.name).base;
      await new Promise<void>((resolve) =>
        s.view.timestamp === at ? resolve() : s.onUpdate(() => s.view.timestamp === at && resolve()),
      );
    }
    await sse.until(() => {
      for (const message of sse.messages.splice(0)) {
        // The parser reports the stream's last id (EventSource's `lastEventId`): count its changes.
        if (message.event === 'message') {
          sseUnnamed++;
          if (message.id !== lastId) sseWithId++;
        }
        lastId = message.id;
        sseViews.receive(parseServerMessage(message.data, message.event, sseDecoder));
      }
      return (sseViews.get('users')?.timestamp ?? 0) >= last || (sseViews.timestamp ?? 0) >= last;
    });

    for (const view of VIEWS) {
      const truth = hubRows(hub, view);
      for (const [name, socket] of [
        ['first', first],
        ['second', second],
        ['resumed', again],
      ] as const)
        assert.deepEqual(
          clientRows((v) => socket.views.get(v), view),
          truth,
          `${name} socket: ${view}`,
        );
      assert.deepEqual(
        clientRows((v) => library.view(v), view),
        truth,
        `client library over WebSocket: ${view}`,
      );
      assert.deepEqual(
        clientRows((v) => librarySse.view(v), view),
        truth,
        `client library over SSE: ${view}`,
      );
      const stream = streams[VIEWS.indexOf(view)];
      assert.deepEqual(sorted(stream?.view.rows.rows() ?? []), truth, `/api/stream: ${view}`);
    }
    assert.deepEqual(
      clientRows((v) => sseViews.get(v), 'users'),
      hubRows(hub, 'users'),
      'SSE: users',
    );

    assert.deepEqual([...first.refusals, ...second.refusals, ...again.refusals], []);
    // The resume was served from the log: the missed batches in full, then the views' bases.
    assert.ok(!again.texts.some((t) => t.includes('"type":"snapshot"') || t.includes('"type":"reset"')));
    assert.ok(again.texts.some((t) => t.startsWith('{"type":"batch"')));
    assert.ok(again.texts.some((t) => t.includes('"type":"progress"') && t.includes('"bases":{')));
    // A one-view keyed SSE stream: nameless `data:` events, most without an id.
    assert.ok(
      sseUnnamed > 150 && sseWithId <= sseUnnamed / 5,
      `${sseUnnamed} events, ${sseWithId} with an id`,
    );
    // Frame once: both sockets got the very same live frames; a live frame is an array.
    const live = (socket: KeyedSocket): string[] => socket.texts.filter((t) => t.startsWith('['));
    assert.ok(live(first).length > 200, `${live(first).length} live frames`);
    assert.deepEqual(live(first), live(second));
    // An update of one keyed row carries the new row only, and the one-row view its new row.
    const update = live(first).find((t) =>
      /^\[\d+,\{"users":\[\[\["u\d+",\d+\]\]\],"total":\[\[\[\d+\]\]\]\}\]$/.test(t),
    );
    assert.ok(update, 'a one-row update frame is [dt,{"users":[[row]],"total":[[row]]}]');
    for (const client of [library, librarySse]) client.close();
    for (const s of streams) s.close();
    (sse.response.body as ReadableStream | null)?.cancel().catch(() => undefined);
    for (const socket of [first, second, again]) socket.socket.close();
  });

  it('catches a slow keyed client up with one merged batch and goes on live from the right bases', () => {
    const fanout = new Fanout(hub, { ...SERVER_DEFAULTS, clientBufferBytes: 1000 });
    let buffered = 0;
    const decoder = new KeyedDecoder();
    const views = new ViewSet();
    const frames: string[] = [];
    const session = fanout.createSession('subscribe', {
      keyed: { single: false },
      send: (_kind, frame) => {
        frames.push(frame.toString());
        views.receive(parseServerMessage(frame.toString(), undefined, decoder));
      },
      close: () => undefined,
      get buffered() {
        return buffered;
      },
    });
    try {
      views.add(VIEWS);
      views.beginSubscribe(VIEWS, false);
      session.subscribe(VIEWS, null);
      for (let i = 0; i < 5; i++) work.step();
      // Far behind (resets), then a few batches behind (net diffs, some views' bases older than now).
      for (const steps of [20, 3, 2, 4, 3]) {
        buffered = 10_000;
        for (let i = 0; i < steps; i++) work.step();
        assert.equal(session.behind, true);
        buffered = 0;
        session.tick();
        assert.equal(session.behind, false);
        assert.match(frames.at(-1) ?? '', /"merged":\d+/, 'a closing batch with merged');
        work.step();
      }
      const text = frames.join('\n');
      assert.match(text, /"reason":"behind","form":"keyed"/);
      assert.match(text, /"merged":\d+,"bases":\{/);
      for (let i = 0; i < 20; i++) work.step();
      assert.equal(views.timestamp, hub.timestamp);
      assertSameViews(views, hub);
    } finally {
      fanout.close();
    }
  });

  it('takes a view that goes into error and recovers back in the keyed form', () => {
    const fanout = new Fanout(hub, SERVER_DEFAULTS);
    const decoder = new KeyedDecoder();
    const views = new ViewSet();
    const kinds: string[] = [];
    const session = fanout.createSession('subscribe', {
      keyed: { single: false },
      send: (kind, frame) => {
        kinds.push(kind);
        views.receive(parseServerMessage(frame.toString(), undefined, decoder));
      },
      close: () => undefined,
      buffered: 0,
    });
    try {
      views.add(VIEWS);
      views.beginSubscribe(VIEWS, false);
      session.subscribe(VIEWS, null);
      work.step();
      const t = (work.timestamp += 5);
      const failure = [{ view: 'users', sqlstate: '22012', message: 'division by zero' }];
      work.engine.step('users', t, [], failure);
      work.engine.step('tags', t, []);
      work.engine.step('total', t, []);
      assert.equal(views.get('users')?.error?.code, 'VIEWCAST_VIEW_ERROR');
      const r = (work.timestamp += 5);
      work.engine.step('users', r, [], []);
      work.engine.step('tags', r, []);
      work.engine.step('total', r, []);
      assert.ok(kinds.includes('reset'), 'the recovered view comes back with a reset');
      for (let i = 0; i < 30; i++) work.step();
      assert.equal(views.get('users')?.error, null);
      assertSameViews(views, hub);
    } finally {
      fanout.close();
    }
  });
});
