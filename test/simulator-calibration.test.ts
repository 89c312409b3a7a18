/**
 * The simulator against the real recordings: its events pass the same schema checks as the
 * recorded events, and its mix (types, bots, wikis, namespaces, user activity, lengths) stays
 * close to the mix counted in the recordings here, in the test.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { schemaProblems } from '../src/sources/event-schema.js';
import { readEntries } from '../src/sources/replay.js';
import { EventGenerator } from '../src/sources/simulate-events.js';
import type { RawEvent } from '../src/sources/types.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

function load(name: string): RawEvent[] {
  return readEntries(readFileSync(recording(name))).map((line) => JSON.parse(line) as RawEvent);
}

function simulate(seed: number, count: number): RawEvent[] {
  const generator = new EventGenerator(seed);
  const start = Date.parse('2026-06-20T12:00:00Z');
  return Array.from({ length: count }, (_, i) => generator.next(start + i * 25));
}

function share(events: RawEvent[], test: (e: RawEvent) => boolean): number {
  return events.filter(test).length / events.length;
}

function countBy(events: RawEvent[], key: (e: RawEvent) => unknown): Map<unknown, number> {
  const counts = new Map<unknown, number>();
  for (const e of events) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
  return counts;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const real = [...load(RECORDING_2476), ...load('recentchange-2026-06-20-384.sse')];
const older = load('recentchange-2023-07-29-enwiki-100.jsonl');
const simulated = simulate(1, 20_000);

describe('event schema checks', { timeout: 300_000 }, () => {
  it('every recorded event passes the complete check', () => {
    for (const [i, event] of [...real, ...older].entries())
      assert.deepEqual(schemaProblems(event, { complete: true }), [], `recorded event ${i}`);
  });

  it('every simulated event passes the same check', () => {
    for (const [i, event] of simulated.entries())
      assert.deepEqual(schemaProblems(event, { complete: true }), [], `simulated event ${i}`);
  });

  it('the check catches what a broken generator would produce', () => {
    const edit = structuredClone(real.find((e) => e['type'] === 'edit')) as RawEvent;
    delete (edit['length'] as Record<string, unknown>)['old'];
    edit['bot'] = 'yes';
    delete edit['wiki'];
    assert.deepEqual(schemaProblems(edit, { complete: true }), [
      'bot must be a boolean',
      'wiki is missing',
      'length must hold old and new, not new',
    ]);
    const log = structuredClone(real.find((e) => e['type'] === 'log')) as RawEvent;
    log['revision'] = { new: 1 };
    assert.deepEqual(schemaProblems(log, { complete: true }), ['revision is not part of a log event']);
  });

  it('tolerates the fields the real stream leaves out: user, id of a log event', () => {
    const log = structuredClone(real.find((e) => e['type'] === 'log')) as RawEvent;
    delete log['user'];
    delete log['id'];
    assert.deepEqual(schemaProblems(log, { complete: true }), []);
  });
});

describe('simulator calibration against the recordings', { timeout: 300_000 }, () => {
  it('is deterministic for a seed and differs between seeds', () => {
    assert.deepEqual(simulate(42, 50), simulate(42, 50));
    assert.notDeepEqual(simulate(42, 50), simulate(43, 50));
  });

  it('gives a seed the same stream as before, to the byte (`--seed` repeats a run across versions)', () => {
    // Digests of the JSON lines of the first 5,000 events of the generator as of 39bef98.
    const digest = (seed: number): string => {
      const hash = createHash('sha256');
      for (const event of simulate(seed, 5000)) hash.update(`${JSON.stringify(event)}\n`);
      return hash.digest('hex');
    };
    assert.equal(digest(1), 'e7e0c090543db18e841946171be92ed18f0e247a99e34be42a1817e0c61fd40d');
    assert.equal(digest(42), 'a280c4f02e1d2a71e0730433653cb313207cfd8a8349886322ca4ea6ef53fef3');
  });

  it('has the type mix of the recordings, each within 3 points', () => {
    for (const type of ['categorize', 'edit', 'log', 'new']) {
      const want = share(real, (e) => e['type'] === type);
      const got = share(simulated, (e) => e['type'] === type);
      assert.ok(
        Math.abs(got - want) < 0.03,
        `${type}: simulated ${got.toFixed(3)}, recorded ${want.toFixed(3)}`,
      );
    }
  });

  it('has the bot share of the recordings within 8 points', () => {
    const want = share(real, (e) => e['bot'] === true);
    const got = share(simulated, (e) => e['bot'] === true);
    assert.ok(Math.abs(got - want) < 0.08, `bots: simulated ${got.toFixed(3)}, recorded ${want.toFixed(3)}`);
  });

  it('has heavy-tailed user activity like the recordings', () => {
    const sample = simulated.slice(0, real.length);
    const top = (events: RawEvent[]): number[] =>
      [...countBy(events, (e) => e['user']).values()].sort((a, b) => b - a);
    const [realTop, simTop] = [top(real), top(sample)];
    const topShare = (counts: number[], n: number): number =>
      counts.slice(0, n).reduce((a, b) => a + b, 0) / real.length;
    // The busiest account makes about a seventh of all events; the top ten well over a third.
    assert.ok(Math.abs(topShare(simTop, 1) - topShare(realTop, 1)) < 0.06, `top 1: ${topShare(simTop, 1)}`);
    assert.ok(topShare(simTop, 10) > 0.35, `top 10: ${topShare(simTop, 10)}`);
    // ...and many accounts appear once.
    const once = (counts: number[]): number => counts.filter((c) => c === 1).length;
    assert.ok(
      once(simTop) > once(realTop) / 2,
      `accounts seen once: ${once(simTop)} (recorded ${once(realTop)})`,
    );
    assert.ok(simTop.length > 150, `distinct accounts: ${simTop.length}`);
  });

  it('spreads events over many wikis, Commons busiest, and keeps categorize in namespace 14', () => {
    const wikis = [...countBy(simulated, (e) => e['wiki']).entries()].sort((a, b) => b[1] - a[1]);
    assert.ok(wikis.length >= 30, `wikis: ${wikis.length}`);
    assert.ok(wikis.slice(0, 4).some(([w]) => w === 'commonswiki'));
    assert.ok(simulated.filter((e) => e['type'] === 'categorize').every((e) => e['namespace'] === 14));
    const articles = (events: RawEvent[]): number =>
      share(
        events.filter((e) => e['type'] === 'edit'),
        (e) => e['namespace'] === 0,
      );
    assert.ok(Math.abs(articles(simulated) - articles(real)) < 0.06);
  });

  it('has page lengths of the recorded magnitude', () => {
    const lengths = (events: RawEvent[]): number[] =>
      events.filter((e) => e['type'] === 'edit').map((e) => (e['length'] as { old: number }).old);
    const [want, got] = [median(lengths(real)), median(lengths(simulated))];
    assert.ok(got > want / 2 && got < want * 2, `median length before an edit: ${got}, recorded ${want}`);
  });
});
