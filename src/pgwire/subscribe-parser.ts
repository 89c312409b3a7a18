/**
 * Materialize's SUBSCRIBE (and TAIL, its old name), which the Postgres grammar does not know:
 * a view or `(query)`, then `ENVELOPE UPSERT (KEY (...))`, `WITH (PROGRESS, SNAPSHOT)`,
 * `AS OF [AT LEAST] t` and `UP TO t`, where t is a number or `mz_now()` / `now()` plus or minus
 * a number of milliseconds or an interval. ENVELOPE DEBEZIUM and WITHIN TIMESTAMP ORDER BY are
 * refused with 0A000 naming them.
 */
import { parseInterval } from './interval.js';
import { PgError, SQLSTATE } from './pg-error.js';
import { analyzeQuery, type AnalyzedQuery } from './query-analysis.js';
import type { SubscribeStatement, TimestampExpression } from './sql-ast.js';
import type { TokenStream } from './token-stream.js';

/** A query the Postgres grammar reads, from a part of the statement (positions stay true). */
export function query(part: { text: string; offset: number }, views: readonly string[]): AnalyzedQuery {
  return analyzeQuery(part.text, views, part.offset);
}

export function parseSubscribe(s: TokenStream, views: readonly string[]): SubscribeStatement {
  s.next(); // SUBSCRIBE or TAIL
  s.acceptWord('to');
  const statement: SubscribeStatement = {
    kind: 'subscribe',
    view: '',
    viewPosition: s.peek().position,
    query: null,
    progress: false,
    snapshot: true,
    asOf: null,
    asOfExpression: null,
    upTo: null,
    upsertKey: null,
  };
  if (s.accept('(')) {
    const analyzed = query(s.parenthesized(), views);
    const only = analyzed.views.length === 1 ? (analyzed.views[0] as string) : null;
    // `SUBSCRIBE (SELECT * FROM v)` is how Materialize's docs spell a view's subscription.
    const plain = (from: string): boolean =>
      analyzed.key === analyzeQuery(`SELECT * FROM ${from}`, views).key;
    if (only && (plain(`"${only}"`) || plain(`public."${only}"`))) statement.view = only;
    else {
      statement.view = analyzed.sql.trim();
      statement.query = analyzed;
    }
  } else {
    statement.view = s.qualifiedName('a view name').name;
  }
  parseSubscribeClauses(s, statement);
  return statement;
}

/** ENVELOPE, WITHIN TIMESTAMP ORDER BY, WITH, AS OF and UP TO, in any order. */
function parseSubscribeClauses(s: TokenStream, statement: SubscribeStatement): void {
  for (;;) {
    const position = s.peek().position;
    if (s.acceptWord('envelope')) {
      if (!s.acceptWord('upsert')) {
        const name = s.peek().value.toUpperCase();
        throw new PgError(SQLSTATE.featureNotSupported, `SUBSCRIBE ... ENVELOPE ${name} is not supported`, {
          position,
          hint: 'ENVELOPE UPSERT (KEY (...)) is; or read the plain (timestamp, diff, row) output.',
        });
      }
      s.expect('(');
      s.expectWord('key');
      s.expect('(');
      const key = [s.identifier('a key column')];
      while (s.accept(',')) key.push(s.identifier('a key column'));
      s.expect(')');
      s.expect(')');
      statement.upsertKey = key;
    } else if (s.peekWord('within')) {
      throw new PgError(
        SQLSTATE.featureNotSupported,
        'SUBSCRIBE ... WITHIN TIMESTAMP ORDER BY is not supported',
        {
          position,
          hint: 'order the rows of one timestamp in the client: they arrive together, before its progress row.',
        },
      );
    } else if (s.acceptWord('with')) {
      for (const [name, value] of s.options()) {
        if (name === 'progress') statement.progress = booleanOption(name, value, s);
        else if (name === 'snapshot') statement.snapshot = booleanOption(name, value, s);
        else
          throw new PgError(SQLSTATE.syntaxError, `unknown SUBSCRIBE option ${name.toUpperCase()}`, {
            hint: 'the options are PROGRESS and SNAPSHOT.',
          });
      }
    } else if (s.acceptWord('as')) {
      s.expectWord('of');
      if (s.acceptWord('at')) {
        s.expectWord('least');
        statement.asOfAtLeast = true;
      }
      const expression = timestampExpression(s, 'AS OF');
      if (expression.kind === 'literal') statement.asOf = expression.value;
      else statement.asOfExpression = expression;
    } else if (s.acceptWord('up')) {
      s.expectWord('to');
      statement.upTo = timestampExpression(s, 'UP TO');
    } else return;
  }
}

/** A whole number, `'123'`, or `mz_now()` / `now()` optionally plus or minus a number or an interval. */
function timestampExpression(s: TokenStream, clause: string): TimestampExpression {
  const token = s.next();
  const bad = (): PgError =>
    new PgError(
      SQLSTATE.invalidParameterValue,
      `${clause} needs a timestamp: a whole number, mz_now() or now()`,
      {
        position: token.position,
      },
    );
  if (token.kind === 'number' || token.kind === 'string') {
    if (!/^\d+$/.test(token.value)) throw bad();
    return { kind: 'literal', value: BigInt(token.value) };
  }
  if (token.kind !== 'word' || !['mz_now', 'now'].includes(token.value)) throw bad();
  const clock = token.value === 'now' ? 'now' : 'mz_now';
  s.expect('(');
  s.expect(')');
  let offsetMs = 0;
  while (s.peek().kind === 'op' && (s.peek().value === '+' || s.peek().value === '-')) {
    const sign = s.next().value === '-' ? -1 : 1;
    const amount = s.next();
    if (amount.kind === 'number' && /^\d+$/.test(amount.value)) offsetMs += sign * Number(amount.value);
    else if (amount.kind === 'word' && amount.value === 'interval') {
      const text = s.next();
      if (text.kind !== 'string') throw bad();
      offsetMs += sign * parseInterval(text.value);
    } else throw bad();
  }
  return { kind: 'now', clock, offsetMs };
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
