/**
 * The main thread serves sockets; libuv's pool threads (brotli, LMDB's writes, file I/O) run at a
 * lower priority so that the main thread wins the cpu they share, while V8's helpers, which the main
 * thread waits for inside a garbage collection, keep its priority. Read from /proc, as an operator
 * would with `ps -L -o tid,ni`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lowerPoolThreads, POOL_NICE } from '../src/core/thread-priority.js';
import { startViewcast, type RunningViewcast } from './support/child-server.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

const RECORDING = recording(RECORDING_2476);

/** Each thread's nice value, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNices(pid: number): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name may hold spaces: the fields are counted after its closing parenthesis.
    nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return nices;
}

/** How many of the process's threads run at each nice value, main thread apart. */
function census(pid: number): { main: number | undefined; others: Map<number, number> } {
  const nices = threadNices(pid);
  const others = new Map<number, number>();
  for (const [tid, nice] of nices) if (tid !== pid) others.set(nice, (others.get(nice) ?? 0) + 1);
  return { main: nices.get(pid), others };
}

describe('viewcast serve: libuv pool threads run below the main thread', { timeout: 60_000 }, () => {
  // The server inherits this process's nice value (the team runs tests under `nice -n 10`).
  const ownNice = getPriority();
  const dataDir = mkdtempSync(join(tmpdir(), 'viewcast-priority-'));
  let server: RunningViewcast | null = null;
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lowers the pool (4 threads, or UV_THREADPOOL_SIZE) once listening, the others keep the main thread’s', async () => {
    server = await startViewcast([
      '--source',
      `replay:${RECORDING}`,
      '--speed',
      'max',
      '--data-dir',
      dataDir,
    ]);
    const { main, others } = census(server.child.pid as number);
    assert.equal(main, ownNice, 'the main thread keeps its priority');
    assert.equal(others.get(Math.min(19, ownNice + POOL_NICE)), 4, 'the 4 pool threads are lowered');
    assert.ok((others.get(ownNice) ?? 0) >= 4, "V8's helpers keep the main thread's priority");
    await server.stop();
    server = null;
  });

  it('finds a pool of another size, and keeps the gap when started under nice', async () => {
    server = await startViewcast(['--source', `replay:${RECORDING}`, '--speed', 'max', '--memory'], {
      shell: 'UV_THREADPOOL_SIZE=7 exec nice -n 3 "$@"',
    });
    const mainNice = Math.min(19, ownNice + 3);
    const { main, others } = census(server.child.pid as number);
    assert.equal(main, mainNice);
    assert.equal(others.get(Math.min(19, mainNice + POOL_NICE)), 7);
    await server.stop();
    server = null;
  });
});

describe('lowerPoolThreads', { timeout: 30_000 }, () => {
  it('lowers exactly the threads that run file-system requests', async () => {
    const mainNice = getPriority();
    const lowered = await lowerPoolThreads();
    // The threads that answer file-system requests, asked the same way a user's code would be served.
    const serving = new Set(
      (await Promise.all(Array.from({ length: 64 }, () => readlink('/proc/thread-self')))).map((link) =>
        Number(link.split('/').pop()),
      ),
    );
    for (const tid of serving) assert.ok(lowered.includes(tid), `pool thread ${tid} was lowered`);
    const nices = threadNices(process.pid);
    for (const tid of lowered) assert.equal(nices.get(tid), Math.min(19, mainNice + POOL_NICE));
    assert.equal(nices.get(process.pid), mainNice, 'the main thread keeps its priority');
    assert.deepEqual(await lowerPoolThreads(0), [], 'nice 0 leaves every thread as it is');
  });
});
