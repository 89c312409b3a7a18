/**
 * Checks the data directory before the engine opens it. The engine's stores react badly to a
 * directory they cannot write (PGlite, when a view needs it, with an opaque "failed to initialize")
 * and worse to a full disk (a write error aborts or hangs it), so both are caught here, at start, with a message that says what to do,
 * and nothing in the directory is touched beyond a probe file that is removed again.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { ViewcastError } from '../core/errors.js';
import { mibText } from '../core/count-text.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';

/**
 * Less free space than this refuses the start: LMDB grows its file as state grows, and a PGlite
 * database (only when some view runs on PGlite) takes about 40 MB and grows its write-ahead log in
 * 16 MiB segments.
 */
export const MIN_FREE_BYTES = 64 * 1024 * 1024;

/** A write at this offset must succeed: one write-ahead-log segment (catches a file size limit). */
const PROBE_OFFSET = 16 * 1024 * 1024 - 1;

const REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it exists and is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EFBIG: 'files may not grow large enough here (a file size limit, e.g. ulimit -f, is in force)',
};

function dataDirError(dir: string, what: string, error: NodeJS.ErrnoException): ViewcastError {
  const reason = REASONS[error.code ?? ''] ?? error.message;
  return new ViewcastError(
    'VIEWCAST_DATA_DIR',
    `Cannot use the data directory ${dir}: ${what} failed: ${reason} (${error.code ?? 'error'}). ` +
      `Point --data-dir at a writable directory with free space, or run with --memory.`,
    { cause: error },
  );
}

/**
 * Creates the directory if needed, proves it writable with room to grow, and locks it for this
 * process; or throws, having changed nothing in it.
 */
export async function prepareDataDir(dir: string, minFreeBytes = MIN_FREE_BYTES): Promise<DataDirLock> {
  // PGlite creates the engine's files world-writable (0666): a new directory is made for its owner
  // only, so that no other local user can read or alter the state through it.
  await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    throw dataDirError(dir, 'creating it', error);
  });
  const info = await stat(dir);
  if (!info.isDirectory())
    throw dataDirError(dir, 'opening it', { name: 'Error', message: '', code: 'ENOTDIR' });

  const probe = join(dir, `.viewcast-write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(probe, 'wx');
    try {
      // A single byte far into a sparse file: cheap, yet it fails with EFBIG under a size limit.
      await handle.write(Buffer.from([0]), 0, 1, PROBE_OFFSET);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw dataDirError(dir, 'writing a test file in it', error as NodeJS.ErrnoException);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }

  const fs = await statfs(dir);
  // Root may use the blocks reserved for it; anyone else only the available ones.
  const free = (process.getuid?.() === 0 ? fs.bfree : fs.bavail) * fs.bsize;
  if (free < minFreeBytes) {
    throw new ViewcastError(
      'VIEWCAST_DATA_DIR_FULL',
      `The data directory ${dir} has ${mibText(free)} free; the engine needs at least ${mibText(minFreeBytes)} ` +
        `to run safely. Free some space, point --data-dir at another disk, or run with --memory.`,
    );
  }
  return lockDataDir(dir);
}
