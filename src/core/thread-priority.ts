/**
 * The main thread serves sockets; libuv's thread pool does background work for it (the retained
 * log's brotli compression, LMDB's writes, file I/O). On Linux a thread has a nice value of its own
 * (setpriority on a thread id changes that thread only), so running the pool's threads lower lets the
 * main thread win whenever they share a cpu, while they still get every cycle it leaves. The values
 * are relative within the process's own scheduling group (an autogroup or cgroup): other processes
 * on the machine are not favoured.
 *
 * V8's helper threads are left as they are: the main thread waits for them inside a garbage
 * collection (parallel scavenges), and lowered they made those pauses longer. Worker threads are left
 * too: they run event loops of their own.
 *
 * The pool's threads have no names to find them by, so they are asked: a file-system request runs on
 * a pool thread, and readlink of /proc/thread-self there names that thread. The pool starts all its
 * threads at once on its first request and keeps them, so this is done once. Elsewhere than Linux,
 * or where /proc is not readable, it does nothing.
 */
import { readlink } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/** How much lower than the main thread the pool's threads run (nice values; at most 19 in all). */
export const POOL_NICE = 10;
/** The pool's size: libuv's default unless UV_THREADPOOL_SIZE says otherwise (libuv caps it at 1024). */
const POOL_SIZE = Math.min(1024, Math.max(1, Number(process.env['UV_THREADPOOL_SIZE']) || 4));
/** Requests in flight per round, so that every pool thread takes some; and rounds before giving up. */
const REQUESTS_PER_ROUND = 4 * POOL_SIZE;
const MAX_ROUNDS = 50;

/**
 * Finds libuv's pool threads and lowers them by `nice` (0: leaves them as they are). Resolves with
 * the thread ids lowered (fewer than the pool's size only if some never answered).
 */
export async function lowerPoolThreads(nice: number = POOL_NICE): Promise<number[]> {
  if (nice === 0 || process.platform !== 'linux') return [];
  const pool = new Set<number>();
  for (let round = 0; round < MAX_ROUNDS && pool.size < POOL_SIZE; round++) {
    const links = await Promise.all(
      Array.from({ length: REQUESTS_PER_ROUND }, () => readlink('/proc/thread-self').catch(() => null)),
    );
    for (const link of links) {
      const tid = Number(link?.split('/').pop());
      if (Number.isInteger(tid) && tid !== process.pid) pool.add(tid);
    }
  }
  // Relative to the main thread's own value, so that `nice -n 5 viewcast serve` keeps the gap.
  const target = Math.min(19, getPriority() + nice);
  const lowered: number[] = [];
  for (const tid of pool) {
    try {
      setPriority(tid, target);
      lowered.push(tid);
    } catch {
      // Not ours to change after all (a thread that ended): nothing to lower.
    }
  }
  return lowered;
}
