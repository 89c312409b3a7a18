/**
 * Clients of the multiplexed protocol (`/api/subscribe` sockets, SSE streams) are written in
 * rounds, as `/api/stream` sockets are: with every slice of a round ended at once, a published
 * moment reaches the first sessions before the event loop turns and the others after it (the
 * periodic tick does not hand it to them sooner), so that thousands of clients do not hold the
 * server. Every session still rebuilds exactly the hub's rows with its frames in timestamp order,
 * also one that subscribes, is ticked, is sent a frame of its own (a query's), unsubscribes, falls
 * behind or drains while a round is under way, and while a view goes into error and recovers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseServerMessage } from '../src/client/protocol.js';
import { ViewSet } from '../src/client/view-set.js';
import { Hub } from '../src/hub/hub.js';
import { Fanout } from '../src/server/fanout.js';
import type { ViewErrorInfo } from '../src/engine/types.js';
import type { ClientSession } from '../src/server/client-session.js';
import { SERVER_DEFAULTS } from '../src/server/server-options.js';
import { progressBuffer } from '../src/server/session-frames.js';
import { KeyedWorkload, sorted } from './support/keyed-model.js';

const VIEWS = ['users', 'tags', 'total'];
/** More sessions than one slice visits (the clock is read every 16 visits). */
const SESSIONS = 50;

interface Client {
  session: ClientSession;
  /** What the client's transport says it has not yet written (above the limit: a slow client). */
  buffered: number;
  views: ViewSet;
  /** The timestamps of the frames that carried one, in the order they were sent. */
  timestamps: number[];
}

function hubRows(hub: Hub, view: string): string[] {
  return sorted(hub.require(view).rows.rows());
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('sessions written in rounds', { timeout: 60_000 }, () => {
  let work: KeyedWorkload;
  let hub: Hub;
  let fanout: Fanout;

  before(async () => {
    work = new KeyedWorkload(20261202);
    hub = new Hub(work.engine);
    const started = hub.start();
    work.open();
    await started;
    // Progress as soon as a session is ticked; every slice of a round ends after its first visits.
    fanout = new Fanout(hub, { ...SERVER_DEFAULTS, progressMs: 0 }, 0);
  });

  after(() => {
    fanout?.close();
    hub?.close();
  });

  function connect(): Client {
    const views = new ViewSet();
    const timestamps: number[] = [];
    const client: Client = {
      views,
      timestamps,
      buffered: 0,
      session: fanout.createSession('subscribe', {
        send: (_kind, frame, timestamp) => {
          if (timestamp !== null) timestamps.push(timestamp);
          views.receive(parseServerMessage(frame.toString()));
        },
        close: () => undefined,
        get buffered() {
          return client.buffered;
        },
      }),
    };
    views.add(VIEWS);
    views.beginSubscribe(VIEWS, false);
    client.session.subscribe(VIEWS, null);
    return client;
  }

  /** One transaction in which `users` goes into error (a failure given) or recovers (none). */
  function usersErrors(errors: ViewErrorInfo[]): void {
    const t = (work.timestamp += 3);
    work.engine.step('users', t, [], errors);
    work.engine.step('tags', t, []);
    work.engine.step('total', t, []);
  }

  /** Turns of the event loop until every session was handed the hub's last moment (bounded). */
  async function settle(clients: Client[]): Promise<void> {
    const behind = (c: Client): boolean => [...c.session.views.values()].some((at) => at !== hub.timestamp);
    for (let turns = 0; clients.some(behind); turns++) {
      assert.ok(turns < 10_000, 'every session reaches the hub in a bounded number of turns');
      await nextTurn();
    }
  }

  function assertExact(clients: Client[]): void {
    clients.forEach((client, i) => {
      for (const view of VIEWS.filter((v) => client.session.views.has(v)))
        assert.deepEqual(
          sorted(client.views.get(view)?.rows.rows() ?? []),
          hubRows(hub, view),
          `${view}, session ${i}`,
        );
      const back = client.timestamps.findIndex((t, j) => j > 0 && t < (client.timestamps[j - 1] as number));
      assert.equal(
        back,
        -1,
        `session ${i}'s frames go back in time at frame ${back}: ${client.timestamps.join(',')}`,
      );
    });
  }

  it('hands a moment to the sessions over several turns of the event loop, each once', async () => {
    const clients = Array.from({ length: SESSIONS }, connect);
    const reached = new Promise<number>((resolve) => fanout.once('fanned-out', resolve));
    const timestamp = work.step();
    // A session's position moves with every moment it is handed, changed or not.
    const handed = (): number => clients.filter((c) => c.session.views.get('users') === timestamp).length;
    const atOnce = handed();
    assert.ok(atOnce > 0, 'the round starts at once');
    assert.ok(
      atOnce < SESSIONS,
      `the round yields before its last sessions (${atOnce} of ${SESSIONS} at once)`,
    );
    // The ticker leaves the sessions the round has not reached to it.
    fanout.tickSessions();
    assert.equal(handed(), atOnce, 'a tick hands no session its moment outside the round');
    assert.ok((await reached) >= 0, 'the moment is reported handed to every session');
    assert.equal(handed(), SESSIONS);
    assertExact(clients);
    for (const client of clients) fanout.remove(client.session);
  });

  it('keeps every session exact while moments, subscriptions, ticks, slow clients and errors come during rounds', async () => {
    const clients = Array.from({ length: SESSIONS }, connect);
    let published = 0;
    let reported = 0;
    const stopCounting = hub.onMoment(() => published++);
    const count = (): number => reported++;
    fanout.on('fanned-out', count);
    let midRound = 0;
    for (let i = 0; i < 60; i++) {
      work.step();
      if (i % 3 === 0) work.step();
      // A round is under way now, and the last sessions have not been handed the moment yet.
      if (i % 5 === 0) clients.push(connect());
      const late = clients[SESSIONS - 1 - (i % 4)] as Client;
      if ((late.session.views.get('users') ?? null) !== hub.timestamp) midRound++;
      if (i % 4 === 1) late.session.tick();
      // A query's frame at the hub's timestamp, sent by the socket itself (socket-queries.ts).
      if (i % 4 === 3) late.session.sendRaw('progress', progressBuffer(hub.timestamp ?? 0), hub.timestamp);
      if (i % 4 === 2 && late.session.views.has('tags')) {
        late.session.unsubscribe(['tags']);
        late.views.remove(['tags']);
      } else if (i % 4 !== 1 && !late.session.views.has('tags')) {
        late.views.add(['tags']);
        late.views.beginSubscribe(['tags'], false);
        late.session.subscribe(['tags'], null);
      }
      if (i % 15 === 7) usersErrors([{ view: 'users', sqlstate: '22012', message: 'division by zero' }]);
      if (i % 15 === 11) usersErrors([]);
      // A late session falls behind, and drains while moments wait for it.
      const slow = clients[SESSIONS - 5 - (i % 3)] as Client;
      if (i % 10 === 3) slow.buffered = 10 * SERVER_DEFAULTS.clientBufferBytes;
      if (i % 10 === 6) slow.buffered = 0;
      if (i % 2 === 0) await nextTurn();
    }
    // Every slow client drained; the fan-out's ticker would catch them up, as this does.
    for (const client of clients) client.buffered = 0;
    for (const client of clients) client.session.tick();
    assert.ok(midRound >= 30, `sessions acted on while a moment waited for them (${midRound} times)`);
    await settle(clients);
    for (let turns = 0; reported < published; turns++) {
      assert.ok(turns < 10_000, `moments reported handed: ${reported} of ${published}`);
      await nextTurn();
    }
    assertExact(clients);
    stopCounting();
    fanout.off('fanned-out', count);
    assert.equal(reported, published, 'every moment is reported handed to every session, once');
    for (const client of clients) fanout.remove(client.session);
  });
});
