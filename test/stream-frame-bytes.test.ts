/**
 * The exact bytes of every `/api/stream` frame, in each of its three formats (seed, positional,
 * keyed) and for a view with a key and one without: a connection's first frame (the whole state,
 * for a socket that joins at the start and one that joins later), live batches, and the net change
 * a client that fell behind gets once it drains. Rows repeat (a multiset) and hold an integer
 * beyond 2^53, which must travel exactly. These are the bytes clients in the field decode
 * (docs/PROTOCOL.md): a change in how they are written must not change them.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import { Hub } from '../src/hub/hub.js';
import { serveStream } from '../src/server/stream-socket.js';
import type { StreamFormat } from '../src/server/stream-group.js';
import { FakeEngine } from './support/fake-engine.js';
import { KEYED_VIEWS } from './support/keyed-model.js';

/** Client buffer limit of every socket here: a socket whose `bufferedAmount` passes it is behind. */
const LIMIT = 1000;
const BIG = 9007199254740993n;

/**
 * Just enough of a `ws` socket for the stream transport, whose frames it records as sent and whose
 * unsent bytes the test sets (so that "behind" is decided by the test, not by the kernel).
 */
class RecordingSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  readonly frames: string[] = [];
  closed: number | null = null;

  send(payload: Buffer): void {
    this.frames.push(payload.toString());
    this.emit('sent');
  }

  close(code: number): void {
    this.closed = code;
    this.readyState = 3;
  }

  terminate(): void {
    this.readyState = 3;
  }

  /** Resolves once the socket holds `count` frames. */
  async frameCount(count: number): Promise<void> {
    while (this.frames.length < count) await new Promise((sent) => this.once('sent', sent));
  }
}

describe('/api/stream frame bytes', { timeout: 30_000 }, () => {
  const engine = new FakeEngine([]);
  // A view keyed on its first column, `users`, and one without a key, `tags`.
  engine.views.push(...KEYED_VIEWS.filter((view) => view.name !== 'total'));
  const hub = new Hub(engine);
  const sockets = new Map<string, RecordingSocket>();
  const FORMATS: StreamFormat[] = ['seed', 'positional', 'keyed'];

  /** Opens one socket per view and format, named `<view> <format> <name>`. */
  function join(name: string): void {
    for (const view of ['users', 'tags'])
      for (const format of FORMATS) {
        const socket = new RecordingSocket();
        sockets.set(`${view} ${format} ${name}`, socket);
        serveStream(socket as unknown as WebSocket, hub, view, undefined, LIMIT, format);
      }
  }

  before(async () => {
    const started = hub.start();
    engine.open('users', 100, [
      ['a', 1],
      ['b', BIG],
      ['d', 4],
      ['e', 5],
      ['f', 6],
    ]);
    engine.open('tags', 100, [['t'], ['t'], ['u'], ['x'], ['y']]);
    await started;
    join('early');
  });

  after(() => {
    for (const socket of sockets.values()) socket.emit('close');
    hub.close();
  });

  /** Every socket's frames so far, by `<view> <format> <name>`. */
  function frames(): Record<string, string[]> {
    return Object.fromEntries([...sockets].map(([name, socket]) => [name, socket.frames]));
  }

  async function allReach(count: number, name = 'early'): Promise<void> {
    for (const [key, socket] of sockets) if (key.endsWith(name)) await socket.frameCount(count);
  }

  it('writes the first frame, live batches and a catch-up exactly as the protocol says', async () => {
    await allReach(1);
    // A live batch: an update of a keyed row, one removal, one insertion of a repeated row.
    engine.step('users', 110, [
      [['a', 1], -1],
      [['a', 2], 1],
    ]);
    engine.step('tags', 110, [
      [['t'], -1],
      [['v'], 2],
    ]);
    await allReach(2);
    // Every socket falls behind; two batches later they drain and get one net change each (smaller
    // than the view, or the protocol would close the socket for a new connection's whole state).
    for (const socket of sockets.values()) socket.bufferedAmount = LIMIT + 1;
    engine.step('users', 120, [[['c', 3], 1]]);
    engine.step('tags', 120, [[['w'], 1]]);
    engine.step('users', 130, [
      [['a', 2], -1],
      [['a', 5], 1],
      [['d', 4], -1],
      [['d', BIG], 1],
    ]);
    engine.step('tags', 130, [[['u'], -1]]);
    // Once the views are at 130, the drained sockets' catch-up covers both batches.
    await new Promise<void>((published) => {
      const stop = hub.onMoment((moment) => {
        if (moment.timestamp < 130) return;
        stop();
        published();
      });
      if ((hub.timestamp ?? 0) >= 130) {
        stop();
        published();
      }
    });
    for (const socket of sockets.values()) socket.bufferedAmount = 0;
    await allReach(3);
    // None was closed: each net change is smaller than its view.
    assert.deepEqual(
      [...sockets.values()].filter((socket) => socket.closed !== null),
      [],
    );

    // A socket that joins later starts from the group's base; the next batch is a delta for it too.
    join('late');
    await allReach(1, 'late');
    engine.step('users', 140, [[['e', 5], -1]]);
    engine.step('tags', 140, [[['y'], 1]]);
    await allReach(4);
    await allReach(2, 'late');

    assert.deepEqual(frames(), {
      'users seed early': [
        '{"inserted":[["a",1],["b",9007199254740993],["d",4],["e",5],["f",6]],"deleted":[],"timestamp":100}',
        '{"inserted":[["a",2]],"deleted":[["a",1]],"timestamp":110}',
        '{"inserted":[["c",3],["a",5],["d",9007199254740993]],"deleted":[["a",2],["d",4]],"timestamp":130}',
        '{"inserted":[],"deleted":[["e",5]],"timestamp":140}',
      ],
      'users positional early': [
        '[100,[["a",1],["b",9007199254740993],["d",4],["e",5],["f",6]],[],100]',
        '[110,[["a",2]],[["a",1]],110]',
        '[130,[["c",3],["a",5],["d",9007199254740993]],[["a",2],["d",4]],130]',
        '[10,[],[["e",5]]]',
      ],
      'users keyed early': [
        '[100,[["a",1],["b",9007199254740993],["d",4],["e",5],["f",6]],[],100,[0]]',
        '[10,[["a",2]]]',
        '[130,[["c",3],["a",5],["d",9007199254740993]],[],130]',
        '[10,[],[["e"]]]',
      ],
      'tags seed early': [
        '{"inserted":[["t"],["t"],["u"],["x"],["y"]],"deleted":[],"timestamp":100}',
        '{"inserted":[["v"],["v"]],"deleted":[["t"]],"timestamp":110}',
        '{"inserted":[["w"]],"deleted":[["u"]],"timestamp":130}',
        '{"inserted":[["y"]],"deleted":[],"timestamp":140}',
      ],
      'tags positional early': [
        '[100,[["t"],["t"],["u"],["x"],["y"]],[],100]',
        '[110,[["v"],["v"]],[["t"]],110]',
        '[130,[["w"]],[["u"]],130]',
        '[10,[["y"]],[]]',
      ],
      'tags keyed early': [
        '[100,[["t"],["t"],["u"],["x"],["y"]],[],100,null]',
        '[10,[["v"],["v"]],[["t"]]]',
        '[130,[["w"]],[["u"]],130]',
        '[10,[["y"]]]',
      ],
      'users seed late': [
        '{"inserted":[["b",9007199254740993],["e",5],["f",6],["c",3],["a",5],["d",9007199254740993]],"deleted":[],"timestamp":130}',
        '{"inserted":[],"deleted":[["e",5]],"timestamp":140}',
      ],
      'users positional late': [
        '[130,[["b",9007199254740993],["e",5],["f",6],["c",3],["a",5],["d",9007199254740993]],[],130]',
        '[10,[],[["e",5]]]',
      ],
      'users keyed late': [
        '[130,[["b",9007199254740993],["e",5],["f",6],["c",3],["a",5],["d",9007199254740993]],[],130,[0]]',
        '[10,[],[["e"]]]',
      ],
      'tags seed late': [
        '{"inserted":[["t"],["x"],["y"],["v"],["v"],["w"]],"deleted":[],"timestamp":130}',
        '{"inserted":[["y"]],"deleted":[],"timestamp":140}',
      ],
      'tags positional late': ['[130,[["t"],["x"],["y"],["v"],["v"],["w"]],[],130]', '[10,[["y"]],[]]'],
      'tags keyed late': ['[130,[["t"],["x"],["y"],["v"],["v"],["w"]],[],130,null]', '[10,[["y"]]]'],
    });
  });
});
