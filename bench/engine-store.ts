/**
 * The engine store, chosen by measurement: the commit pattern of one ingest transaction (a few to
 * a thousand changed operator entries, the sources' positions and the timestamp, durable before
 * anything is published) on every candidate that installs here, and the time to load the state
 * again at start with 10,000 and 1,000,000 groups. Baseline: one 4 KB append plus `fdatasync` on
 * the same disk, the floor of any durable commit.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeCandidates, type Candidate, type Entry } from './support/store-candidates.js';
import { fmt, loadAverage, log, printTable } from './support/stats.js';
import { printResult, type Scenario } from './result.js';

interface Pattern {
  name: string;
  entries: number;
  commits: number;
}

function patterns(quick: boolean): Pattern[] {
  return [
    { name: '5 entries', entries: 5, commits: quick ? 200 : 1000 },
    { name: '50 entries', entries: 50, commits: quick ? 200 : 1000 },
    { name: '1,000-event batch (700 entries)', entries: 700, commits: quick ? 20 : 100 },
  ];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
}

/** The entries of one transaction: per-user counts (bigint accumulators) and a global counter. */
function entriesOf(n: number, seq: number, groups: number): Entry[] {
  const out: Entry[] = [['counter', '', [BigInt(seq)]]];
  for (let i = 1; i < n; i++)
    out.push(['user_edits', `User ${(seq * 7919 + i * 104729) % groups}`, [BigInt(seq + i), seq]]);
  return out;
}

function fsyncBaseline(dir: string, commits: number): number[] {
  const fd = openSync(join(dir, 'baseline.log'), 'a');
  const block = Buffer.alloc(4096, 1);
  const times: number[] = [];
  for (let i = 0; i < commits; i++) {
    const start = performance.now();
    writeSync(fd, block);
    fdatasyncSync(fd);
    times.push(performance.now() - start);
  }
  closeSync(fd);
  return times;
}

interface CommitFigures {
  p50: number;
  p99: number;
  cpuUs: number;
  blockedMs: number;
}

async function measureCommits(candidate: Candidate, pattern: Pattern): Promise<CommitFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'viewcast-store-'));
  const store = await candidate.open(dir);
  const times: number[] = [];
  let blocked = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < pattern.commits; i++) {
    const entries = entriesOf(pattern.entries, i, 100_000);
    const start = performance.now();
    const done = store.commit(entries, { replay: String(i) }, 1_700_000_000_000 + i);
    blocked += performance.now() - start;
    await done;
    times.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpu0);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    p50: percentile(times, 0.5),
    p99: percentile(times, 0.99),
    cpuUs: (cpu.user + cpu.system) / pattern.commits,
    blockedMs: blocked / pattern.commits,
  };
}

/** Fills `groups` entries, closes, and times opening the store again and loading all of them. */
async function measureRestart(
  candidate: Candidate,
  groups: number,
): Promise<{ fillS: number; restartMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'viewcast-store-'));
  let store = await candidate.open(dir);
  const fillStart = performance.now();
  const chunk = 10_000;
  for (let from = 0; from < groups; from += chunk) {
    const entries: Entry[] = [];
    for (let i = from; i < Math.min(groups, from + chunk); i++)
      entries.push(['user_edits', `User ${i}`, [BigInt(i), i]]);
    await store.commit(entries, { replay: String(from) }, 1_700_000_000_000 + from);
  }
  const fillS = (performance.now() - fillStart) / 1000;
  await store.close();
  const start = performance.now();
  store = await candidate.open(dir);
  const loaded = await store.load('user_edits');
  const restartMs = performance.now() - start;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  if (loaded !== groups) throw new Error(`${candidate.name}: loaded ${loaded} of ${groups} entries`);
  return { fillS, restartMs };
}

const scenario: Scenario = async ({ quick, args }) => {
  const only = args.find((a) => a.startsWith('--only='))?.split('=')[1];
  const candidates = await storeCandidates();
  log(`load average ${loadAverage()}; data in ${tmpdir()}`);
  const usable: Candidate[] = [];
  for (const c of candidates) {
    if (typeof c === 'string') log(`skipped: ${c}`);
    else if (!only || c.name.startsWith(only)) usable.push(c);
  }
  const baselineDir = mkdtempSync(join(tmpdir(), 'viewcast-store-'));
  const baseline = fsyncBaseline(baselineDir, quick ? 200 : 1000);
  rmSync(baselineDir, { recursive: true, force: true });
  const floor = percentile(baseline, 0.5);
  log(
    `baseline: 4 KB append + fdatasync, p50 ${fmt(floor, 3)} ms, p99 ${fmt(percentile(baseline, 0.99), 3)} ms`,
  );

  const rows: Array<Array<string | number>> = [];
  let lmdbSmall = NaN;
  /** CPU per commit of 50 entries: before the journal, with it, with it and --sync-commits. */
  const cpu50 = new Map<string, number>();
  for (const pattern of patterns(quick)) {
    for (const candidate of usable) {
      const f = await measureCommits(candidate, pattern);
      if (candidate.name === 'lmdb + journal' && pattern.entries === 50) lmdbSmall = f.p50;
      if (pattern.entries === 50) cpu50.set(candidate.name, f.cpuUs);
      rows.push([
        pattern.name,
        candidate.name,
        fmt(f.p50, 3),
        fmt(f.p99, 3),
        fmt(f.cpuUs, 0),
        fmt(f.blockedMs, 3),
        fmt(f.p50 / floor, 2),
      ]);
    }
  }
  printTable(
    [
      'transaction',
      'store',
      'p50 ms',
      'p99 ms',
      'cpu µs per commit',
      'main thread blocked ms',
      'p50 / fsync floor',
    ],
    rows,
  );

  const before = cpu50.get('lmdb flushed per commit (before)');
  if (before !== undefined)
    for (const name of ['lmdb + journal', 'lmdb + journal --sync-commits']) {
      const after = cpu50.get(name);
      if (after !== undefined)
        log(
          `CPU per 50-entry commit: ${name} ${fmt(after, 0)} µs vs ${fmt(before, 0)} µs flushed per commit (${fmt(after / before, 2)}x)`,
        );
    }

  const restarts: Array<Array<string | number>> = [];
  for (const groups of quick ? [10_000, 100_000] : [10_000, 1_000_000]) {
    for (const candidate of usable) {
      const r = await measureRestart(candidate, groups);
      restarts.push([fmt(groups, 0), candidate.name, fmt(r.fillS, 1), fmt(r.restartMs, 0)]);
    }
  }
  printTable(['groups', 'store', 'fill s', 'open + load all ms'], restarts);
  printResult({
    scenario: 'engine-store',
    metric: 'lmdb + journal commit of 50 entries + positions + timestamp, p50',
    value: lmdbSmall,
    unit: 'ms',
    baseline: floor,
    ratio: Number((lmdbSmall / floor).toFixed(2)),
    goal: 'durable commit close to the fsync floor',
  });
};

export default scenario;
