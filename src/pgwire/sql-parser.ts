/**
 * Parses the statements a SUBSCRIBE server needs: transaction control, SUBSCRIBE/TAIL, cursors,
 * COPY ... TO STDOUT, SHOW, SET, and a read-only SELECT over one view (see select-parser.ts).
 * Writes are recognised by their first word and refused as a read-only transaction would.
 */
import type { Statement, SubscribeStatement } from './sql-ast.js';
import { PgError, readOnly, SQLSTATE } from './pg-error.js';
import { parseSelectBody } from './select-parser.js';
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

export function parseStatement(sql: string): Statement {
  const s = new TokenStream(sql);
  if (s.atEnd()) return { kind: 'empty' };
  const first = s.peek();
  const word = first.kind === 'word' ? first.value : '';
  if (WRITES.has(word)) throw readOnly(word.toUpperCase());
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
      statement = parseSubscribe(s);
      break;
    case 'select':
      s.next();
      statement = parseSelectBody(s);
      break;
    case 'declare':
      statement = parseDeclare(s);
      break;
    case 'fetch':
      statement = parseFetch(s);
      break;
    case 'close':
      s.next();
      statement = { kind: 'close', cursor: s.acceptWord('all') ? null : s.identifier('a cursor name') };
      break;
    case 'copy':
      statement = parseCopy(s);
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

function parseSubscribe(s: TokenStream): SubscribeStatement {
  s.next(); // SUBSCRIBE or TAIL
  s.acceptWord('to');
  let view: { name: string; position: number };
  if (s.accept('(')) {
    // `SUBSCRIBE (SELECT * FROM v)` is how Materialize's docs spell it; anything richer is not served.
    const position = s.peek().position;
    s.expectWord('select');
    s.expect('*');
    s.expectWord('from');
    view = s.qualifiedName('a view name');
    if (!s.accept(')')) {
      throw new PgError(SQLSTATE.featureNotSupported, 'SUBSCRIBE over a query is not supported', {
        position,
        hint: 'subscribe to a view (SUBSCRIBE v) or to SELECT * FROM v; define a view for anything else.',
      });
    }
  } else {
    view = s.qualifiedName('a view name');
  }
  const statement: SubscribeStatement = {
    kind: 'subscribe',
    view: view.name,
    viewPosition: view.position,
    progress: false,
    snapshot: true,
    asOf: null,
  };
  for (const clause of ['envelope', 'within', 'up'] as const) {
    if (s.peekWord(clause)) {
      throw new PgError(
        SQLSTATE.featureNotSupported,
        `SUBSCRIBE ... ${clause.toUpperCase()} is not supported`,
        {
          position: s.peek().position,
        },
      );
    }
  }
  if (s.acceptWord('with')) {
    for (const [name, value] of s.options()) {
      if (name === 'progress') statement.progress = booleanOption(name, value, s);
      else if (name === 'snapshot') statement.snapshot = booleanOption(name, value, s);
      else
        throw new PgError(SQLSTATE.syntaxError, `unknown SUBSCRIBE option ${name.toUpperCase()}`, {
          hint: 'the options are PROGRESS and SNAPSHOT.',
        });
    }
  }
  if (s.acceptWord('as')) {
    s.expectWord('of');
    if (s.acceptWord('at')) s.expectWord('least');
    const token = s.next();
    const text = token.kind === 'number' || token.kind === 'string' ? token.value : '';
    if (!/^\d+$/.test(text)) {
      throw new PgError(SQLSTATE.invalidParameterValue, `AS OF needs a timestamp: a whole number`, {
        position: token.position,
      });
    }
    statement.asOf = BigInt(text);
  }
  return statement;
}

function booleanOption(name: string, value: string | null, s: TokenStream): boolean {
  if (value === null) return true;
  const v = value.toLowerCase();
  if (['true', 'on', '1', 't', 'yes'].includes(v)) return true;
  if (['false', 'off', '0', 'f', 'no'].includes(v)) return false;
  throw new PgError(SQLSTATE.invalidParameterValue, `${name.toUpperCase()} takes a boolean, not "${value}"`, {
    position: s.peek().position,
  });
}

function parseDeclare(s: TokenStream): Statement {
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
    return { kind: 'declare', cursor, query: parseSubscribe(s) };
  }
  s.expectWord('select');
  return { kind: 'declare', cursor, query: parseSelectBody(s) };
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

function parseCopy(s: TokenStream): Statement {
  s.next();
  let query: SubscribeStatement | Statement;
  if (s.accept('(')) {
    const word = s.peek().value;
    if (s.peek().kind === 'word' && (word === 'subscribe' || word === 'tail')) query = parseSubscribe(s);
    else {
      s.expectWord('select');
      query = parseSelectBody(s);
    }
    s.expect(')');
  } else {
    const view = s.qualifiedName('a view name or (query)');
    if (s.peekWord('from')) throw readOnly('COPY FROM');
    query = {
      kind: 'select',
      items: [{ kind: 'star' }],
      from: { view: view.name, position: view.position },
      where: null,
      orderBy: [],
      limit: null,
      offset: 0,
    };
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
  if (query.kind !== 'subscribe' && query.kind !== 'select') throw s.unexpected();
  return { kind: 'copy', query };
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
