/**
 * The event generator behind the simulator: a pure function of its seed. The population of
 * accounts (names, bot flags, home wikis) is the same for every seed, so the busiest simulated
 * editors keep their names from run to run; the seed drives the stream itself.
 */
import * as calibration from './simulate-calibration.js';
import type { Weighted } from './simulate-calibration.js';
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

/** A weighted table laid out for drawing: its weights in one typed array, their total, its values. */
interface DrawTable<T> {
  weights: Float64Array;
  total: number;
  values: T[];
}

const tables = new WeakMap<Weighted<unknown>, DrawTable<unknown>>();

function drawTable<T>(weighted: Weighted<T>): DrawTable<T> {
  let table = tables.get(weighted) as DrawTable<T> | undefined;
  if (table === undefined) {
    table = {
      weights: Float64Array.from(weighted, ([, w]) => w),
      total: weighted.reduce((sum, [, w]) => sum + w, 0),
      values: weighted.map(([value]) => value),
    };
    tables.set(weighted, table);
  }
  return table;
}

/**
 * A draw from a weighted table: the same draws as summing and scanning the pairs in order (the same
 * subtractions in the same order), over the weights in one typed array. At the live rate every
 * event finds its caches cold, and the scan over the accounts' table (CORE_USERS pairs, each an
 * array and a heap number of its own) read a cache line per pair; the typed array is contiguous.
 */
function pick<T>(rng: Rng, weighted: Weighted<T>): T {
  const { weights, total, values } = drawTable(weighted);
  let r = rng() * total;
  const last = weights.length - 1;
  for (let i = 0; i < last; i++) {
    r -= weights[i] as number;
    if (r < 0) return values[i] as T;
  }
  return values[last] as T;
}

/** A log-normal draw with the given median (Box-Muller). */
function logNormal(rng: Rng, { median, sigma }: { median: number; sigma: number }): number {
  const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return Math.round(median * Math.exp(sigma * z));
}

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
const WORDS = [
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

interface Account {
  name: string;
  bot: boolean;
  home: string;
}

function accountName(rank: number, rng: Rng, bot: boolean): string {
  let name = '';
  const parts = 2 + Math.floor(rng() * 2);
  for (let i = 0; i < parts; i++) name += SYLLABLES[Math.floor(rng() * SYLLABLES.length)];
  name = (name[0] as string).toUpperCase() + name.slice(1);
  if (rng() < 0.3) name += ` ${SYLLABLES[rank % SYLLABLES.length]}`;
  if (bot) return rng() < 0.5 ? `${name}Bot` : `${name}-bot`;
  return rng() < 0.25 ? `${name}${rank % 1000}` : name;
}

/** The fixed population of core accounts, ranked by activity. */
const CORE: Account[] = (() => {
  const rng = mulberry32(0x5eed);
  const names = new Set<string>();
  return Array.from({ length: calibration.CORE_USERS }, (_, rank) => {
    const bot = calibration.BOT_RANKS.has(rank) || (rank > 21 && rng() < calibration.BOT_SHARE_BEYOND);
    let name = accountName(rank, rng, bot);
    while (names.has(name)) name += `${rank}`;
    names.add(name);
    return { name, bot, home: pick(rng, calibration.WIKIS) };
  });
})();
const CORE_WEIGHTS: Weighted<number> = CORE.map((_, rank) => [
  rank,
  1 / Math.pow(rank + 1, calibration.ZIPF_EXPONENT),
]);

const HEX_DIGITS = '0123456789abcdef';

/** Where each of a uuid's 36 characters comes from: a random hex digit, or itself. */
const UUID_FORM = 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx';
const uuidChars: string[] = new Array<string>(UUID_FORM.length);

/**
 * The same draws, in the same order, as writing the parts one after the other; joined once, where
 * appending digit by digit made a string per digit (two uuids an event: 2 KB of garbage each).
 */
function uuid(rng: Rng): string {
  for (let i = 0; i < UUID_FORM.length; i++) {
    const form = UUID_FORM[i] as string;
    uuidChars[i] =
      form === 'x'
        ? (HEX_DIGITS[Math.floor(rng() * 16)] as string)
        : form === 'y'
          ? ('89ab'[Math.floor(rng() * 4)] as string)
          : form;
  }
  return uuidChars.join('');
}

function titleFor(rng: Rng, namespace: number): string {
  const word = WORDS[Math.floor(rng() * WORDS.length)] as string;
  const name = SYLLABLES[Math.floor(rng() * SYLLABLES.length)] as string;
  const base = `${word} of ${name[0]?.toUpperCase()}${name.slice(1)} ${Math.floor(rng() * 100000)}`;
  return `${NS_PREFIX[namespace] ?? ''}${namespace === 6 ? `${base}.jpg` : base}`;
}

/**
 * `new Date(ms).toISOString()`, with the part up to the second worked out once per second: Date's
 * formatting is C++ that every event found cold (about a sixth of an event's generation at 40
 * events/s). Same text for every time, the milliseconds of an integer time >= 0 written here.
 */
class IsoDates {
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
    const millis = ms - second * 1000;
    return `${this.prefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  }
}

/** One simulated stream: ids and offsets grow like the real ones, per generator. */
export class EventGenerator {
  private readonly rng: Rng;
  private rcid = 3_400_000_000;
  private offset = 6_200_000_000;
  private logId = 398_000_000;
  private readonly dates = new IsoDates();

  constructor(seed: number) {
    this.rng = mulberry32(seed);
  }

  /** The next event, dated `now` (ms since the epoch). */
  next(now: number): RawEvent {
    const rng = this.rng;
    const type = pick(rng, calibration.TYPE_MIX);
    const account =
      rng() < calibration.ONE_OFF_SHARE ? this.oneOff() : (CORE[pick(rng, CORE_WEIGHTS)] as Account);
    const wiki = rng() < calibration.AWAY_FROM_HOME ? pick(rng, calibration.WIKIS) : account.home;
    const domain = calibration.wikiDomain(wiki);
    const namespace = type === 'categorize' ? 14 : pick(rng, calibration.NAMESPACES[type]);
    const title = titleFor(rng, namespace);
    const url = `https://${domain}/wiki/${encodeURIComponent(title.replaceAll(' ', '_'))}`;
    const rcid = this.rcid++;
    const comment =
      type === 'categorize' ? `[[:${titleFor(rng, 0)}]] added to category` : 'Simulated edit summary';
    const event: RawEvent = {
      $schema: '/mediawiki/recentchange/1.0.0',
      meta: {
        uri: url,
        request_id: uuid(rng),
        id: uuid(rng),
        domain,
        stream: 'mediawiki.recentchange',
        dt: this.dates.format(now),
        topic: 'eqiad.mediawiki.recentchange',
        partition: 0,
        offset: this.offset++,
      },
      id: rcid,
      type,
      namespace,
      title,
      title_url: url,
      comment,
      timestamp: Math.floor(now / 1000),
      user: account.name,
      bot: account.bot,
    };
    if (type === 'edit' || type === 'new') this.addRevision(event, type, domain, rcid);
    else if (type === 'log') this.addLog(event, title);
    else event['notify_url'] = `https://${domain}/w/index.php?diff=${this.revisionId()}&rcid=${rcid}`;
    event['server_url'] = `https://${domain}`;
    event['server_name'] = domain;
    event['server_script_path'] = '/w';
    event['wiki'] = wiki;
    event['parsedcomment'] = comment;
    return event;
  }

  private oneOff(): Account {
    const index = Math.floor(this.rng() * calibration.ONE_OFF_POOL);
    const home = pick(this.rng, calibration.WIKIS);
    // Many one-off editors are unregistered: the stream names them by address.
    const name = index % 3 === 0 ? `192.0.${(index >> 8) & 255}.${index & 255}` : `Editor ${index}`;
    return { name, bot: false, home };
  }

  private revisionId(): number {
    return 1_000_000_000 + Math.floor(this.rng() * 1_500_000_000);
  }

  private addRevision(event: RawEvent, type: 'edit' | 'new', domain: string, rcid: number): void {
    const rng = this.rng;
    const revision = this.revisionId();
    const previous = revision - 1 - Math.floor(rng() * 5000);
    event['notify_url'] =
      type === 'new'
        ? `https://${domain}/w/index.php?oldid=${revision}&rcid=${rcid}`
        : `https://${domain}/w/index.php?diff=${revision}&oldid=${previous}&rcid=${rcid}`;
    event['minor'] = type === 'edit' && rng() < calibration.MINOR_SHARE;
    if (type === 'new' || rng() >= calibration.PATROLLED_ABSENT)
      event['patrolled'] = rng() < calibration.PATROLLED_TRUE;
    if (type === 'new') {
      event['length'] = { new: Math.max(0, logNormal(rng, calibration.NEW_LENGTH)) };
      event['revision'] = { new: revision };
      return;
    }
    const before = Math.max(0, logNormal(rng, calibration.EDIT_LENGTH));
    const change =
      rng() < calibration.SHRINK_SHARE
        ? -Math.min(before, logNormal(rng, calibration.SHRINK))
        : logNormal(rng, calibration.GROWTH);
    event['length'] = { old: before, new: before + change };
    event['revision'] = { old: previous, new: revision };
  }

  private addLog(event: RawEvent, title: string): void {
    const [logType, logAction] = pick(this.rng, calibration.LOG_KINDS);
    if (this.rng() < calibration.LOG_WITHOUT_ID) delete event['id'];
    event['log_id'] = this.logId++;
    event['log_type'] = logType;
    event['log_action'] = logAction;
    event['log_params'] = logType === 'upload' ? { img_sha1: uuid(this.rng).replace(/-/g, '') } : [];
    event['log_action_comment'] = `${logAction} [[${title}]]`;
  }
}
