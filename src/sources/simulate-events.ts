/**
 * The event generator behind the simulator: a pure function of its seed. The population of
 * accounts (names, bot flags, home wikis) is the same for every seed, so the busiest simulated
 * editors keep their names from run to run; the seed drives the stream itself.
 */
import * as calibration from './simulate-calibration.js';
import { draw, drawTable, idForm, logNormal, Mulberry32, randomId } from './simulate-random.js';
import {
  categorizeEvent,
  Draft,
  editEvent,
  idlessLogEvent,
  logEvent,
  newPageEvent,
  unpatrolledEditEvent,
} from './simulate-shapes.js';
import {
  IsoDates,
  namespace,
  NAMESPACES,
  STEM_PATHS,
  STEMS,
  SYLLABLES,
  WIKIS,
  WORDS,
  type Wiki,
} from './simulate-text.js';
import type { RawEvent } from './types.js';

interface Account {
  name: string;
  bot: boolean;
  home: Wiki;
}

function accountName(rank: number, rng: Mulberry32, bot: boolean): string {
  let name = '';
  const parts = 2 + Math.floor(rng.next() * 2);
  for (let i = 0; i < parts; i++) name += SYLLABLES[Math.floor(rng.next() * SYLLABLES.length)];
  name = (name[0] as string).toUpperCase() + name.slice(1);
  if (rng.next() < 0.3) name += ` ${SYLLABLES[rank % SYLLABLES.length]}`;
  if (bot) return rng.next() < 0.5 ? `${name}Bot` : `${name}-bot`;
  return rng.next() < 0.25 ? `${name}${rank % 1000}` : name;
}

const WIKI_TABLE = drawTable(WIKIS);

/** The fixed population of core accounts, ranked by activity. */
const CORE: Account[] = (() => {
  const rng = new Mulberry32(0x5eed);
  const names = new Set<string>();
  return Array.from({ length: calibration.CORE_USERS }, (_, rank) => {
    const bot = calibration.BOT_RANKS.has(rank) || (rank > 21 && rng.next() < calibration.BOT_SHARE_BEYOND);
    let name = accountName(rank, rng, bot);
    while (names.has(name)) name += `${rank}`;
    names.add(name);
    return { name, bot, home: draw(rng, WIKI_TABLE) };
  });
})();

/** The other tables every event draws from, laid out once. */
const TYPES = drawTable(calibration.TYPE_MIX);
const ACCOUNTS = drawTable(
  CORE.map((account, rank) => [account, 1 / Math.pow(rank + 1, calibration.ZIPF_EXPONENT)]),
);
const NAMESPACE_TABLES = {
  edit: drawTable(NAMESPACES.edit),
  new: drawTable(NAMESPACES.new),
  log: drawTable(NAMESPACES.log),
};
const LOG_KINDS = drawTable(calibration.LOG_KINDS);
const CATEGORY = namespace(14);
const ARTICLE = namespace(0);

const UUID_FORM = idForm('xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx');
/** A file's sha1 as the simulator writes it: a uuid's draws without the dashes. */
const SHA1_FORM = idForm('xxxxxxxxxxxx4xxxyxxxxxxxxxxxxxxx');

/** A random uuid (version 4). */
function uuid(rng: Mulberry32): string {
  return randomId(rng, UUID_FORM);
}

/** A title's stem (word and syllable): two draws, in that order. */
function stemFor(rng: Mulberry32): number {
  const word = Math.floor(rng.next() * WORDS.length);
  return word * SYLLABLES.length + Math.floor(rng.next() * SYLLABLES.length);
}

/** One simulated stream: ids and offsets grow like the real ones, per generator. */
export class EventGenerator {
  private readonly rng: Mulberry32;
  private rcid = 3_400_000_000;
  private offset = 6_200_000_000;
  private logId = 398_000_000;
  private readonly dates = new IsoDates();
  private readonly draft = new Draft();

  constructor(seed: number) {
    this.rng = new Mulberry32(seed);
  }

  /**
   * The next event, dated `now` (ms since the epoch). The draws come in a fixed order (the stream
   * of a seed depends on it): type, account, wiki, namespace, title, the comment's title, the two
   * uuids, then the fields of the event's type.
   */
  next(now: number): RawEvent {
    const rng = this.rng;
    const d = this.draft;
    const type = draw(rng, TYPES);
    let home: Wiki;
    if (rng.next() < calibration.ONE_OFF_SHARE) {
      const index = Math.floor(rng.next() * calibration.ONE_OFF_POOL);
      home = draw(rng, WIKI_TABLE);
      // Many one-off editors are unregistered: the stream names them by address.
      d.user = index % 3 === 0 ? `192.0.${(index >> 8) & 255}.${index & 255}` : `Editor ${index}`;
      d.bot = false;
    } else {
      const account = draw(rng, ACCOUNTS);
      home = account.home;
      d.user = account.name;
      d.bot = account.bot;
    }
    const wiki = rng.next() < calibration.AWAY_FROM_HOME ? draw(rng, WIKI_TABLE) : home;
    const space = type === 'categorize' ? CATEGORY : draw(rng, NAMESPACE_TABLES[type]);
    const stem = stemFor(rng);
    const page = Math.floor(rng.next() * 100000);
    d.namespace = space.id;
    d.title = space.prefix + (STEMS[stem] as string) + page + space.suffix;
    d.uri = wiki.pageUrl + space.pathPrefix + (STEM_PATHS[stem] as string) + page + space.suffix;
    if (type === 'categorize') {
      const category = stemFor(rng);
      const title = ARTICLE.prefix + (STEMS[category] as string) + Math.floor(rng.next() * 100000);
      d.comment = `[[:${title}]] added to category`;
    } else d.comment = 'Simulated edit summary';
    d.requestId = uuid(rng);
    d.metaId = uuid(rng);
    d.domain = wiki.domain;
    d.dt = this.dates.format(now);
    d.offset = this.offset++;
    const rcid = (d.id = this.rcid++);
    d.timestamp = Math.floor(now / 1000);
    d.serverUrl = wiki.serverUrl;
    d.wiki = wiki.name;
    if (type === 'categorize') {
      d.notifyUrl = `${wiki.indexUrl}diff=${this.revisionId()}&rcid=${rcid}`;
      return categorizeEvent(d);
    }
    if (type === 'log') return this.log(d);
    const revision = this.revisionId();
    const previous = revision - 1 - Math.floor(rng.next() * 5000);
    d.revisionNew = revision;
    if (type === 'new') {
      d.notifyUrl = `${wiki.indexUrl}oldid=${revision}&rcid=${rcid}`;
      d.patrolled = rng.next() < calibration.PATROLLED_TRUE;
      d.lengthNew = Math.max(0, logNormal(rng, calibration.NEW_LENGTH));
      return newPageEvent(d);
    }
    d.notifyUrl = `${wiki.indexUrl}diff=${revision}&oldid=${previous}&rcid=${rcid}`;
    d.revisionOld = previous;
    d.minor = rng.next() < calibration.MINOR_SHARE;
    const patrolled = rng.next() >= calibration.PATROLLED_ABSENT;
    if (patrolled) d.patrolled = rng.next() < calibration.PATROLLED_TRUE;
    const before = Math.max(0, logNormal(rng, calibration.EDIT_LENGTH));
    const change =
      rng.next() < calibration.SHRINK_SHARE
        ? -Math.min(before, logNormal(rng, calibration.SHRINK))
        : logNormal(rng, calibration.GROWTH);
    d.lengthOld = before;
    d.lengthNew = before + change;
    return patrolled ? editEvent(d) : unpatrolledEditEvent(d);
  }

  private revisionId(): number {
    return 1_000_000_000 + Math.floor(this.rng.next() * 1_500_000_000);
  }

  private log(d: Draft): RawEvent {
    const [logType, logAction] = draw(this.rng, LOG_KINDS);
    const withoutId = this.rng.next() < calibration.LOG_WITHOUT_ID;
    d.logId = this.logId++;
    d.logType = logType;
    d.logAction = logAction;
    d.logParams = logType === 'upload' ? { img_sha1: randomId(this.rng, SHA1_FORM) } : [];
    d.logActionComment = `${logAction} [[${d.title}]]`;
    return withoutId ? idlessLogEvent(d) : logEvent(d);
  }
}
