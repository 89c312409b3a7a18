/**
 * Wires one viewcast together: engine -> hub -> HTTP/WebSocket server, and sources -> ingest
 * pipeline -> engine. Used by `viewcast serve` and by the tests, which run it on port 0.
 */
import { prepareDataDir } from '../engine/data-dir.js';
import { EmbeddedEngine } from '../engine/embedded/engine.js';
import { storeMappedFile } from '../engine/embedded/open-store.js';
import { systemClock, type Clock } from '../core/clock.js';
import { idleMemoryRelease, type IdleReleaseOptions } from '../core/idle-memory.js';
import { errorMessage, UsageError } from '../core/errors.js';
import { Hub } from '../hub/hub.js';
import { IngestPipeline } from '../ingest/pipeline.js';
import type { RunningPgServer } from '../pgwire/server.js';
import { startPgWire } from './start-pg-wire.js';
import { startServer, type RunningServer } from '../server/http-server.js';
import { createServeSource, type SourceSettings } from '../sources/create-source.js';
import { HttpIngestSource } from '../sources/http-ingest.js';
import { withSkipLog } from '../sources/skip-log.js';
import type { Source } from '../sources/types.js';
import type { Logger } from '../core/log.js';
import type { ServeOptions } from './options.js';
import { describePosition } from '../sources/stream-position.js';
import { declaredTables, isChangeSource, runChangeSource } from './change-sources.js';
import type { ChangeSource } from '../sources/postgres/interface.js';
import type { RetentionStatus } from '../engine/embedded/retention.js';
import { registerStorageMetrics } from '../server/storage-metrics.js';

export interface App {
  url: string;
  engine: EmbeddedEngine;
  hub: Hub;
  server: RunningServer;
  /** The Postgres-wire SUBSCRIBE server; null with --pg-port 0. */
  pg: RunningPgServer | null;
  /** Resolves when every finite source is exhausted and its events are committed. */
  sourcesDone: Promise<void>;
  status(): AppStatus;
  close(): Promise<void>;
}

export interface SourceReport {
  kind: string;
  id: string;
  description: string;
  /** Events committed by the engine. */
  events: number;
  skipped: Record<string, number>;
  done: boolean;
  error: string | null;
  [detail: string]: unknown;
}

export interface AppStatus {
  source: SourceReport;
  sources: SourceReport[];
  engine: {
    kind: string;
    timestamp: number | null;
    commits: number;
    dataDir: string | null;
    /** The retained event log and the data directory's disk use (--retain). */
    storage: RetentionStatus | null;
  };
  views: Record<string, { timestamp: number | null; rows: number }>;
}

export interface AppHooks {
  /** Sources start only once this resolves (tests open pages before any event arrives). */
  holdSources?: Promise<void>;
  /** The engine's clock (tests drive ticks and windows with a manual one). */
  clock?: Clock;
  /** The idle release's thresholds and report (tests force one with `growthBytes: 0`). */
  idleRelease?: Partial<IdleReleaseOptions>;
}

export async function startApp(
  options: ServeOptions,
  log: Logger,
  onFatal: (error: Error) => void = () => undefined,
  hooks: AppHooks = {},
): Promise<App> {
  // Unwritable, full or in use by another viewcast is refused here, before the engine opens it.
  const lock = options.dataDir ? await prepareDataDir(options.dataDir) : null;
  const chosen = await chooseSources(options, log);
  const engine = new EmbeddedEngine({
    viewsFile: options.views,
    dataDir: options.dataDir,
    pgliteOnly: options.pgliteOnly,
    tickMs: options.tickMs,
    retainMs: options.retainMs,
    syncCommits: options.syncCommits,
    onProgress: (line) => log.info(line),
    ...(hooks.clock ? { clock: hooks.clock } : {}),
    onFailure: (error) => {
      log.error(`the engine stopped: ${error.message}`);
      onFatal(error);
    },
  });
  log.info(
    `engine: embedded${options.pgliteOnly ? ' (--pglite-only)' : ''}, ${options.dataDir ? `data in ${options.dataDir}` : 'in memory (--memory)'}`,
  );
  try {
    await engine.start();
  } catch (error) {
    await engine.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
  log.info(`views from ${options.views}:`);
  for (const view of engine.views)
    log.info(`  view ${view.name}: ${view.path ?? 'delta'}${view.reason ? ` (${view.reason})` : ''}`);
  for (const warning of engine.warnings) log.warn(warning);
  for (const note of engine.notes) log.info(note);
  log.info(
    engine.pgliteLoaded
      ? 'PGlite loaded for the views above that need it'
      : 'PGlite not loaded: every view runs on the delta path',
  );

  const hub = new Hub(engine, { retention: options.retention });
  await hub.start();
  // Memory a burst of ingest grew is given back once it is over; LMDB's file is the store's.
  const idleRelease = idleMemoryRelease({
    clock: hooks.clock ?? systemClock,
    log,
    mappedFiles: options.dataDir ? [storeMappedFile(options.dataDir)] : [],
    ...hooks.idleRelease,
  });
  // The server starts after the pipeline: commits before it listens are not measured.
  const listening: { server?: RunningServer } = {};
  const pipeline = new IngestPipeline(engine, {
    batchSize: options.batchSize,
    batchMs: options.batchMs,
    onError: (error) => {
      log.error(`a transaction failed and its events were not applied: ${error.message}`);
      onFatal(error);
    },
    onCommit: (timestamp, startedAtMs, seconds) => {
      listening.server?.metrics.committed(timestamp, startedAtMs, seconds);
      idleRelease?.noteActivity();
    },
  });
  const states = new Map<Source | ChangeSource, { done: boolean; error: string | null }>();
  const changeCounters = new Map<string, { applied: number }>();
  const runs = chosen.map(async ({ source, reason }) => {
    const state = { done: false, error: null as string | null };
    states.set(source, state);
    log.info(`source: ${source.describe()}${reason ? ` (${reason})` : ''}`);
    await hooks.holdSources;
    const onResume = (position: string): void =>
      log.info(`source ${source.id}: resuming after position ${describePosition(position)}`);
    try {
      if (isChangeSource(source)) {
        const counters = { applied: 0 };
        changeCounters.set(source.id, counters);
        await runChangeSource(source, engine, counters, onResume, () => idleRelease?.noteActivity());
      } else {
        const sink = withSkipLog(pipeline.sinkFor(source.id), log, source.id);
        const resume = await engine.resumePosition(source.id);
        if (resume !== null) onResume(resume);
        await source.run(sink, resume);
      }
      await pipeline.drain();
      state.done = source.status().finished;
      if (state.done)
        log.info(
          `source ${source.id}: done, ${pipeline.counters.get(source.id)?.applied ?? 0} events applied`,
        );
    } catch (error) {
      state.error = errorMessage(error);
      log.error(`source ${source.id} stopped: ${state.error}`);
      onFatal(error instanceof Error ? error : new Error(state.error));
    }
  });

  const status = (): AppStatus => {
    const sources = chosen.map(({ source }): SourceReport => {
      const counters = pipeline.counters.get(source.id);
      const state = states.get(source);
      const { kind, emitted: _emitted, finished: _finished, ...details } = source.status();
      return {
        ...details,
        kind,
        id: source.id,
        description: source.describe(),
        events: counters?.applied ?? changeCounters.get(source.id)?.applied ?? 0,
        skipped: counters?.skipped ?? {},
        done: state?.done ?? false,
        error: state?.error ?? null,
      };
    });
    return {
      source: sources[0] as SourceReport,
      sources,
      engine: {
        kind: 'embedded',
        timestamp: hub.timestamp,
        commits: pipeline.commits,
        dataDir: options.dataDir,
        storage: engine.storage(),
      },
      views: Object.fromEntries(
        hub.views.map((c) => [c.name, { timestamp: c.timestamp, rows: c.rows.size }]),
      ),
    };
  };

  const ingestSource = chosen.map((c) => c.source).find((s) => s instanceof HttpIngestSource);
  const ingest =
    options.ingestToken !== null && ingestSource
      ? {
          token: options.ingestToken,
          maxBytes: options.ingestMaxBytes,
          submit: async (events: Parameters<HttpIngestSource['accept']>[0]) => {
            if (!ingestSource.ready) throw new Error('the sources have not started yet');
            const result = await ingestSource.accept(events);
            await pipeline.committed();
            return result;
          },
        }
      : null;
  const server = await startServer(
    { hub, status, ingest, options: options.server },
    options.host,
    options.port,
  );
  listening.server = server;
  registerStorageMetrics(server.metrics.registry, () => engine.storage());
  const pg = await startPgWire(hub, options, log, {
    inputRelation: engine.tables[0],
    sources: chosen.map(({ source }) => source.describe()),
  });
  let closing: Promise<void> | null = null;
  return {
    url: server.url,
    engine,
    hub,
    server,
    pg,
    sourcesDone: Promise.all(runs).then(() => undefined),
    status,
    close: () => {
      closing ??= (async () => {
        for (const { source } of chosen) source.stop();
        await Promise.all(runs);
        await pipeline.drain();
        idleRelease?.close();
        await server.close();
        await pg?.close();
        hub.close();
        await engine.close();
        lock?.release();
      })();
      return closing;
    },
  };
}

/** The sources of `--source` (in order), plus the ingest endpoint's when --ingest-token is set. */
async function chooseSources(
  options: ServeOptions,
  log: Logger,
): Promise<Array<{ source: Source | ChangeSource; reason: string | null }>> {
  const settings: SourceSettings = {
    ...options,
    log,
    progress: { terminal: process.stderr.isTTY ? process.stderr : null, log },
    tables: () => declaredTables(options.views),
  };
  const chosen: Array<{ source: Source | ChangeSource; reason: string | null }> = [];
  for (const spec of options.sources) chosen.push(await createServeSource(spec, settings));
  if (options.ingestToken !== null && !chosen.some((c) => c.source instanceof HttpIngestSource))
    chosen.push({ source: new HttpIngestSource(), reason: '--ingest-token is set' });
  const ids = new Set<string>();
  for (const { source } of chosen) {
    if (ids.has(source.id))
      throw new UsageError(`--source ${source.id} is given twice: each source may run once.`);
    ids.add(source.id);
  }
  return chosen;
}
