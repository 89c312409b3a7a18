/**
 * The main thread serves sockets; the server's other threads (libuv's pool, V8's helpers, Workers)
 * run at a lower priority so that the main thread wins the cpu they share. Read from /proc, as an
 * operator would with `ps -L -o tid,ni`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BACKGROUND_NICE, lowerBackgroundThreads } from '../src/core/thread-priority.js';
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

function assertLowered(pid: number, mainNice: number): void {
  const nices = threadNices(pid);
  assert.equal(nices.get(pid), mainNice, 'the main thread keeps its own priority');
  const others = [...nices].filter(([tid]) => tid !== pid);
  // libuv's pool (4) and V8's helpers (4) at least.
  assert.ok(others.length >= 8, `${others.length} other threads`);
  for (const [tid, nice] of others)
    assert.equal(
      nice,
      Math.min(19, mainNice + BACKGROUND_NICE),
      `thread ${tid} runs lower than the main thread`,
    );
}

describe('viewcast serve: background threads run below the main thread', { timeout: 60_000 }, () => {
  // The server inherits this process's nice value (the team runs tests under `nice -n 10`).
  const ownNice = getPriority();
  const dataDir = mkdtempSync(join(tmpdir(), 'viewcast-priority-'));
  let server: RunningViewcast | null = null;
  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lowers every thread but the main one once listening, with a data directory', async () => {
    server = await startViewcast([
      '--source',
      `replay:${RECORDING}`,
      '--speed',
      'max',
      '--data-dir',
      dataDir,
    ]);
    assertLowered(server.child.pid as number, ownNice);
    await server.stop();
    server = null;
  });

  it('keeps its own priority on the main thread when started under nice', async () => {
    server = await startViewcast(['--source', `replay:${RECORDING}`, '--speed', 'max', '--memory'], {
      shell: 'exec nice -n 3 "$@"',
    });
    assertLowered(server.child.pid as number, Math.min(19, ownNice + 3));
    await server.stop();
    server = null;
  });
});

describe('lowerBackgroundThreads', { timeout: 30_000 }, () => {
  it('lowers a thread made after start at its next look, and keeps the main thread as it was', async () => {
    const mainNice = getPriority();
    const lowered: number[] = [];
    let onLowered = (): void => undefined;
    const background = await lowerBackgroundThreads({
      rescanMs: 20,
      onLowered: (tids) => {
        lowered.push(...tids);
        onLowered();
      },
    });
    // The Worker says which thread it is; it stays alive until terminated.
    const worker = new Worker(
      "const { parentPort } = require('node:worker_threads');" +
        "parentPort.postMessage(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());" +
        'setInterval(() => {}, 1 << 30);',
      { eval: true },
    );
    try {
      const tid = Number(await new Promise<string>((resolve) => worker.once('message', resolve)));
      if (!lowered.includes(tid))
        await new Promise<void>((resolve) => (onLowered = () => lowered.includes(tid) && resolve()));
      const nices = threadNices(process.pid);
      assert.equal(nices.get(tid), Math.min(19, mainNice + BACKGROUND_NICE));
      assert.equal(nices.get(process.pid), mainNice);
      assert.ok(background.lowered.has(tid));
    } finally {
      background.stop();
      await worker.terminate();
    }
  });
});
