/** Turns a `--source` spec into a source; `auto` asks the live stream first (see stream-probe.ts). */
import { UsageError } from '../core/errors.js';
import { isPostgresSpec, PostgresSource, type ReplicatedTable } from './postgres/index.js';
import type { ChangeSource } from './postgres/interface.js';
import { FileTailSource } from './file-tail.js';
import { HttpIngestSource } from './http-ingest.js';
import type { ProgressTarget } from './replay-progress.js';
import { ReplaySource } from './replay.js';
import { SimulateSource } from './simulate.js';
import { probeStream } from './stream-probe.js';
import type { Source, SourceLog } from './types.js';
import { WikimediaSource } from './wikimedia.js';

export interface SourceSettings {
  speed: number | 'max';
  loop: boolean;
  /** `--retime`: replayed events take the time they are replayed at. */
  retime?: boolean;
  rate: number;
  seed: number;
  wikimediaUrl: string;
  userAgent: string;
  readTimeoutMs: number;
  reconnectDelayMs: number;
  autoTimeoutMs: number;
  /** How often a followed file is looked at when no change notification came. */
  filePollMs?: number;
  log: SourceLog;
  /** Where replay progress goes: a terminal line, or log lines when `terminal` is null. */
  progress: ProgressTarget;
  /** For a postgres:// source: the views file's tables, and the publication and slot to use. */
  tables?: () => Promise<ReplicatedTable[]>;
  pgPublication?: string | null;
  pgSlot?: string | null;
}

export interface ChosenSource {
  source: Source;
  /** Why this source was chosen, for the log (e.g. what `auto` decided). */
  reason: string | null;
}

export const SOURCE_SPECS = 'auto, wikimedia, simulate, replay:FILE, file:FILE or ingest';

function wikimedia(settings: SourceSettings): WikimediaSource {
  return new WikimediaSource({
    url: settings.wikimediaUrl,
    userAgent: settings.userAgent,
    readTimeoutMs: settings.readTimeoutMs,
    backoff: { initialMs: settings.reconnectDelayMs, maxMs: Math.max(60_000, settings.reconnectDelayMs) },
    log: settings.log,
  });
}

function simulate(settings: SourceSettings): SimulateSource {
  return new SimulateSource({ rate: settings.rate, seed: settings.seed });
}

/** `viewcast serve`'s sources: those of `createSource`, and postgres:// (a source of changes). */
export async function createServeSource(
  spec: string,
  settings: SourceSettings,
): Promise<{ source: Source | ChangeSource; reason: string | null }> {
  if (isPostgresSpec(spec)) {
    const source = new PostgresSource({
      url: spec,
      tables: settings.tables ? await settings.tables() : [],
      log: settings.log,
      ...(settings.pgPublication ? { publication: settings.pgPublication } : {}),
      ...(settings.pgSlot ? { slot: settings.pgSlot } : {}),
    });
    return { source, reason: null };
  }
  return createSource(spec, settings);
}

export async function createSource(spec: string, settings: SourceSettings): Promise<ChosenSource> {
  if (spec === 'auto') {
    const probe = await probeStream(settings.wikimediaUrl, settings.userAgent, settings.autoTimeoutMs);
    if (probe.live)
      return { source: wikimedia(settings), reason: `auto chose the live stream: ${probe.why}` };
    return { source: simulate(settings), reason: `auto chose the simulator: ${probe.why}` };
  }
  if (spec === 'wikimedia') return { source: wikimedia(settings), reason: null };
  if (spec === 'simulate') return { source: simulate(settings), reason: null };
  if (spec === 'ingest') return { source: new HttpIngestSource(), reason: null };
  if (spec.startsWith('replay:')) {
    const file = spec.slice('replay:'.length);
    if (!file) throw new UsageError('--source replay: needs a file, e.g. --source replay:recording.jsonl');
    return {
      source: new ReplaySource({
        file,
        speed: settings.speed,
        loop: settings.loop,
        retime: settings.retime ?? false,
        progress: settings.progress,
      }),
      reason: null,
    };
  }
  if (spec.startsWith('file:')) {
    const file = spec.slice('file:'.length);
    if (!file) throw new UsageError('--source file: needs a file, e.g. --source file:recentchanges');
    return {
      source: new FileTailSource({ file, pollMs: settings.filePollMs ?? 500, log: settings.log }),
      reason: null,
    };
  }
  throw new UsageError(`--source "${spec}" is not known. Use ${SOURCE_SPECS}.`);
}
