/**
 * `viewcast forward --to URL`: runs viewcast's sources (the live stream, a replay, the simulator)
 * and POSTs their events in batches to a webhook, such as a Materialize `FROM WEBHOOK BODY FORMAT
 * JSON ARRAY` source. With `--state FILE` the sources' positions are saved after every accepted
 * batch, and a new run resumes after them (at least once: a batch accepted just before a crash may
 * be sent again).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { errorMessage, UsageError, ViewcastError } from '../core/errors.js';
import { WebhookForwarder } from '../forward/webhook-forwarder.js';
import { createSource, type ChosenSource, type SourceSettings } from '../sources/create-source.js';
import type { Logger } from '../core/log.js';
import { integer } from './flag-values.js';
import { SOURCE_FLAGS, sourceSettings } from './source-flags.js';
import { describePosition } from '../sources/stream-position.js';

/** The sources' own settings come from `serve`'s: a new source flag reaches both commands. */
export interface ForwardOptions extends Omit<SourceSettings, 'log' | 'progress' | 'filePollMs'> {
  to: string;
  headers: Record<string, string>;
  sources: string[];
  batchSize: number;
  batchMs: number;
  state: string | null;
  /** Attempts after the first for a batch the webhook answers 429, 5xx or not at all. */
  maxRetries: number;
}

export const FORWARD_HELP = `Usage: viewcast forward --to URL [flags]

Posts the events of viewcast's sources to a webhook in batches, one JSON array per request
(e.g. a Materialize source created FROM WEBHOOK BODY FORMAT JSON ARRAY).

Flags (default in brackets):
  --to URL             the webhook, e.g. http://localhost:6876/api/webhook/materialize/public/wikirecent_webhook
  --header 'N: V'      an HTTP header for every request (a secret the webhook CHECKs); may be repeated
  --source SPEC        auto, wikimedia, simulate, replay:FILE, file:FILE; may be repeated [auto]
  --batch-size N       most events in one request [500]
  --batch-ms N         longest wait before a partial batch is sent, in ms [250]
  --state FILE         save the sources' positions after each accepted batch, and resume from them
  --max-retries N      attempts after the first for a batch answered 429, 5xx or not at all; then
                       forward exits with an error [8] (any other refusal exits at once)
  --speed N|max, --loop, --rate N, --seed N, --wikimedia-url URL, --user-agent TEXT,
  --read-timeout S, --reconnect-delay S, --auto-timeout S   as for viewcast serve
  -h, --help           this help
`;

export function parseForwardOptions(argv: string[]): ForwardOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      to: { type: 'string' },
      header: { type: 'string', multiple: true },
      'batch-size': { type: 'string', default: '500' },
      'batch-ms': { type: 'string', default: '250' },
      state: { type: 'string' },
      'max-retries': { type: 'string', default: '8' },
      ...SOURCE_FLAGS,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  if (!values.to || !/^https?:\/\//.test(values.to)) {
    throw new UsageError(`--to takes the webhook's http(s) URL${values.to ? `, not "${values.to}"` : ''}.`);
  }
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
    const match = /^([^:\s]+)\s*:\s*(.*)$/.exec(header);
    if (!match) throw new UsageError(`--header takes "Name: value", not "${header}".`);
    headers[(match[1] as string).toLowerCase()] = match[2] as string;
  }
  const fromSources = sourceSettings(values);
  if (fromSources.sources.includes('ingest'))
    throw new UsageError('--source ingest does not go with forward: post to the webhook directly.');
  return {
    ...fromSources,
    to: values.to,
    headers,
    batchSize: integer('batch-size', values['batch-size'], 1, 1_000_000),
    batchMs: integer('batch-ms', values['batch-ms'], 0, 60_000),
    state: values.state ?? null,
    maxRetries: integer('max-retries', values['max-retries'], 0, 1000),
  };
}

export interface RunningForward {
  forwarder: WebhookForwarder;
  /** Resolves when every finite source is done and its events were accepted. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startForward(options: ForwardOptions, log: Logger): Promise<RunningForward> {
  const positions: Record<string, string> = options.state ? await readState(options.state) : {};
  const forwarder = new WebhookForwarder({
    url: options.to,
    headers: options.headers,
    batchSize: options.batchSize,
    batchMs: options.batchMs,
    backoff: { initialMs: 250, maxMs: 30_000 },
    maxRetries: options.maxRetries,
    log,
    onAccepted: async (accepted) => {
      if (!options.state) return;
      Object.assign(positions, accepted);
      await writeFile(options.state, `${JSON.stringify(positions, null, 2)}\n`);
    },
  });
  const settings = { ...options, log, progress: { terminal: null, log } };
  const chosen: ChosenSource[] = [];
  for (const spec of options.sources) chosen.push(await createSource(spec, settings));
  const runs = chosen.map(async ({ source, reason }) => {
    log.info(`forward: ${source.describe()}${reason ? ` (${reason})` : ''} to ${options.to}`);
    const resume = positions[source.id] ?? null;
    if (resume !== null) log.info(`source ${source.id}: resuming after position ${describePosition(resume)}`);
    await source.run(forwarder.sinkFor(source.id), resume);
  });
  // A webhook that refuses for good stops every source (a live one would otherwise reconnect
  // forever), and `done` rejects with the reason: the command exits non-zero.
  const failed = forwarder.failed.then((error) => {
    for (const { source } of chosen) source.stop();
    throw error;
  });
  const done = Promise.race([Promise.all(runs).then(() => forwarder.flush()), failed]);
  done.then(
    () => log.info(`forward: ${forwarder.stats.events} events in ${forwarder.stats.batches} batches`),
    () => undefined,
  );
  return {
    forwarder,
    done,
    stop: async () => {
      for (const { source } of chosen) source.stop();
      await done.catch(() => undefined);
    },
  };
}

async function readState(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ViewcastError('VIEWCAST_FORWARD_STATE', `Cannot read --state ${file}: ${errorMessage(error)}.`);
  }
  try {
    const state = JSON.parse(text) as unknown;
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error('not an object');
    return state as Record<string, string>;
  } catch (error) {
    throw new ViewcastError(
      'VIEWCAST_FORWARD_STATE',
      `--state ${file} is not a positions file (${errorMessage(error)}); remove it to start from the beginning.`,
    );
  }
}
