/**
 * One engine per data directory. Two processes running Postgres over the same files would each
 * write their own log and overwrite the other's pages: silent corruption. A lock file holding the
 * owner's process id keeps a second viewcast out; a lock left by a process that is gone (a crash,
 * kill -9) is taken over, since nothing writes to the directory any more.
 */
import { unlinkSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ViewcastError } from '../core/errors.js';

export const LOCK_FILE = 'viewcast.lock';

export interface DataDirLock {
  /** Removes the lock; safe to call more than once. Also done when the process exits. */
  release(): void;
}

/** Lock files held by this process: a lock with our own pid that is not here is stale. */
const held = new Set<string>();

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const path = resolve(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      held.add(path);
      const release = (): void => {
        process.off('exit', release);
        if (!held.delete(path)) return;
        try {
          unlinkSync(path);
        } catch {
          // already gone: nothing to release
        }
      };
      process.on('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (alive(owner) && (owner !== process.pid || held.has(path))) {
      throw new ViewcastError(
        'VIEWCAST_DATA_DIR_IN_USE',
        `The data directory ${dir} is in use by another viewcast (process ${owner}). Two engines on one ` +
          `directory would corrupt it: stop the other one, or point --data-dir elsewhere. If no viewcast ` +
          `is running, delete ${path}.`,
      );
    }
    await rm(path, { force: true }); // its owner is gone: nothing writes here any more
  }
  throw new ViewcastError(
    'VIEWCAST_DATA_DIR_IN_USE',
    `The data directory ${dir} is being locked by another process at this very moment; try again.`,
  );
}
