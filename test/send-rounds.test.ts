import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendRounds } from '../src/server/send-rounds.js';

/** A client of the model: how many of the published frames it was written, and in which writes. */
interface Client {
  id: number;
  got: number;
  writes: number[];
}

/** Rounds over `n` clients that write each client the frames it has not had, as one write. */
function model(n: number, sliceMs: number) {
  const clients: Client[] = Array.from({ length: n }, (_, id) => ({ id, got: 0, writes: [] }));
  let published = 0;
  const roundsDone: Array<() => void> = [];
  const rounds = new SendRounds<Client>(
    () => clients,
    (client) => {
      if (client.got === published) return;
      client.writes.push(published - client.got);
      client.got = published;
    },
    () => roundsDone.shift()?.(),
    sliceMs,
  );
  return {
    clients,
    rounds,
    publish(): void {
      published++;
      rounds.request();
    },
    roundDone: () => new Promise<void>((resolve) => roundsDone.push(resolve)),
  };
}

describe('send rounds', { timeout: 30_000 }, () => {
  it('writes every client at once while a round fits in one slice', () => {
    const m = model(100, 1000);
    m.publish();
    assert.equal(m.rounds.busy, false);
    assert.ok(m.clients.every((c) => c.got === 1 && c.writes.length === 1));
  });

  it('yields to the event loop between slices, and every client still gets every frame', async () => {
    const m = model(40, 0); // a slice of zero ms: one clock check's worth of clients (16) per slice
    const first = m.roundDone();
    m.publish();
    assert.equal(m.rounds.busy, true, 'the round goes on after the event loop has run');
    assert.equal(m.clients.filter((c) => c.got === 1).length, 16);
    await first;
    assert.ok(m.clients.every((c) => c.got === 1));
  });

  it('writes a client reached late in a round everything published meanwhile, in one write', async () => {
    const m = model(40, 0);
    const [first, second] = [m.roundDone(), m.roundDone()];
    m.publish(); // the first slice writes clients 0-15 one frame
    m.publish(); // a round is under way: the rest will get both frames together
    await first;
    await second; // the next round brings clients 0-15 the second frame
    assert.ok(m.clients.every((c) => c.got === 2));
    assert.deepEqual(
      m.clients.map((c) => c.writes),
      m.clients.map((c) => (c.id < 16 ? [1, 1] : [2])),
    );
    assert.equal(m.rounds.busy, false);
  });
});
