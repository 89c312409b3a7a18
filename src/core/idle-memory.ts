/**
 * Gives memory back to the system once ingest has gone idle after real work (a replay at full
 * speed, a backlog after a restart). A burst leaves memory that nothing else returns:
 * - V8's heap, grown to a few times the live data: V8's memory reducer shrinks it 10-20 s after
 *   ingest stops, but only when a mark-compact armed it, which in about one burst of eight never
 *   happens (the heap then stays at its peak). A full collection returns it at once.
 * - glibc malloc's main heap: freed chunks below the heap's top stay resident (glibc trims only the
 *   top), 20-30 MiB after a million events; `malloc_trim(0)` returns them. Node has no call for it,
 *   so it goes through koffi (an optional dependency, loaded at the first release); without it this
 *   step is skipped.
 * - clean pages of mapped files (LMDB's `data.mdb`, mapped read-only and written with pwrite):
 *   `madvise(MADV_DONTNEED)` takes them out of the process; they stay in the page cache and come
 *   back on the next read.
 * The rule (BENCHMARKS.md, "Footprint, seventh pass"): no ingest transaction for `idleMs` and the
 * process grew by `growthBytes` since its lowest point (the last release, or start). Its timer runs
 * only while transactions arrive and until the next idle check, so an idle server pays nothing, and
 * a server at a live rate never reaches `idleMs` without a transaction.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock } from './clock.js';
import { mibText } from './count-text.js';
import type { Logger } from './log.js';

export const IDLE_RELEASE_DEFAULTS = {
  /** Time without an ingest transaction after which ingest counts as idle. */
  idleMs: 5_000,
  /** How often the idle check runs while it is armed; V8 frees its pages on a background thread
   *  after a collection, so the native steps wait for the next check. */
  checkMs: 1_000,
  /** Growth of the RSS since its lowest point that makes a release worth it. */
  growthBytes: 32 * 2 ** 20,
};

export interface IdleReleaseOptions {
  clock: Clock;
  log: Logger;
  /** Files mapped by the process whose resident pages are dropped (LMDB's data.mdb). */
  mappedFiles?: readonly string[];
  idleMs?: number;
  checkMs?: number;
  growthBytes?: number;
  /** The package that reaches libc (tests name one that is not installed). */
  nativeModule?: string;
  /** The process's resident memory now (tests give the sizes a burst would leave). */
  rss?: () => number;
  /** Called after each release, with what it did. */
  onRelease?: (release: MemoryRelease) => void;
}

export interface MemoryRelease {
  rssBefore: number;
  /** After V8's collection and the pages it freed. */
  rssAfterV8: number;
  /** After malloc_trim (null: koffi unavailable). */
  rssAfterTrim: number | null;
  /** After the mapped files' pages were dropped (null: none, or koffi unavailable). */
  rssAfter: number;
  /** Mappings of `mappedFiles` whose pages were dropped. */
  mappingsAdvised: number;
}

interface Libc {
  mallocTrim(pad: number): number;
  madvise(address: number, length: number, advice: number): number;
}

const MADV_DONTNEED = 4;

export class IdleMemoryRelease {
  private readonly options: Required<Omit<IdleReleaseOptions, 'onRelease'>> &
    Pick<IdleReleaseOptions, 'onRelease'>;
  private lastActivity = 0;
  private stopTimer: (() => void) | null = null;
  /** The lowest RSS seen at an idle check or after a release. */
  private low: number;
  /** Set between V8's collection and the native steps at the next check. */
  private rssBefore: number | null = null;
  private libc: Promise<Libc | null> | null = null;
  private closed = false;
  private gcMs = 0;

  constructor(options: IdleReleaseOptions) {
    this.options = {
      ...IDLE_RELEASE_DEFAULTS,
      mappedFiles: [],
      nativeModule: 'koffi',
      rss: () => process.memoryUsage.rss(),
      ...options,
    };
    this.low = this.options.rss();
  }

  /** An ingest transaction was committed: arms the idle check. */
  noteActivity(): void {
    if (this.closed) return;
    this.lastActivity = this.options.clock.now();
    this.stopTimer ??= this.options.clock.every(this.options.checkMs, () => this.check());
  }

  close(): void {
    this.closed = true;
    this.disarm();
  }

  private disarm(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }

  private check(): void {
    const idle = this.options.clock.now() - this.lastActivity >= this.options.idleMs;
    if (this.rssBefore !== null) {
      const rssBefore = this.rssBefore;
      this.rssBefore = null;
      // A transaction since the collection keeps the check armed for its own idle time.
      if (idle) this.disarm();
      this.releaseNative(rssBefore).catch((error: unknown) => this.failed(error));
      return;
    }
    if (!idle) return;
    const rss = this.options.rss();
    if (rss - this.low < this.options.growthBytes) {
      this.low = Math.min(this.low, rss);
      this.disarm();
      return;
    }
    const started = performance.now();
    try {
      collectGarbage();
    } catch (error) {
      this.failed(error);
    }
    this.gcMs = performance.now() - started;
    this.rssBefore = rss;
    // Loaded now, so that it is there at the next check.
    this.libc ??= loadLibc(this.options.nativeModule, this.options.log);
  }

  /** Giving memory back is never worth stopping a server for. */
  private failed(error: unknown): void {
    this.options.log.debug?.(
      `memory: not given back: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  private async releaseNative(rssBefore: number): Promise<void> {
    const rssAfterV8 = this.options.rss();
    const libc = await (this.libc ?? Promise.resolve(null));
    let rssAfterTrim: number | null = null;
    let advised = 0;
    if (libc && !this.closed) {
      libc.mallocTrim(0);
      rssAfterTrim = this.options.rss();
      advised = dropMappedPages(libc, this.options.mappedFiles, this.options.log);
    }
    const rssAfter = this.options.rss();
    this.low = rssAfter;
    this.options.log.debug?.(
      `memory given back after ingest went idle: RSS ${mibText(rssBefore)} -> ${mibText(rssAfterV8)} (V8's heap, a ${this.gcMs.toFixed(0)} ms collection)` +
        (rssAfterTrim === null
          ? ''
          : ` -> ${mibText(rssAfterTrim)} (malloc_trim) -> ${mibText(rssAfter)} (pages of ${advised} file mapping${advised === 1 ? '' : 's'} dropped)`),
    );
    this.options.onRelease?.({ rssBefore, rssAfterV8, rssAfterTrim, rssAfter, mappingsAdvised: advised });
  }
}

/** The release for `viewcast serve`; none with VIEWCAST_IDLE_RELEASE=off (the benchmark's baseline). */
export function idleMemoryRelease(options: IdleReleaseOptions): IdleMemoryRelease | null {
  return process.env['VIEWCAST_IDLE_RELEASE'] === 'off' ? null : new IdleMemoryRelease(options);
}

let gc: (() => void) | null = null;

/**
 * A full collection of V8's heap that compacts it. A plain full collection frees only pages left
 * empty, and after a burst most pages hold a few live objects each (a server kept 73 MiB committed for
 * 19 MiB used); V8's memory reducer compacts, but only when a collection armed it. Compaction on
 * every full collection is switched on for this one only. `gc` is made available at run time, as
 * `--expose-gc` would: the flag applies to contexts made after it, and a fresh context's `gc`
 * collects the whole heap; the main context's globals stay as they were.
 */
function collectGarbage(): void {
  gc ??= (globalThis as { gc?: () => void }).gc ?? exposeGc();
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function loadLibc(moduleName: string, log: Logger): Promise<Libc | null> {
  try {
    const imported = (await import(moduleName)) as { default?: KoffiLike } & KoffiLike;
    const koffi = imported.default ?? imported;
    const lib = koffi.load('libc.so.6');
    const mallocTrim = lib.func('int malloc_trim(size_t pad)');
    // The address as an integer: user-space addresses (below 2^47) are exact as numbers.
    const madvise = lib.func('int madvise(uintptr_t addr, size_t length, int advice)');
    return {
      mallocTrim: (pad) => mallocTrim(pad) as number,
      madvise: (address, length, advice) => madvise(address, length, advice) as number,
    };
  } catch (error) {
    log.debug?.(
      `memory: ${moduleName} is not available (${error instanceof Error ? error.message : String(error)}): ` +
        "malloc's free memory and mapped files' pages are not given back when idle",
    );
    return null;
  }
}

interface KoffiLike {
  load(path: string): { func(signature: string): (...args: unknown[]) => unknown };
}

/**
 * Drops the resident pages of the files' mappings found in /proc/self/maps. Only shared mappings
 * (`s`) without write permission: their pages are the page cache's, so dropping them loses nothing.
 */
function dropMappedPages(libc: Libc, files: readonly string[], log: Logger): number {
  if (files.length === 0) return 0;
  const paths = new Set<string>();
  for (const file of files) {
    try {
      paths.add(realpathSync(file));
    } catch {
      // Not created (yet): nothing mapped.
    }
  }
  let advised = 0;
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const match = /^([0-9a-f]+)-([0-9a-f]+) (r-|--)-s \S+ \S+ \S+\s+(.+)$/.exec(line);
    if (!match?.[4] || !paths.has(match[4])) continue;
    const start = Number.parseInt(match[1] ?? '', 16);
    const length = Number.parseInt(match[2] ?? '', 16) - start;
    if (libc.madvise(start, length, MADV_DONTNEED) === 0) advised++;
    else log.debug?.(`memory: madvise of ${match[4]} failed`);
  }
  return advised;
}
