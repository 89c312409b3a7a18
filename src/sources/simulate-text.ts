/**
 * The text of simulated events, worked out once instead of per event: each wiki's addresses, each
 * namespace's prefixes, the titles' stems already written both as text and as a URL path. At the
 * live rate every event runs with cold caches, so what counts is how much code runs and how many
 * bytes it allocates; an event is put together here from whole pieces, the same text as writing,
 * escaping and encoding it afresh each time.
 */
import * as calibration from './simulate-calibration.js';
import type { Weighted } from './simulate-calibration.js';

/** A wiki and its addresses. */
export interface Wiki {
  readonly name: string;
  readonly domain: string;
  /** `https://<domain>`, the event's `server_url`. */
  readonly serverUrl: string;
  /** Where its pages' paths start: `https://<domain>/wiki/`. */
  readonly pageUrl: string;
  /** Where its diff links' parameters start: `https://<domain>/w/index.php?`. */
  readonly indexUrl: string;
}

function wikiOf(name: string): Wiki {
  const domain = calibration.wikiDomain(name);
  const serverUrl = `https://${domain}`;
  return { name, domain, serverUrl, pageUrl: `${serverUrl}/wiki/`, indexUrl: `${serverUrl}/w/index.php?` };
}

/** The calibration's wikis with their weights, in its order (so a draw picks the same one). */
export const WIKIS: Weighted<Wiki> = calibration.WIKIS.map(([name, weight]) => [wikiOf(name), weight]);

const NS_PREFIX: Record<number, string> = {
  1: 'Talk:',
  2: 'User:',
  3: 'User talk:',
  4: 'Wikipedia:',
  6: 'File:',
  10: 'Template:',
  14: 'Category:',
  15: 'Category talk:',
  828: 'Module:',
};

/** A namespace and how its pages' titles and paths start and end. */
export interface Namespace {
  readonly id: number;
  readonly prefix: string;
  /** The prefix as a URL path writes it: spaces as underscores, then percent-encoded. */
  readonly pathPrefix: string;
  /** Files are pictures: `.jpg`. */
  readonly suffix: string;
}

const namespaces = new Map<number, Namespace>();

export function namespace(id: number): Namespace {
  let known = namespaces.get(id);
  if (known === undefined) {
    const prefix = NS_PREFIX[id] ?? '';
    const pathPrefix = encodeURIComponent(prefix.replaceAll(' ', '_'));
    namespaces.set(id, (known = { id, prefix, pathPrefix, suffix: id === 6 ? '.jpg' : '' }));
  }
  return known;
}

/** The calibration's namespaces per event type, with their weights, in its order. */
export const NAMESPACES: Record<'edit' | 'new' | 'log', Weighted<Namespace>> = {
  edit: calibration.NAMESPACES.edit.map(([id, weight]) => [namespace(id), weight]),
  new: calibration.NAMESPACES.new.map(([id, weight]) => [namespace(id), weight]),
  log: calibration.NAMESPACES.log.map(([id, weight]) => [namespace(id), weight]),
};

export const SYLLABLES = [
  'ka',
  'ri',
  'mo',
  'ven',
  'tor',
  'li',
  'sa',
  'nu',
  'bel',
  'da',
  'gro',
  'pi',
  'quen',
  'ste',
  'wal',
];
export const WORDS = [
  'River',
  'Church',
  'Station',
  'Portrait',
  'Map',
  'Bridge',
  'Castle',
  'Village',
  'Album',
  'Species',
];

/**
 * A title is `<word> of <Syllable> <number>`: its stem (all but the number) for each word and
 * syllable, at `word * SYLLABLES.length + syllable`, as text and as a URL path (only letters,
 * spaces and digits: underscores for the spaces are all its encoding needs).
 */
export const STEMS: readonly string[] = WORDS.flatMap((word) =>
  SYLLABLES.map((name) => `${word} of ${(name[0] as string).toUpperCase()}${name.slice(1)} `),
);
export const STEM_PATHS: readonly string[] = STEMS.map((stem) => stem.replaceAll(' ', '_'));

/** The end of an ISO time after its second's `.`, for each millisecond: `000Z` to `999Z`. */
const MILLIS: readonly string[] = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);

/**
 * `new Date(ms).toISOString()`, with the part up to the second worked out once per second: Date's
 * formatting is C++ that every event found cold (about a sixth of an event's generation at 40
 * events/s). Same text for every time, the milliseconds of an integer time >= 0 from a table.
 */
export class IsoDates {
  private second = NaN;
  private prefix = '';

  format(ms: number): string {
    if (!Number.isInteger(ms) || ms < 0) return new Date(ms).toISOString();
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      const iso = new Date(ms).toISOString();
      // Years beyond 9999 are written with a sign and six digits: their prefix is longer.
      if (iso.length !== 24) return iso;
      this.second = second;
      this.prefix = iso.slice(0, 20);
    }
    return this.prefix + (MILLIS[ms - second * 1000] as string);
  }
}
