/**
 * One engine per data directory. Two processes running Postgres over the same files would each
 * write their own log and overwrite the other's pages: silent corruption.
 *
 * The lock is a directory made with mkdir (atomic on every file system, also a volume shared by
 * containers) through `proper-lockfile`, which refreshes its mtime every `updateMs` while the owner
 * lives. No process ids are checked (they mean nothing across containers): a lock whose mtime is older
 * than `staleMs` belongs to a process that stopped (a crash, kill -9) and is taken over. A start that
 * finds a fresh lock waits up to `waitMs` (by default just over `staleMs`, so a restart after a crash
 * succeeds) before it refuses.
 *
 * Taking over a stale lock is race-free: proper-lockfile alone would let two processes that both saw
 * the lock stale each remove it, the second removing the lock the first had just made. Here the
 * removal runs under a second mkdir lock (the takeover guard) and checks again, under the guard,
 * that the lock is still stale: of two processes racing for one stale lock, exactly one gets it.
 */
import * as fs from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import lockfile from 'proper-lockfile';
import { errorMessage, ViewcastError } from '../core/errors.js';

/**
 * proper-lockfile removes its locks on exit through signal-exit, which re-raises any signal nobody
 * else listens to, SIGXFSZ included: a write past a file size limit (ulimit -f) would then kill the
 * process instead of failing with EFBIG, which the data directory checks report. Listening here
 * keeps Node's own behaviour (the write fails, the process goes on).
 */
process.on('SIGXFSZ', function writesFailWithEfbig() {});

export const LOCK_FILE = 'viewcast.lock';
/** Who holds the lock, for the refusal message only (never checked). */
export const OWNER_FILE = 'viewcast.lock.owner';

export interface DataDirLock {
  /** Removes the lock; safe to call more than once. Also done when the process exits. */
  release(): void;
}

export interface LockOptions {
  /** A lock not refreshed for this long is stale and taken over (default 5 s). */
  staleMs?: number;
  /** How often the owner refreshes its lock (default 1 s). */
  updateMs?: number;
  /** How long a start waits for a fresh lock to be released or go stale (default staleMs + 1 s). */
  waitMs?: number;
  /** Called when the lock was lost (taken over after this process stalled for longer than staleMs). */
  onCompromised?: (error: Error) => void;
}

const DEFAULTS = { staleMs: 5_000, updateMs: 1_000 };
const POLL_MS = 250;

function lockedError(): NodeJS.ErrnoException {
  return Object.assign(new Error('Lock file is already being held'), { code: 'ELOCKED' });
}

/**
 * proper-lockfile removes a stale lock with `rmdir`; this one does so only under the takeover guard
 * and only if the lock is still stale. Our own release (`releasing`) removes it directly.
 */
function guardedFs(lockPath: string, staleMs: number, state: { releasing: boolean }): typeof fs {
  const guard = `${lockPath}.takeover`;
  const rmdir = (path: fs.PathLike, callback: (error: NodeJS.ErrnoException | null) => void): void => {
    if (state.releasing || String(path) !== lockPath) return fs.rmdir(path, callback);
    try {
      fs.mkdirSync(guard);
    } catch {
      // Another process is taking over right now; a guard left by a crash mid-takeover goes stale too.
      if (isOlderThan(guard, staleMs)) fs.rmSync(guard, { recursive: true, force: true });
      return callback(lockedError());
    }
    try {
      if (!isOlderThan(lockPath, staleMs)) return callback(lockedError()); // refreshed meanwhile: taken
      fs.rmdirSync(lockPath);
      callback(null);
    } catch (error) {
      callback(error as NodeJS.ErrnoException);
    } finally {
      fs.rmdirSync(guard);
    }
  };
  return { ...fs, rmdir } as typeof fs;
}

function isOlderThan(path: string, ms: number): boolean {
  try {
    return fs.statSync(path).mtimeMs < Date.now() - ms;
  } catch {
    return false;
  }
}

function owner(dir: string): string {
  try {
    const { pid, host } = JSON.parse(fs.readFileSync(resolve(dir, OWNER_FILE), 'utf8')) as {
      pid: number;
      host: string;
    };
    return `process ${pid} on ${host}`;
  } catch {
    return 'owner unknown';
  }
}

export async function lockDataDir(dir: string, options: LockOptions = {}): Promise<DataDirLock> {
  const staleMs = options.staleMs ?? DEFAULTS.staleMs;
  const updateMs = options.updateMs ?? DEFAULTS.updateMs;
  const waitMs = options.waitMs ?? staleMs + 1_000;
  const root = resolve(dir);
  const lockPath = resolve(root, LOCK_FILE);
  const state = { releasing: false };
  const settings = {
    lockfilePath: lockPath,
    realpath: false,
    stale: staleMs,
    update: updateMs,
    fs: guardedFs(lockPath, staleMs, state),
    onCompromised:
      options.onCompromised ??
      ((error: Error) => {
        process.stderr.write(
          `viewcast: lost the lock of the data directory ${root} (${error.message}); another process may ` +
            'use it now. Stopping to keep the data safe.\n',
        );
        process.exit(1);
      }),
  };
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await lockfile.lock(root, settings);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() >= deadline) {
        throw new ViewcastError(
          'VIEWCAST_DATA_DIR_IN_USE',
          `The data directory ${dir} is in use by another viewcast (${owner(root)}): its lock ${lockPath} ` +
            `was refreshed within the last ${staleMs / 1000} s. Two engines on one directory would corrupt ` +
            'it: stop the other one, or point --data-dir elsewhere. A lock left by a viewcast that stopped ' +
            `is taken over once it is ${staleMs / 1000} s old.`,
        );
      }
      await new Promise((wake) => setTimeout(wake, POLL_MS));
    }
  }
  try {
    fs.writeFileSync(resolve(root, OWNER_FILE), JSON.stringify({ pid: process.pid, host: hostname() }));
  } catch (error) {
    process.stderr.write(`viewcast: cannot note the lock's owner: ${errorMessage(error)}\n`);
  }
  let released = false;
  return {
    release(): void {
      if (released) return;
      released = true;
      state.releasing = true;
      try {
        lockfile.unlockSync(root, { lockfilePath: lockPath, realpath: false });
      } catch {
        // already gone (compromised or removed): nothing to release
      }
    },
  };
}
