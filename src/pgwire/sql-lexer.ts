/**
 * Tokens of the Materialize statements the Postgres grammar does not know (SUBSCRIBE, TAIL, FETCH
 * WITH, DECLARE ... FOR SUBSCRIBE, COPY (SUBSCRIBE ...)); queries go to libpg-query. Tokens of the small SQL dialect the Postgres-wire server understands. Positions are 1-based
 * character offsets, as Postgres reports them in the `P` field of an error, so that psql can point
 * at the offending token.
 */
import { PgError, SQLSTATE } from './pg-error.js';

export type TokenKind = 'word' | 'quoted' | 'number' | 'string' | 'param' | 'op' | 'end';

export interface Token {
  kind: TokenKind;
  /** Words are lower-cased (as Postgres folds them); quoted identifiers keep their case. */
  value: string;
  /** 1-based offset of the token in the statement text. */
  position: number;
}

const OPERATORS = ['<>', '!=', '<=', '>=', '::', '(', ')', ',', ';', '*', '=', '<', '>', '.', '-', '+'];

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const rest = sql.slice(i);
    if (/\s/.test(c)) {
      i += 1;
    } else if (rest.startsWith('--')) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (rest.startsWith('/*')) {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw syntaxError('unterminated /* comment', i + 1);
      i = end + 2;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(rest)?.[0] ?? c;
      // E'...': the string is skipped whole (queries inside SUBSCRIBE go to the Postgres grammar).
      if ((word === 'E' || word === 'e') && sql[i + word.length] === "'") {
        const [text, end] = quoted(sql, i + 1, "'");
        tokens.push({ kind: 'string', value: text, position: i + 1 });
        i = end;
        continue;
      }
      tokens.push({ kind: 'word', value: word.toLowerCase(), position: i + 1 });
      i += word.length;
    } else if (c === '"') {
      const [text, end] = quoted(sql, i, '"');
      if (text === '') throw syntaxError('zero-length delimited identifier', i + 1);
      tokens.push({ kind: 'quoted', value: text, position: i + 1 });
      i = end;
    } else if (c === "'") {
      const [text, end] = quoted(sql, i, "'");
      tokens.push({ kind: 'string', value: text, position: i + 1 });
      i = end;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const number = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(rest)?.[0] ?? c;
      tokens.push({ kind: 'number', value: number, position: i + 1 });
      i += number.length;
    } else if (c === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      const digits = /^\$(\d+)/.exec(rest)?.[1] ?? '';
      tokens.push({ kind: 'param', value: digits, position: i + 1 });
      i += digits.length + 1;
    } else {
      // Other operators (||, %, ~) only occur inside queries, which the Postgres grammar reads.
      const op = OPERATORS.find((o) => rest.startsWith(o)) ?? c;
      tokens.push({ kind: 'op', value: op, position: i + 1 });
      i += op.length;
    }
  }
  tokens.push({ kind: 'end', value: '', position: sql.length + 1 });
  return tokens;
}

function quoted(sql: string, start: number, quote: string): [string, number] {
  let text = '';
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        text += quote;
        i += 2;
        continue;
      }
      return [text, i + 1];
    }
    text += sql[i];
    i += 1;
  }
  throw syntaxError(
    quote === '"' ? 'unterminated quoted identifier' : 'unterminated quoted string',
    start + 1,
  );
}

export function syntaxError(message: string, position: number): PgError {
  return new PgError(SQLSTATE.syntaxError, message, { position });
}

/** Splits a simple-query string into statements on `;` outside strings, identifiers and comments. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (c === ';') {
      statements.push(sql.slice(start, i));
      start = i + 1;
      i += 1;
    } else {
      i += 1;
    }
  }
  statements.push(sql.slice(start));
  return statements.filter((s) => tokenizeSafe(s));
}

/** True when a piece of text holds anything but blanks and comments. */
function tokenizeSafe(text: string): boolean {
  try {
    return tokenize(text).length > 1;
  } catch {
    return true; // let the statement itself report the error
  }
}
