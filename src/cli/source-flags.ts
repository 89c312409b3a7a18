/**
 * The flags of viewcast's event sources (`--source`, the replay's speed, the simulator's rate, the
 * live stream's timeouts), shared by `serve` and `forward`: one definition, one default and one
 * validation each, so a new source flag reaches both commands.
 */
import { UsageError } from '../core/errors.js';
import type { SourceSettings } from '../sources/create-source.js';
import { DEFAULT_USER_AGENT } from '../sources/user-agent.js';
import { WIKIMEDIA_URL } from '../sources/wikimedia.js';
import { integer, positive, seconds } from './flag-values.js';

export const SOURCE_DEFAULTS = {
  source: 'auto',
  speed: '1',
  rate: '40',
  seed: '1',
  'wikimedia-url': WIKIMEDIA_URL,
  'user-agent': DEFAULT_USER_AGENT,
  'read-timeout': '30',
  'reconnect-delay': '1',
  'auto-timeout': '5',
} as const;

/** For `parseArgs`, beside a command's own flags. */
export const SOURCE_FLAGS = {
  source: { type: 'string', multiple: true },
  speed: { type: 'string', default: SOURCE_DEFAULTS.speed },
  loop: { type: 'boolean', default: false },
  rate: { type: 'string', default: SOURCE_DEFAULTS.rate },
  seed: { type: 'string', default: SOURCE_DEFAULTS.seed },
  'wikimedia-url': { type: 'string', default: SOURCE_DEFAULTS['wikimedia-url'] },
  'user-agent': { type: 'string', default: SOURCE_DEFAULTS['user-agent'] },
  'read-timeout': { type: 'string', default: SOURCE_DEFAULTS['read-timeout'] },
  'reconnect-delay': { type: 'string', default: SOURCE_DEFAULTS['reconnect-delay'] },
  'auto-timeout': { type: 'string', default: SOURCE_DEFAULTS['auto-timeout'] },
} as const;

/** What `parseArgs` gives for SOURCE_FLAGS. */
export interface SourceFlagValues {
  source?: string[] | undefined;
  speed: string;
  loop: boolean;
  rate: string;
  seed: string;
  'wikimedia-url': string;
  'user-agent': string;
  'read-timeout': string;
  'reconnect-delay': string;
  'auto-timeout': string;
}

export type SourceFlagSettings = Pick<
  SourceSettings,
  | 'speed'
  | 'loop'
  | 'rate'
  | 'seed'
  | 'wikimediaUrl'
  | 'userAgent'
  | 'readTimeoutMs'
  | 'reconnectDelayMs'
  | 'autoTimeoutMs'
> & { sources: string[] };

export function sourceSettings(values: SourceFlagValues): SourceFlagSettings {
  if (!/^https?:\/\//.test(values['wikimedia-url']))
    throw new UsageError(`--wikimedia-url takes an http(s) URL, not "${values['wikimedia-url']}".`);
  return {
    sources: values.source?.length ? values.source : [SOURCE_DEFAULTS.source],
    speed: values.speed === 'max' ? 'max' : positive('speed', values.speed),
    loop: values.loop,
    rate: positive('rate', values.rate),
    seed: integer('seed', values.seed, 0, 2 ** 32 - 1),
    wikimediaUrl: values['wikimedia-url'],
    userAgent: values['user-agent'],
    readTimeoutMs: seconds('read-timeout', values['read-timeout']),
    reconnectDelayMs: seconds('reconnect-delay', values['reconnect-delay']),
    autoTimeoutMs: seconds('auto-timeout', values['auto-timeout']),
  };
}
