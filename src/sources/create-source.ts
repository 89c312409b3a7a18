/** Turns a `--source` spec into a source. */
import { UsageError } from '../errors.js';
import { ReplaySource } from './replay.js';
import { SimulateSource } from './simulate.js';
import type { Source } from './types.js';

export interface SourceSettings {
  speed: number | 'max';
  rate: number;
  seed: number;
}

export interface ChosenSource {
  source: Source;
  /** Why this source was chosen, for the log (e.g. what `auto` decided). */
  reason: string | null;
}

export function createSource(spec: string, settings: SourceSettings): ChosenSource {
  if (spec === 'auto') {
    return {
      source: new SimulateSource({ rate: settings.rate, seed: settings.seed }),
      reason: 'auto: the live Wikimedia client is not part of this version, so the simulator feeds the views',
    };
  }
  if (spec === 'simulate')
    return { source: new SimulateSource({ rate: settings.rate, seed: settings.seed }), reason: null };
  if (spec.startsWith('replay:')) {
    const file = spec.slice('replay:'.length);
    if (!file) throw new UsageError('--source replay: needs a file, e.g. --source replay:recording.jsonl');
    return { source: new ReplaySource({ file, speed: settings.speed }), reason: null };
  }
  throw new UsageError(`--source "${spec}" is not known. Use auto, simulate or replay:FILE.`);
}
