/**
 * The `viewcast serve` flags, their defaults, and their validation. Every default is a flag; a bad
 * value stops the command with a message naming the flag and what it accepts.
 */
import { isLogFormat, type LogFormat } from '../core/log.js';
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';
import type { RetentionLimits } from '../hub/retention-log.js';
import type { ServerOptions } from '../server/server-options.js';
import { parseRetain } from '../engine/embedded/retention.js';
import { PG_FLAGS, pgSettings, type PgLimits, type PgSecurity } from '../pgwire/pg-options.js';
import { integer } from './flag-values.js';
import { SOURCE_DEFAULTS, SOURCE_FLAGS, sourceSettings } from './source-flags.js';

export interface ServeOptions {
  sources: string[];
  speed: number | 'max';
  rate: number;
  seed: number;
  views: string;
  dataDir: string | null;
  port: number;
  host: string;
  pgPort: number;
  /** Password for Postgres-wire clients; null trusts loopback clients only. */
  pgPassword: string | null;
  /** Limits and security of the Postgres-wire server (--pg-*). */
  pg: PgLimits & PgSecurity;
  engine: string;
  /** For `--source postgres://...`: the publication and slot to use (null: the defaults). */
  pgPublication: string | null;
  pgSlot: string | null;
  /** Every view on the PGlite path (`--pglite-only`), to compare it with the delta path. */
  pgliteOnly: boolean;
  batchSize: number;
  batchMs: number;
  /** Sources (see src/sources). Durations in ms. */
  loop: boolean;
  wikimediaUrl: string;
  userAgent: string;
  readTimeoutMs: number;
  reconnectDelayMs: number;
  autoTimeoutMs: number;
  /** `POST /api/ingest` is on when this is set. */
  ingestToken: string | null;
  ingestMaxBytes: number;
  /** Limits and policies of the HTTP server (origins, token, connections, slow clients, heartbeats). */
  server: ServerOptions;
  /** Per view: how many recent batches are kept for clients that resume with `since`. */
  retention: RetentionLimits;
  /** `text` lines for people, or one JSON object per line for log collectors. */
  logFormat: LogFormat;
  /** The engine's clock tick in ms (`--tick`, 0: none) and `--retime` for replays. */
  tickMs: number;
  retime: boolean;
  /** `--retain`: how long received events are kept (ms; Infinity: all; 0: none). */
  retainMs: number;
  /** `--sync-commits`: a transaction is on the disk (fdatasync) before its changes are published. */
  syncCommits: boolean;
}

export const SERVE_DEFAULTS = {
  ...SOURCE_DEFAULTS,
  views: 'views/wikirecent.sql',
  'data-dir': './data',
  port: '8875',
  host: '127.0.0.1',
  'pg-port': '6875',
  engine: 'embedded',
  'batch-size': '1000',
  'batch-ms': '2',
  'ingest-max-bytes': String(10 * 1024 * 1024),
  'max-connections': '1000',
  'max-subscriptions': '64',
  'max-message-bytes': '16384',
  'client-buffer-bytes': '1048576',
  'retention-batches': '1000',
  'retention-bytes': '1048576',
  'progress-ms': '1000',
  'heartbeat-ms': '15000',
  tick: '1000',
  retain: '7d',
} as const;

/** An origin as browsers send it: scheme://host[:port], no path; or `*`. */
function origin(text: string): string {
  if (text === '*') return text;
  let url: URL | null;
  try {
    url = new URL(text);
  } catch {
    url = null;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.origin !== text.replace(/\/$/, '')) {
    throw new UsageError(
      `--allow-origin takes an origin like https://example.org or http://localhost:3000 (no path), or *, not "${text}".`,
    );
  }
  return url.origin;
}

function authToken(text: string | undefined): string | null {
  if (text === undefined) return null;
  if (text.length < 8 || /\s/.test(text)) {
    throw new UsageError('--auth-token takes a token of at least 8 characters without spaces.');
  }
  return text;
}

export function parseServeOptions(argv: string[]): ServeOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      ...SOURCE_FLAGS,
      views: { type: 'string', default: SERVE_DEFAULTS.views },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean', default: false },
      'sync-commits': { type: 'boolean', default: false },
      retain: { type: 'string' },
      port: { type: 'string', default: SERVE_DEFAULTS.port },
      host: { type: 'string', default: SERVE_DEFAULTS.host },
      'pg-port': { type: 'string', default: SERVE_DEFAULTS['pg-port'] },
      'pg-password': { type: 'string' },
      ...PG_FLAGS,
      'pg-publication': { type: 'string' },
      'pg-slot': { type: 'string' },
      engine: { type: 'string', default: SERVE_DEFAULTS.engine },
      'pglite-only': { type: 'boolean', default: false },
      'batch-size': { type: 'string', default: SERVE_DEFAULTS['batch-size'] },
      'batch-ms': { type: 'string', default: SERVE_DEFAULTS['batch-ms'] },
      retime: { type: 'boolean', default: false },
      tick: { type: 'string', default: SERVE_DEFAULTS.tick },
      'ingest-token': { type: 'string' },
      'ingest-max-bytes': { type: 'string', default: SERVE_DEFAULTS['ingest-max-bytes'] },
      'allow-origin': { type: 'string', multiple: true },
      'allow-browser-queries': { type: 'boolean', default: false },
      'auth-token': { type: 'string' },
      'max-connections': { type: 'string', default: SERVE_DEFAULTS['max-connections'] },
      'max-subscriptions': { type: 'string', default: SERVE_DEFAULTS['max-subscriptions'] },
      'max-message-bytes': { type: 'string', default: SERVE_DEFAULTS['max-message-bytes'] },
      'client-buffer-bytes': { type: 'string', default: SERVE_DEFAULTS['client-buffer-bytes'] },
      'retention-batches': { type: 'string', default: SERVE_DEFAULTS['retention-batches'] },
      'retention-bytes': { type: 'string', default: SERVE_DEFAULTS['retention-bytes'] },
      'progress-ms': { type: 'string', default: SERVE_DEFAULTS['progress-ms'] },
      'heartbeat-ms': { type: 'string', default: SERVE_DEFAULTS['heartbeat-ms'] },
      'log-format': { type: 'string', default: 'text' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const logFormat = values['log-format'];
  if (!isLogFormat(logFormat)) throw new UsageError(`--log-format takes text or json, not "${logFormat}".`);
  if (values.memory && values['data-dir'] !== undefined) {
    throw new UsageError('--memory and --data-dir exclude each other: --memory keeps nothing on disk.');
  }
  const retainMs = parseRetain(values.retain ?? SERVE_DEFAULTS.retain);
  if (retainMs === null)
    throw new UsageError(
      `--retain takes a duration such as 24h, 7d or 90m, all, or 0 (keep none), not "${values.retain}".`,
    );
  if (values.memory && values['sync-commits'])
    throw new UsageError('--sync-commits puts the state on the disk: it does not go with --memory.');
  if (values.memory && values.retain !== undefined && retainMs > 0)
    throw new UsageError('--retain keeps events in the data directory: it does not go with --memory.');
  const remote = /^postgres(ql)?:\/\//i.test(values.engine);
  if (values.engine !== 'embedded' && !remote) {
    throw new UsageError(
      `--engine "${values.engine}" is not known: use embedded, or a remote engine's URL such as postgres://materialize@127.0.0.1:6875/materialize.`,
    );
  }
  if (remote && values.source?.length) {
    throw new UsageError(
      '--source does not go with a remote --engine: the remote engine owns ingest. Feed it instead (viewcast forward, or its own sources).',
    );
  }
  if (remote && values['pglite-only'])
    throw new UsageError(
      '--pglite-only is for the embedded engine; a remote --engine runs the views itself.',
    );
  const fromSources = sourceSettings(values);
  const { sources } = fromSources;
  const ingestToken = values['ingest-token'] ?? null;
  if (ingestToken === '') throw new UsageError('--ingest-token must not be empty.');
  if (sources.includes('ingest') && ingestToken === null)
    throw new UsageError('--source ingest needs --ingest-token TOKEN: POST /api/ingest is off without one.');
  const tickMs = integer('tick', values.tick, 0, 3_600_000);
  const progressMs = integer('progress-ms', values['progress-ms'], 10, 3_600_000);
  return {
    ...fromSources,
    views: values.views,
    dataDir: values.memory ? null : (values['data-dir'] ?? SERVE_DEFAULTS['data-dir']),
    port: integer('port', values.port, 0, 65535),
    host: values.host,
    pgPort: integer('pg-port', values['pg-port'], 0, 65535),
    pgPassword: values['pg-password'] ?? process.env['VIEWCAST_PG_PASSWORD'] ?? null,
    pg: pgSettings(values),
    pgPublication: values['pg-publication'] ?? null,
    pgSlot: values['pg-slot'] ?? null,
    engine: values.engine,
    pgliteOnly: values['pglite-only'],
    batchSize: integer('batch-size', values['batch-size'], 1, 1_000_000),
    batchMs: integer('batch-ms', values['batch-ms'], 0, 60_000),
    ingestToken,
    ingestMaxBytes: integer('ingest-max-bytes', values['ingest-max-bytes'], 1, 2 ** 31 - 1),
    server: {
      allowOrigins: (values['allow-origin'] ?? []).map(origin),
      authToken: authToken(values['auth-token'] ?? process.env['VIEWCAST_AUTH_TOKEN']),
      maxConnections: integer('max-connections', values['max-connections'], 1, 1_000_000),
      maxSubscriptions: integer('max-subscriptions', values['max-subscriptions'], 1, 100_000),
      maxMessageBytes: integer('max-message-bytes', values['max-message-bytes'], 256, 64 * 1024 * 1024),
      clientBufferBytes: integer('client-buffer-bytes', values['client-buffer-bytes'], 1024, 2 ** 31),
      progressMs,
      heartbeatMs: integer('heartbeat-ms', values['heartbeat-ms'], 10, 3_600_000),
      allowBrowserQueries: values['allow-browser-queries'],
      ...(tickMs > 0 ? { tickMs: Math.max(tickMs, progressMs) } : {}),
    },
    retention: {
      batches: integer('retention-batches', values['retention-batches'], 0, 10_000_000),
      bytes: integer('retention-bytes', values['retention-bytes'], 0, 2 ** 40),
    },
    logFormat,
    tickMs,
    retime: values.retime,
    retainMs: values.memory ? 0 : retainMs,
    syncCommits: values['sync-commits'],
  };
}
