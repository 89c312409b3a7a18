/** The event generator behind the simulator: pure functions of a seeded random number generator. */
import type { RawEvent } from './types.js';

export type Rng = () => number;

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same stream of events. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rng: Rng, weighted: ReadonlyArray<readonly [T, number]>): T {
  const total = weighted.reduce((sum, [, w]) => sum + w, 0);
  let r = rng() * total;
  for (const [value, weight] of weighted) {
    r -= weight;
    if (r < 0) return value;
  }
  return (weighted[weighted.length - 1] as readonly [T, number])[0];
}

const TYPES = [
  ['categorize', 51],
  ['edit', 38],
  ['log', 6],
  ['new', 5],
] as const;
const WIKIS = [
  ['commonswiki', 'commons.wikimedia.org', 40],
  ['wikidatawiki', 'www.wikidata.org', 14],
  ['zhwikisource', 'zh.wikisource.org', 8],
  ['enwiki', 'en.wikipedia.org', 8],
  ['cewiki', 'ce.wikipedia.org', 4],
  ['dewiki', 'de.wikipedia.org', 3],
  ['frwiki', 'fr.wikipedia.org', 3],
  ['eswiki', 'es.wikipedia.org', 3],
  ['enwikinews', 'en.wikinews.org', 2],
  ['ptwiki', 'pt.wikipedia.org', 2],
  ['ruwiki', 'ru.wikipedia.org', 2],
  ['itwiki', 'it.wikipedia.org', 2],
  ['jawiki', 'ja.wikipedia.org', 2],
  ['arzwiki', 'arz.wikipedia.org', 1],
  ['cywiki', 'cy.wikipedia.org', 1],
  ['specieswiki', 'species.wikimedia.org', 1],
  ['bnwiki', 'bn.wikipedia.org', 1],
  ['arwiki', 'ar.wikipedia.org', 1],
  ['plwiki', 'pl.wikipedia.org', 1],
  ['nlwiki', 'nl.wikipedia.org', 1],
] as const;
const NAMESPACES = [
  [14, 50],
  [0, 26],
  [6, 14],
  [3, 3],
  [1, 2],
  [4, 2],
  [2, 1],
  [10, 1],
  [104, 1],
] as const;
const LOG_TYPES = [
  ['upload', 40],
  ['delete', 15],
  ['block', 5],
  ['newusers', 15],
  ['move', 10],
  ['protect', 5],
  ['patrol', 10],
] as const;

/** Heavy-tailed activity: user rank r is chosen with weight 1 / r^1.1 out of 3,000 users. */
const USER_COUNT = 3000;
const USER_WEIGHTS = Array.from({ length: USER_COUNT }, (_, i) => 1 / Math.pow(i + 1, 1.1));
const USER_TOTAL = USER_WEIGHTS.reduce((a, b) => a + b, 0);
const SYLLABLES = [
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

function userName(rank: number): { name: string; bot: boolean } {
  // Most of the busiest accounts are bots, as in the recordings; beyond the top 50 few are.
  const bot = rank < 50 ? rank % 3 !== 2 : rank % 17 === 0;
  let n = rank + 7;
  let name = '';
  for (let i = 0; i < 3; i++) {
    name += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length) + i * 5;
  }
  name = name[0]?.toUpperCase() + name.slice(1) + (rank % 4 === 0 ? ` ${rank % 97}` : '');
  return { name: bot ? `${name}Bot` : name, bot };
}

function userRank(rng: Rng): number {
  let r = rng() * USER_TOTAL;
  for (let i = 0; i < USER_COUNT; i++) {
    r -= USER_WEIGHTS[i] as number;
    if (r < 0) return i;
  }
  return USER_COUNT - 1;
}

function uuid(rng: Rng): string {
  const hex = (n: number): string =>
    Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(rng() * 4)]}${hex(3)}-${hex(12)}`;
}

let nextRcid = 3_400_000_000;
let nextOffset = 6_200_000_000;

export function simulatedEvent(rng: Rng, now: number): RawEvent {
  const type = pick(rng, TYPES);
  const [wiki, domain] = pick(
    rng,
    WIKIS.map(([w, d, weight]) => [[w, d] as const, weight] as const),
  );
  const namespace = type === 'categorize' ? 14 : pick(rng, NAMESPACES);
  const { name: user, bot } = userName(userRank(rng));
  const title = `${namespace === 14 ? 'Category:' : namespace === 6 ? 'File:' : ''}${SYLLABLES[Math.floor(rng() * 15)]} ${Math.floor(rng() * 100000)}`;
  const url = `https://${domain}/wiki/${encodeURIComponent(title.replace(/ /g, '_'))}`;
  const event: RawEvent = {
    $schema: '/mediawiki/recentchange/1.0.0',
    meta: {
      uri: url,
      request_id: uuid(rng),
      id: uuid(rng),
      domain,
      stream: 'mediawiki.recentchange',
      dt: new Date(now).toISOString(),
      topic: 'eqiad.mediawiki.recentchange',
      partition: 0,
      offset: nextOffset++,
    },
    id: nextRcid++,
    type,
    namespace,
    title,
    title_url: url,
    comment: type === 'categorize' ? `[[:${title}]] added to category` : 'Simulated edit summary',
    timestamp: Math.floor(now / 1000),
    user,
    bot,
    server_url: `https://${domain}`,
    server_name: domain,
    server_script_path: '/w',
    wiki,
    parsedcomment: 'Simulated edit summary',
  };
  if (type === 'edit' || type === 'new') {
    const oldLength = Math.floor(Math.exp(rng() * 11));
    const delta = Math.round((rng() - 0.4) * Math.exp(rng() * 7));
    const revision = 1_000_000_000 + Math.floor(rng() * 1_500_000_000);
    event['minor'] = type === 'edit' && rng() < 0.28;
    event['patrolled'] = rng() < 0.6;
    event['length'] =
      type === 'new'
        ? { new: Math.max(1, delta + 200) }
        : { old: oldLength, new: Math.max(0, oldLength + delta) };
    event['revision'] =
      type === 'new' ? { new: revision } : { old: revision - Math.floor(rng() * 5000) - 1, new: revision };
  } else if (type === 'log') {
    const logType = pick(rng, LOG_TYPES);
    event['log_type'] = logType;
    event['log_action'] = logType;
    event['log_id'] = Math.floor(rng() * 1e9);
    event['log_params'] = [];
    event['log_action_comment'] = 'Simulated log entry';
  }
  return event;
}
