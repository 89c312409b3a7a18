/**
 * The simulator's frequencies, counted from the 2,860 real events of the recordings in shared data
 * (the 2,476-event and 384-event files). Only counts are kept here, no recorded content; the test
 * `simulator-calibration` compares a simulated stream against the recordings themselves.
 */

export type Weighted<T> = ReadonlyArray<readonly [T, number]>;

export const TYPE_MIX: Weighted<'categorize' | 'edit' | 'log' | 'new'> = [
  ['categorize', 1407],
  ['edit', 1140],
  ['log', 187],
  ['new', 126],
];

/** Namespaces per event type (categorize events are always in namespace 14, Category). */
export const NAMESPACES: Record<'edit' | 'new' | 'log', Weighted<number>> = {
  edit: [
    [0, 629],
    [6, 373],
    [1, 39],
    [4, 36],
    [2, 16],
    [3, 10],
    [10, 9],
    [14, 8],
    [104, 6],
    [100, 3],
    [102, 3],
    [828, 3],
    [5, 1],
    [106, 1],
    [108, 1],
  ],
  new: [
    [0, 83],
    [14, 33],
    [3, 4],
    [104, 2],
    [1, 2],
    [4, 1],
    [100, 1],
  ],
  log: [
    [3, 68],
    [6, 60],
    [0, 28],
    [2, 18],
    [14, 6],
    [15, 5],
    [4, 1],
    [1, 1],
  ],
};

export const LOG_KINDS: Weighted<readonly [string, string]> = [
  [['delete', 'delete'], 90],
  [['upload', 'upload'], 56],
  [['block', 'reblock'], 13],
  [['abusefilter', 'hit'], 12],
  [['newusers', 'create'], 3],
  [['review', 'approve'], 2],
  [['block', 'block'], 2],
  [['patrol', 'patrol'], 2],
  [['pagetriage-curation', 'reviewed-redirect'], 2],
  [['upload', 'overwrite'], 2],
];

/** Events per wiki; the recordings saw 79 wikis, the 40 busiest are kept with their counts. */
export const WIKIS: Weighted<string> = [
  ['commonswiki', 1163],
  ['zhwikisource', 433],
  ['wikidatawiki', 351],
  ['cewiki', 204],
  ['enwiki', 121],
  ['enwikinews', 68],
  ['ptwikinews', 48],
  ['urwiki', 34],
  ['frwiki', 27],
  ['cawiki', 25],
  ['arzwiki', 23],
  ['dewiki', 22],
  ['cywiki', 19],
  ['eswiki', 19],
  ['ruwiki', 19],
  ['hewiki', 15],
  ['specieswiki', 15],
  ['viwiki', 13],
  ['bnwiki', 12],
  ['itwiki', 12],
  ['enwiktionary', 11],
  ['arwiki', 11],
  ['jawiki', 11],
  ['ptwiki', 10],
  ['cswiki', 9],
  ['idwikisource', 9],
  ['zhwiki', 8],
  ['ruwikinews', 8],
  ['nlwiki', 7],
  ['swwiki', 7],
  ['ukwiki', 7],
  ['mgwiktionary', 7],
  ['nlwiktionary', 7],
  ['zh_min_nanwiki', 6],
  ['idwiki', 5],
  ['srwiki', 4],
  ['eowiki', 4],
  ['uzwiki', 4],
  ['thwiki', 4],
  ['kowiki', 4],
];

const SPECIAL_DOMAINS: Record<string, string> = {
  commonswiki: 'commons.wikimedia.org',
  wikidatawiki: 'www.wikidata.org',
  specieswiki: 'species.wikimedia.org',
  metawiki: 'meta.wikimedia.org',
};

/** Worked out once per wiki: the simulator asks for every event's. */
const domains = new Map<string, string>();

/** The host name of a wiki database name, e.g. `enwikinews` -> `en.wikinews.org`. */
export function wikiDomain(wiki: string): string {
  let domain = domains.get(wiki);
  if (domain === undefined) domains.set(wiki, (domain = domainOf(wiki)));
  return domain;
}

function domainOf(wiki: string): string {
  const known = SPECIAL_DOMAINS[wiki];
  if (known) return known;
  const match = /^(.+?)(wiki|wikisource|wikinews|wiktionary|wikibooks|wikiquote|wikivoyage)$/.exec(wiki);
  if (!match) return `${wiki}.wikipedia.org`;
  const language = (match[1] as string).replace(/_/g, '-');
  const project = match[2] === 'wiki' ? 'wikipedia' : (match[2] as string);
  return `${language}.${project}.org`;
}

/**
 * User activity is heavy-tailed: in the recordings the busiest account made 15% of all events,
 * the top ten 61%, while 213 of 370 accounts appeared once. The simulator draws from a core of
 * CORE_USERS accounts by Zipf weights 1/rank^ZIPF_EXPONENT, and with ONE_OFF_SHARE from a pool so
 * large that its accounts rarely repeat.
 */
export const CORE_USERS = 400;
export const ZIPF_EXPONENT = 1.0;
export const ONE_OFF_SHARE = 0.06;
export const ONE_OFF_POOL = 250_000;
/** Ranks of the core that are bots: in the recordings bots made 46% of the events. */
export const BOT_RANKS = new Set([0, 2, 3, 5, 11, 13, 15, 17, 18, 19, 21]);
/** Beyond the listed ranks, the share of core accounts that are bots. */
export const BOT_SHARE_BEYOND = 0.3;
/** How often an account edits outside its home wiki. */
export const AWAY_FROM_HOME = 0.12;

/** Edits: 25% minor; `patrolled` is absent on a quarter of them and true on 92% of the rest. */
export const MINOR_SHARE = 0.25;
export const PATROLLED_ABSENT = 0.26;
export const PATROLLED_TRUE = 0.92;
/** Page lengths are log-normal: median 4,743 bytes before an edit, 188 for a new page. */
export const EDIT_LENGTH = { median: 4743, sigma: 1.35 };
export const NEW_LENGTH = { median: 250, sigma: 2.2 };
/** Edit size changes: 20% shrink the page; growth has a median near 60 bytes and a long tail. */
export const SHRINK_SHARE = 0.2;
export const GROWTH = { median: 60, sigma: 2.0 };
export const SHRINK = { median: 400, sigma: 1.5 };
/** Log events without a numeric `id`, as some are on the real stream. */
export const LOG_WITHOUT_ID = 0.1;
