/**
 * A data directory that cannot be written, or that is full, is refused at start with a clear error,
 * and nothing in it changes: the next start with a usable directory shows the same counts.
 *
 * How each fault is made real here (tests run as root on CI, where permission bits stop nobody):
 * - unwritable: the server runs as the unprivileged user `nobody` (when the tests run as root) or
 *   the directory is made read-only (otherwise);
 * - a path through a regular file: ENOTDIR, for any user;
 * - full, as write failures: a file size limit (`ulimit -f`, RLIMIT_FSIZE) under which writing a
 *   write-ahead-log segment fails with EFBIG, exactly as it would on a full disk;
 * - full, as free space: a small tmpfs mounted in a private mount namespace (`unshare -m`), run only
 *   where the machine allows it (it needs CAP_SYS_ADMIN) and skipped with the reason otherwise.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runViewcast, startViewcast, VIEWCAST_BIN } from './support/child-server.js';
import { recording, RECORDING_2476 } from './support/shared-data.js';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** sha256 of every file under `dir`, by relative path: "corrupts nothing" means this is unchanged. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path.slice(dir.length)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

function setMode(dir: string, writable: boolean): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    chmodSync(path, (statSync(path).mode & 0o777 & ~0o222) | (writable ? 0o200 : 0));
  }
  chmodSync(dir, writable ? 0o755 : 0o555);
}

describe('data directory unwritable or full', { timeout: 300_000 }, () => {
  let root: string;
  let dataDir: string;
  let replayArgs: string[];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'viewcast-datadir-'));
    chmodSync(root, 0o755); // other users (nobody) may pass through, not write
    dataDir = join(root, 'data');
    replayArgs = ['--source', `replay:${recording(RECORDING_2476)}`, '--speed', 'max', '--batch-size', '500'];
    const server = await startViewcast([...replayArgs, '--data-dir', dataDir]);
    await server.waitFor(/done, 2476 events applied/);
    assert.equal((await server.stop()).code, 0);
  });

  after(() => {
    if (root) {
      if (!asRoot) setMode(dataDir, true);
      rmSync(root, { recursive: true, force: true });
    }
  });

  /** The refused start: exit code 1, one `viewcast:` line matching `reason`, the directory unchanged. */
  async function expectRefused(
    start: () => ReturnType<typeof runViewcast>,
    reason: RegExp,
    dir: string | null = dataDir,
  ): Promise<void> {
    const before = dir === null ? null : fingerprint(dir);
    const run = start();
    const exit = await run.exited;
    assert.equal(exit.code, 1, run.output());
    assert.match(run.output(), reason);
    assert.doesNotMatch(run.output(), /listening on|\[object Object\]|at .*\.js:\d+/);
    if (dir !== null) assert.deepEqual(fingerprint(dir), before);
  }

  async function expectIntact(): Promise<void> {
    const server = await startViewcast([...replayArgs, '--data-dir', dataDir]);
    try {
      // The replay resumes after its last committed event: nothing is applied twice.
      await server.waitFor(/done, 0 events applied/);
      const counter = (await (await fetch(`${server.url}/api/views/counter`)).json()) as {
        rows: unknown[][];
      };
      assert.deepEqual(counter.rows, [[2476]]);
    } finally {
      await server.stop();
    }
  }

  it('creates a new data directory for its owner only (the engine writes world-writable files in it)', () => {
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  });

  it('refuses a data directory in use by another viewcast, which keeps serving; a stale lock is taken over', async () => {
    const first = await startViewcast([...replayArgs, '--data-dir', dataDir]);
    try {
      const pid = first.child.pid as number;
      await expectRefused(
        () => runViewcast(['serve', '--port', '0', '--pg-port', '0', ...replayArgs, '--data-dir', dataDir]),
        new RegExp(`viewcast: The data directory .* is in use by another viewcast \\(process ${pid} on `),
        // The running server may write meanwhile: only the refused one must not have touched anything.
        null,
      );
      const counter = (await (await fetch(`${first.url}/api/views/counter`)).json()) as { rows: unknown[][] };
      assert.deepEqual(counter.rows, [[2476]]);
    } finally {
      // SIGKILL leaves its lock behind: the next start must see it go stale (no process ids checked).
      assert.equal((await first.kill()).signal, 'SIGKILL');
    }
    const owner = JSON.parse(readFileSync(join(dataDir, 'viewcast.lock.owner'), 'utf8')) as { pid: number };
    assert.equal(owner.pid, first.child.pid);
    await expectIntact();
  });

  it('refuses a data directory whose path runs through a regular file, and leaves the file alone', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory\n');
    await expectRefused(
      () => runViewcast(['serve', '--port', '0', '--pg-port', '0', '--data-dir', join(file, 'data')]),
      /viewcast: Cannot use the data directory .*a-file\/data: creating it failed: a part of the path is a file, not a directory \(ENOTDIR\)/,
    );
    assert.equal(readFileSync(file, 'utf8'), 'not a directory\n');
  });

  it('refuses an unwritable data directory with state in it, and the state survives', async (t) => {
    const args = ['serve', '--port', '0', '--pg-port', '0', ...replayArgs, '--data-dir', dataDir];
    if (asRoot) {
      const probe = spawnSync(
        process.execPath,
        ['-e', `require('fs').accessSync(${JSON.stringify(VIEWCAST_BIN)})`],
        {
          uid: NOBODY,
          gid: NOBODY,
        },
      );
      if (probe.status !== 0) {
        t.skip('the project folder is not readable by the user nobody, so the server cannot run as nobody');
        return;
      }
      await expectRefused(
        () => runViewcast(args, { uid: NOBODY, gid: NOBODY }),
        /Cannot use the data directory .*: writing a test file in it failed: permission denied \(EACCES\)/,
      );
    } else {
      setMode(dataDir, false);
      try {
        await expectRefused(() => runViewcast(args), /writing a test file in it failed: permission denied/);
      } finally {
        setMode(dataDir, true);
      }
    }
    await expectIntact();
  });

  it('refuses to start when files cannot grow (writes fail as on a full disk), and the state survives', async () => {
    const args = ['serve', '--port', '0', '--pg-port', '0', ...replayArgs, '--data-dir', dataDir];
    // 4 MiB in 1 KiB blocks: below one 16 MiB write-ahead-log segment.
    await expectRefused(
      () => runViewcast(args, { shell: 'ulimit -f 4096 && exec "$@"' }),
      /Cannot use the data directory .*: writing a test file in it failed: files may not grow large enough here .*\(EFBIG\)/,
    );
    await expectIntact();
  });

  it('refuses a file system without room to grow, and copies of the state on it stay as they were', async (t) => {
    const unshare = spawnSync('unshare', ['-m', 'true']);
    if (unshare.status !== 0) {
      t.skip('no private mount namespace here (unshare -m needs CAP_SYS_ADMIN): the tmpfs case cannot run');
      return;
    }
    const mountPoint = mkdtempSync(join(root, 'tmpfs-'));
    // Room for the data directory plus 32 MiB: less than the 64 MiB the engine asks to have free.
    const usedKiB = Number(spawnSync('du', ['-sk', dataDir], { encoding: 'utf8' }).stdout.split(/\s/)[0]);
    const sizeMiB = Math.ceil(usedKiB / 1024) + 32;
    const script = [
      'set -e',
      `mount -t tmpfs -o size=${sizeMiB}m viewcast-test "${mountPoint}"`,
      `cp -a "${dataDir}" "${mountPoint}/data"`,
      `(cd "${mountPoint}/data" && find . -type f -print0 | sort -z | xargs -0 sha256sum) > "${mountPoint}/before"`,
      `set +e; "$@" --data-dir "${mountPoint}/data"; echo "exit=$?"; set -e`,
      `(cd "${mountPoint}/data" && find . -type f -print0 | sort -z | xargs -0 sha256sum) > "${mountPoint}/after"`,
      `cmp -s "${mountPoint}/before" "${mountPoint}/after" && echo unchanged || echo changed`,
    ].join('\n');
    const run = spawnSync(
      'unshare',
      [
        '-m',
        'bash',
        '-c',
        script,
        'bash',
        process.execPath,
        VIEWCAST_BIN,
        'serve',
        '--port',
        '0',
        '--pg-port',
        '0',
      ],
      { encoding: 'utf8' },
    );
    const output = `${run.stdout}${run.stderr}`;
    assert.equal(run.status, 0, output);
    assert.match(
      output,
      /viewcast: The data directory .* has \d+\.\d MiB free; the engine needs at least 64\.0 MiB to run safely/,
    );
    assert.match(output, /exit=1\nunchanged/);
  });
});
