/**
 * `--retain`: how long the retained event log keeps what arrived, and the schedule that keeps it so.
 * Every MAINTAIN_EVERY_MS of the engine's clock (and after a commit that filled a chunk) the log's
 * tail is compacted into compressed chunks and chunks older than the retention are dropped, a few
 * per LMDB transaction, beside ingest (never in its way). The disk use of the data directory is
 * measured on the same schedule, for /api/status and /metrics.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { RetainedLog } from '../store/retained-log.js';

/** The default of `--retain`: a week of events (about 120 bytes each, BENCHMARKS.md). */
export const DEFAULT_RETAIN_MS = 7 * 24 * 3_600_000;
export const MAINTAIN_EVERY_MS = 10_000;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `24h`, `7d`, `90m`, `all` (Infinity) or `0` (off) as milliseconds; null when not one of those. */
export function parseRetain(text: string): number | null {
  if (text === 'all') return Infinity;
  if (text === '0' || text === 'off') return 0;
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(text.trim());
  if (!match) return null;
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  return ms > 0 && Number.isFinite(ms) ? Math.round(ms) : null;
}

export function formatRetain(ms: number): string {
  if (ms === Infinity) return 'all';
  if (ms <= 0) return 'off';
  for (const unit of ['d', 'h', 'm', 's']) {
    const size = UNITS[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export interface RetentionStatus {
  /** `--retain` as given: `7d`, `all`, or `off` (also with --memory). */
  retain: string;
  /** Bytes of the retained event log, and the events (or changes) it holds. */
  bytes: number;
  events: number;
  /** Time (ms) of the oldest retained transaction; null when the log is empty. */
  oldest: number | null;
  /** True when the log holds every transaction ever committed (a view of any kind can be added). */
  complete: boolean;
  /** Bytes the data directory takes on disk; null with --memory. */
  dataDirBytes: number | null;
}

/** Bytes on disk under `path` (allocated blocks: LMDB's file is sparse). */
async function diskUse(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.blocks * 512;
  let total = info.blocks * 512;
  for (const name of await readdir(path)) total += await diskUse(join(path, name)).catch(() => 0);
  return total;
}

export class Retention {
  private dataDirBytes: number | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly log: RetainedLog | null,
    private readonly clock: Clock,
    readonly retainMs: number,
    private readonly dataDir: string | null,
  ) {}

  /** Starts the schedule; returns the function that stops it. */
  start(): () => void {
    void this.run();
    return this.clock.every(MAINTAIN_EVERY_MS, () => void this.run());
  }

  /** After a commit: compacts as soon as a chunk's worth of events waits, not at the next slot. */
  afterCommit(): void {
    if (this.running === null && this.log?.enabled && this.log.compactionDue(this.clock.now()))
      void this.run();
  }

  /** One maintenance pass (compaction, pruning, disk use); a pass already running is joined. */
  run(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const now = this.clock.now();
    if (this.log?.enabled) {
      const cutoff = this.retainMs === Infinity ? null : now - this.retainMs;
      await this.log.maintain(now, cutoff).catch(() => undefined);
    }
    if (this.dataDir !== null) this.dataDirBytes = await diskUse(this.dataDir).catch(() => this.dataDirBytes);
  }

  status(): RetentionStatus {
    const stats = this.log?.status;
    return {
      retain: formatRetain(this.log?.enabled ? this.retainMs : 0),
      bytes: stats?.bytes ?? 0,
      events: stats?.events ?? 0,
      oldest: stats?.oldest ?? null,
      complete: stats?.since === 0,
      dataDirBytes: this.dataDir === null ? null : this.dataDirBytes,
    };
  }
}
