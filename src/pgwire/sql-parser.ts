/**
 * Parses what a SUBSCRIBE server runs: transaction control, Materialize's SUBSCRIBE/TAIL (with its
 * envelope, AS OF and UP TO), cursors, COPY ... TO STDOUT, SHOW, SET, set-up scripts' CREATE ...
 * IF NOT EXISTS, and queries. Queries (also inside SUBSCRIBE, DECLARE and COPY) are read by the
 * Postgres grammar (query-analysis.ts); this small parser reads only what that grammar does not
 * know. Writes are recognised by their first word and refused as a read-only transaction would.
 */
import type { Statement, SubscribeStatement } from './sql-ast.js';
import { parseSubscribe, query } from './subscribe-parser.js';
import { PgError, readOnly, SQLSTATE } from './pg-error.js';
import { analyzeQuery, type AnalyzedQuery } from './query-analysis.js';
import { TokenStream } from './token-stream.js';
import { parseInterval } from './interval.js';

const WRITES = new Set([
  'insert',
  'update',
  'delete',
  'merge',
  'upsert',
  'create',
  'drop',
  'alter',
  'truncate',
  'grant',
  'revoke',
  'comment',
  'vacuum',
  'reindex',
  'cluster',
  'refresh',
  'lock',
  'call',
  'do',
]);

const QUERY_STARTS = new Set(['select', 'with', 'values', 'table']);

/** `views`: the served views' names, which queries may read. */
export function parseStatement(sql: string, views: readonly string[] = []): Statement {
  const s = new TokenStream(sql);
  if (s.atEnd()) return { kind: 'empty' };
  const first = s.peek();
  const word = first.kind === 'word' ? first.value : '';
  if (word === 'create') return parseCreate(s);
  if (WRITES.has(word)) throw readOnly(word.toUpperCase());
  if (QUERY_STARTS.has(word) || (first.kind === 'op' && first.value === '('))
    return { kind: 'query', query: analyzeQuery(sql, views) };
  let statement: Statement;
  switch (word) {
    case 'begin':
    case 'start':
      s.skipRest(); // isolation levels and READ ONLY change nothing: every transaction here reads
      return { kind: 'begin' };
    case 'commit':
    case 'end':
      s.skipRest();
      return { kind: 'commit' };
    case 'rollback':
    case 'abort':
      s.skipRest();
      return { kind: 'rollback' };
    case 'set':
    case 'reset':
      s.skipRest();
      return { kind: 'set', tag: word.toUpperCase() };
    case 'discard':
      s.skipRest();
      return { kind: 'set', tag: 'DISCARD ALL' };
    case 'subscribe':
    case 'tail':
      statement = parseSubscribe(s, views);
      break;
    case 'declare':
      statement = parseDeclare(s, views);
      break;
    case 'fetch':
      statement = parseFetch(s);
      break;
    case 'close':
      s.next();
      statement = { kind: 'close', cursor: s.acceptWord('all') ? null : s.identifier('a cursor name') };
      break;
    case 'copy':
      statement = parseCopy(s, views);
      break;
    case 'show':
      statement = parseShow(s);
      break;
    default:
      throw s.unexpected();
  }
  s.accept(';');
  if (!s.atEnd()) throw s.unexpected();
  return statement;
}

/**
 * `CREATE [OR REPLACE] [TEMP] [MATERIALIZED] VIEW|TABLE|SOURCE ... IF NOT EXISTS name ...`, as
 * set-up scripts written for Materialize run it; the session decides whether it exists. Any
 * other CREATE is a write.
 */
function parseCreate(s: TokenStream): Statement {
  s.next();
  const words: string[] = [];
  while (s.peek().kind === 'word' && !s.peekWord('if') && words.length < 4) words.push(s.next().value);
  const object = words
    .filter((w) => !['or', 'replace', 'temp', 'temporary', 'unlogged'].includes(w))
    .join(' ');
  const tag = `CREATE ${object.toUpperCase()}`;
  if (!['view', 'materialized view', 'table', 'source'].includes(object) || !s.acceptWord('if'))
    throw readOnly(tag);
  s.expectWord('not');
  s.expectWord('exists');
  const { name } = s.qualifiedName(`a ${object} name`);
  s.skipRest();
  return { kind: 'create-if-not-exists', object, name };
}

function parseDeclare(s: TokenStream, views: readonly string[]): Statement {
  s.next();
  const cursor = s.identifier('a cursor name');
  if (s.peekWord('binary')) {
    throw new PgError(SQLSTATE.featureNotSupported, 'binary cursors are not supported', {
      position: s.peek().position,
    });
  }
  while (
    s.acceptWord('no') ||
    s.acceptWord('scroll') ||
    s.acceptWord('insensitive') ||
    s.acceptWord('asensitive')
  );
  s.expectWord('cursor');
  if (s.acceptWord('with')) {
    throw new PgError(SQLSTATE.featureNotSupported, 'DECLARE ... WITH HOLD is not supported', {
      hint: 'a cursor lives until its transaction ends.',
    });
  }
  if (s.acceptWord('without')) s.expectWord('hold');
  s.expectWord('for');
  const word = s.peek().value;
  if (s.peek().kind === 'word' && (word === 'subscribe' || word === 'tail')) {
    return { kind: 'declare', cursor, query: parseSubscribe(s, views) };
  }
  return { kind: 'declare', cursor, query: { kind: 'query', query: query(s.rest(), views) } };
}

function parseFetch(s: TokenStream): Statement {
  s.next();
  s.acceptWord('forward');
  let count: number | 'all' = 1;
  const token = s.peek();
  if (token.kind === 'number') {
    s.next();
    if (!/^\d+$/.test(token.value)) throw s.unexpected(token);
    count = Number(token.value);
  } else if (s.acceptWord('all')) {
    count = 'all';
  } else {
    s.acceptWord('next');
  }
  if (!s.acceptWord('from')) s.acceptWord('in');
  const cursor = s.identifier('a cursor name');
  let timeoutMs: number | null = null;
  if (s.acceptWord('with')) {
    for (const [name, value] of s.options()) {
      if (name !== 'timeout') {
        throw new PgError(SQLSTATE.syntaxError, `unknown FETCH option ${name.toUpperCase()}`, {
          hint: `the only option is TIMEOUT, e.g. FETCH ALL ${cursor} WITH (timeout = '1s').`,
        });
      }
      timeoutMs = parseInterval(value ?? '');
    }
  }
  return { kind: 'fetch', cursor, count, timeoutMs };
}

function parseCopy(s: TokenStream, views: readonly string[]): Statement {
  s.next();
  let copied: SubscribeStatement | { kind: 'query'; query: AnalyzedQuery };
  if (s.accept('(')) {
    const word = s.peek().value;
    if (s.peek().kind === 'word' && (word === 'subscribe' || word === 'tail')) {
      copied = parseSubscribe(s, views);
      s.expect(')');
    } else copied = { kind: 'query', query: query(s.parenthesized(), views) };
  } else {
    const view = s.qualifiedName('a view name or (query)');
    if (s.peekWord('from')) throw readOnly('COPY FROM');
    copied = { kind: 'query', query: analyzeQuery(`SELECT * FROM "${view.name}"`, views) };
  }
  if (s.peekWord('from')) throw readOnly('COPY FROM');
  s.expectWord('to');
  if (!s.acceptWord('stdout')) {
    throw new PgError(SQLSTATE.featureNotSupported, 'COPY writes only TO STDOUT here', {
      position: s.peek().position,
    });
  }
  if (s.acceptWord('with') || s.peek().value === '(') {
    for (const [name, value] of s.options()) {
      if (name === 'format' && (value ?? '').toLowerCase() === 'text') continue;
      throw new PgError(
        SQLSTATE.featureNotSupported,
        `COPY option ${name.toUpperCase()} ${value ?? ''} is not supported`,
        {
          hint: 'COPY ... TO STDOUT writes the text format.',
        },
      );
    }
  }
  return { kind: 'copy', query: copied };
}

function parseShow(s: TokenStream): Statement {
  s.next();
  const materialized = s.acceptWord('materialized');
  if (s.acceptWord('views')) {
    if (s.acceptWord('from') || s.acceptWord('in')) s.qualifiedName('a schema name');
    if (s.acceptWord('in')) {
      s.expectWord('cluster');
      s.identifier('a cluster name');
    }
    return { kind: 'show-views', materialized };
  }
  if (materialized) throw s.unexpected();
  if (s.peekWord('transaction') && s.peekWord('isolation', 1)) {
    s.skipRest();
    return { kind: 'show', parameter: 'transaction_isolation' };
  }
  if (s.peekWord('all')) {
    throw new PgError(SQLSTATE.featureNotSupported, 'SHOW ALL is not supported', {
      position: s.peek().position,
    });
  }
  return { kind: 'show', parameter: s.identifier('a parameter name').toLowerCase() };
}
