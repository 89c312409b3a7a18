/**
 * The `viewcast serve` flags, their defaults, and their validation. Every default is a flag; a bad
 * value stops the command with a message naming the flag and what it accepts.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';

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
  engine: string;
  batchSize: number;
  batchMs: number;
}

export const SERVE_DEFAULTS = {
  source: 'auto',
  speed: '1',
  rate: '40',
  seed: '1',
  views: 'views/wikirecent.sql',
  'data-dir': './data',
  port: '8875',
  host: '127.0.0.1',
  'pg-port': '6875',
  engine: 'embedded',
  'batch-size': '1000',
  'batch-ms': '2',
} as const;

export const SERVE_HELP = `Usage: viewcast serve [flags]

Streams live SQL views to web browsers at http://HOST:PORT.

Flags (default in brackets):
  --source SPEC        where events come from; may be repeated [auto]
                         auto            the live Wikimedia stream if reachable, else simulate
                         simulate        built-in generator of realistic edits (--rate, --seed)
                         replay:FILE     a recording: JSON lines or raw SSE text (--speed)
  --speed N|max        replay pace as a factor of the recorded pace, or max [1]
  --rate N             simulator events per second [40]
  --seed N             simulator seed, for a repeatable stream [1]
  --views FILE         SQL views file [views/wikirecent.sql]
  --data-dir DIR       where the engine keeps its state [./data]
  --memory             keep the engine's state in memory only (nothing survives a restart)
  --port N             HTTP port; 0 picks a free one [8875]
  --host ADDR          address to listen on [127.0.0.1]
  --pg-port N          Postgres-wire SUBSCRIBE port; 0 turns it off [6875]
  --engine embedded    the engine [embedded]
  --batch-size N       most events in one engine transaction [1000]
  --batch-ms N         longest wait before a transaction closes, in ms [2]
  -h, --help           this help
`;

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || value < min || value > max) {
    throw new UsageError(`--${flag} takes a whole number from ${min} to ${max}, not "${text}".`);
  }
  return value;
}

function positive(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`--${flag} takes a number above 0, not "${text}".`);
  return value;
}

export function parseServeOptions(argv: string[]): ServeOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      source: { type: 'string', multiple: true },
      speed: { type: 'string', default: SERVE_DEFAULTS.speed },
      rate: { type: 'string', default: SERVE_DEFAULTS.rate },
      seed: { type: 'string', default: SERVE_DEFAULTS.seed },
      views: { type: 'string', default: SERVE_DEFAULTS.views },
      'data-dir': { type: 'string' },
      memory: { type: 'boolean', default: false },
      port: { type: 'string', default: SERVE_DEFAULTS.port },
      host: { type: 'string', default: SERVE_DEFAULTS.host },
      'pg-port': { type: 'string', default: SERVE_DEFAULTS['pg-port'] },
      engine: { type: 'string', default: SERVE_DEFAULTS.engine },
      'batch-size': { type: 'string', default: SERVE_DEFAULTS['batch-size'] },
      'batch-ms': { type: 'string', default: SERVE_DEFAULTS['batch-ms'] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (values.memory && values['data-dir'] !== undefined) {
    throw new UsageError('--memory and --data-dir exclude each other: --memory keeps nothing on disk.');
  }
  if (values.engine !== 'embedded') {
    throw new UsageError(
      `--engine "${values.engine}" is not available: this version runs the embedded engine only (--engine embedded).`,
    );
  }
  return {
    sources: values.source?.length ? values.source : [SERVE_DEFAULTS.source],
    speed: values.speed === 'max' ? 'max' : positive('speed', values.speed),
    rate: positive('rate', values.rate),
    seed: integer('seed', values.seed, 0, 2 ** 32 - 1),
    views: values.views,
    dataDir: values.memory ? null : (values['data-dir'] ?? SERVE_DEFAULTS['data-dir']),
    port: integer('port', values.port, 0, 65535),
    host: values.host,
    pgPort: integer('pg-port', values['pg-port'], 0, 65535),
    engine: values.engine,
    batchSize: integer('batch-size', values['batch-size'], 1, 1_000_000),
    batchMs: integer('batch-ms', values['batch-ms'], 0, 60_000),
  };
}
