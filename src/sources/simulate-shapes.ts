/**
 * The shapes of a simulated event: one object literal per shape, its keys in the order the
 * generator always wrote them. Built whole, an event has its hidden class from its literal at
 * once; adding fields one by one after a common literal walked a chain of transitions per event
 * (through store sites that saw every shape), grew a property store on the way, and deleting `id`
 * from some log events left them in dictionary mode.
 */
import type { RawEvent } from './types.js';

/** What the generator drew for one event; one per generator, filled in place for each event. */
export class Draft {
  uri = '';
  requestId = '';
  metaId = '';
  domain = '';
  dt = '';
  offset = 0;
  id = 0;
  namespace = 0;
  title = '';
  comment = '';
  timestamp = 0;
  user = '';
  bot = false;
  notifyUrl = '';
  minor = false;
  patrolled = false;
  lengthOld = 0;
  lengthNew = 0;
  revisionOld = 0;
  revisionNew = 0;
  logId = 0;
  logType = '';
  logAction = '';
  logParams: unknown = null;
  logActionComment = '';
  serverUrl = '';
  wiki = '';
}

const SCHEMA = '/mediawiki/recentchange/1.0.0';

function meta(d: Draft): RawEvent {
  return {
    uri: d.uri,
    request_id: d.requestId,
    id: d.metaId,
    domain: d.domain,
    stream: 'mediawiki.recentchange',
    dt: d.dt,
    topic: 'eqiad.mediawiki.recentchange',
    partition: 0,
    offset: d.offset,
  };
}

export function categorizeEvent(d: Draft): RawEvent {
  return {
    $schema: SCHEMA,
    meta: meta(d),
    id: d.id,
    type: 'categorize',
    namespace: d.namespace,
    title: d.title,
    title_url: d.uri,
    comment: d.comment,
    timestamp: d.timestamp,
    user: d.user,
    bot: d.bot,
    notify_url: d.notifyUrl,
    server_url: d.serverUrl,
    server_name: d.domain,
    server_script_path: '/w',
    wiki: d.wiki,
    parsedcomment: d.comment,
  };
}

export function editEvent(d: Draft): RawEvent {
  return {
    $schema: SCHEMA,
    meta: meta(d),
    id: d.id,
    type: 'edit',
    namespace: d.namespace,
    title: d.title,
    title_url: d.uri,
    comment: d.comment,
    timestamp: d.timestamp,
    user: d.user,
    bot: d.bot,
    notify_url: d.notifyUrl,
    minor: d.minor,
    patrolled: d.patrolled,
    length: { old: d.lengthOld, new: d.lengthNew },
    revision: { old: d.revisionOld, new: d.revisionNew },
    server_url: d.serverUrl,
    server_name: d.domain,
    server_script_path: '/w',
    wiki: d.wiki,
    parsedcomment: d.comment,
  };
}

/** An edit whose `patrolled` is absent, as on a quarter of the real stream's edits. */
export function unpatrolledEditEvent(d: Draft): RawEvent {
  return {
    $schema: SCHEMA,
    meta: meta(d),
    id: d.id,
    type: 'edit',
    namespace: d.namespace,
    title: d.title,
    title_url: d.uri,
    comment: d.comment,
    timestamp: d.timestamp,
    user: d.user,
    bot: d.bot,
    notify_url: d.notifyUrl,
    minor: d.minor,
    length: { old: d.lengthOld, new: d.lengthNew },
    revision: { old: d.revisionOld, new: d.revisionNew },
    server_url: d.serverUrl,
    server_name: d.domain,
    server_script_path: '/w',
    wiki: d.wiki,
    parsedcomment: d.comment,
  };
}

export function newPageEvent(d: Draft): RawEvent {
  return {
    $schema: SCHEMA,
    meta: meta(d),
    id: d.id,
    type: 'new',
    namespace: d.namespace,
    title: d.title,
    title_url: d.uri,
    comment: d.comment,
    timestamp: d.timestamp,
    user: d.user,
    bot: d.bot,
    notify_url: d.notifyUrl,
    minor: false,
    patrolled: d.patrolled,
    length: { new: d.lengthNew },
    revision: { new: d.revisionNew },
    server_url: d.serverUrl,
    server_name: d.domain,
    server_script_path: '/w',
    wiki: d.wiki,
    parsedcomment: d.comment,
  };
}

export function logEvent(d: Draft): RawEvent {
  return {
    $schema: SCHEMA,
    meta: meta(d),
    id: d.id,
    type: 'log',
    namespace: d.namespace,
    title: d.title,
    title_url: d.uri,
    comment: d.comment,
    timestamp: d.timestamp,
    user: d.user,
    bot: d.bot,
    log_id: d.logId,
    log_type: d.logType,
    log_action: d.logAction,
    log_params: d.logParams,
    log_action_comment: d.logActionComment,
    server_url: d.serverUrl,
    server_name: d.domain,
    server_script_path: '/w',
    wiki: d.wiki,
    parsedcomment: d.comment,
  };
}

/** A log event without a numeric `id`, as some are on the real stream. */
export function idlessLogEvent(d: Draft): RawEvent {
  return {
    $schema: SCHEMA,
    meta: meta(d),
    type: 'log',
    namespace: d.namespace,
    title: d.title,
    title_url: d.uri,
    comment: d.comment,
    timestamp: d.timestamp,
    user: d.user,
    bot: d.bot,
    log_id: d.logId,
    log_type: d.logType,
    log_action: d.logAction,
    log_params: d.logParams,
    log_action_comment: d.logActionComment,
    server_url: d.serverUrl,
    server_name: d.domain,
    server_script_path: '/w',
    wiki: d.wiki,
    parsedcomment: d.comment,
  };
}
