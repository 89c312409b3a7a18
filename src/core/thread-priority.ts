/**
 * The main thread serves sockets; every other thread of the process (libuv's pool compressing the
 * retained log and doing file I/O, V8's helpers marking and scavenging, LMDB's writes) is background
 * work. On Linux a thread has a nice value of its own (setpriority on a thread id changes that thread
 * only), so lowering the background threads lets the main thread win whenever they share a cpu,
 * while they still get every cycle it leaves. The values are relative within the process's own
 * scheduling group (an autogroup or cgroup), so other processes on the machine are not favoured.
 *
 * Threads are made lazily (libuv's pool on its first job, a worker_threads Worker when created), and a
 * thread inherits the nice value of the thread that made it: the main thread's. So the threads are
 * lowered once libuv's pool exists, then looked for again now and then (one directory read).
 * Elsewhere than Linux, or where /proc is not readable, this does nothing.
 */
import { readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/** How much lower than the main thread background threads run (nice values; at most 19 in all). */
export const BACKGROUND_NICE = 10;
/** How often new threads are looked for once started: a thread missed meanwhile runs at the main thread's level. */
export const RESCAN_MS = 2_000;

const TASKS = '/proc/self/task';

export interface LowerOptions {
  /** How much lower than the main thread (default BACKGROUND_NICE; 0 leaves every thread as it is). */
  nice?: number;
  /** How often to look for new threads (default RESCAN_MS). */
  rescanMs?: number;
  /** Called with the ids of the threads each look lowered, when there were any. */
  onLowered?: (tids: number[]) => void;
}

export interface BackgroundThreads {
  /** The thread ids lowered so far (for status and tests). */
  readonly lowered: ReadonlySet<number>;
  stop(): void;
}

/**
 * Lowers every thread but the main one, now and as new threads appear. Resolves once the threads
 * that exist after libuv's pool has started are lowered.
 */
export async function lowerBackgroundThreads(options: LowerOptions = {}): Promise<BackgroundThreads> {
  const { nice = BACKGROUND_NICE, rescanMs = RESCAN_MS, onLowered } = options;
  const lowered = new Set<number>();
  if (nice === 0 || process.platform !== 'linux') return { lowered, stop: () => undefined };
  // An asynchronous read runs in libuv's pool, so the pool's threads all exist once it returns.
  const first = await readdir(TASKS).catch(() => null);
  if (first === null) return { lowered, stop: () => undefined };
  // Relative to the main thread's own value, so that `nice -n 5 viewcast serve` keeps the gap.
  const target = Math.min(19, getPriority() + nice);
  const scan = (): void => {
    const tids = lowerNew(readTasks(), target, lowered);
    if (tids.length > 0) onLowered?.(tids);
  };
  scan();
  const timer = setInterval(scan, rescanMs);
  timer.unref();
  return { lowered, stop: () => clearInterval(timer) };
}

function readTasks(): string[] {
  try {
    return readdirSync(TASKS);
  } catch {
    return [];
  }
}

function lowerNew(tasks: readonly string[], nice: number, lowered: Set<number>): number[] {
  const now: number[] = [];
  // Ended threads are forgotten: Workers come and go, and their ids are used again.
  const alive = new Set(tasks.map(Number));
  for (const tid of lowered) if (!alive.has(tid)) lowered.delete(tid);
  for (const tid of alive) {
    if (tid === process.pid || lowered.has(tid)) continue;
    try {
      setPriority(tid, nice);
      lowered.add(tid);
      now.push(tid);
    } catch {
      // The thread ended between the directory read and now: nothing to lower.
    }
  }
  return now;
}
