/**
 * Reads a views file: `CREATE TABLE` for the input and `CREATE [MATERIALIZED] VIEW name AS ...` for
 * the views, in the Postgres dialect that Materialize also speaks. Statements are split here (not by
 * Postgres) so that every error can name the view and the line it starts on.
 */
import { ViewcastError } from '../core/errors.js';

export interface ViewStatement {
  name: string;
  /** The query after `AS`, without the trailing semicolon. */
  query: string;
  /** 1-based line of the statement's first token in the file. */
  line: number;
}

export interface ViewsFile {
  file: string;
  /** The `CREATE TABLE` statement of the input, verbatim. */
  inputTable: { name: string; sql: string; line: number };
  views: ViewStatement[];
}

interface Statement {
  text: string;
  line: number;
}

/** Splits SQL on semicolons outside strings, quoted identifiers, dollar quotes and comments. */
export function splitStatements(sql: string): Statement[] {
  const statements: Statement[] = [];
  // `--` comments found by the scan (never inside a string): they are cut from the statement text,
  // since a trailing one would swallow whatever Postgres is given after the view's query.
  const lineComments: Array<[from: number, to: number]> = [];
  let start = 0;
  let i = 0;
  let inIdentifier = false;
  const push = (end: number): void => {
    const raw = sql.slice(start, end);
    const text = withoutLineComments(sql, start, end, lineComments).trim();
    if (text) {
      const leading = raw.length - raw.trimStart().length;
      const offset = firstCodeOffset(raw, leading);
      statements.push({ text, line: lineAt(sql, start + offset) });
    }
    start = end + 1;
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    const wasIdentifier = inIdentifier;
    inIdentifier = false;
    if (c === '-' && next === '-') {
      const to = indexOrEnd(sql, '\n', i);
      lineComments.push([i, to]);
      i = to;
    } else if (c === '/' && next === '*') {
      i = indexOrEnd(sql, '*/', i + 2) + 2;
    } else if (c === "'" || c === '"') {
      i = closingQuote(sql, i, c);
    } else if (c === '$' && !wasIdentifier) {
      // Inside an identifier (`a$$b`) a dollar sign is a plain character, as Postgres reads it.
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql)?.[0];
      i = tag ? indexOrEnd(sql, tag, i + tag.length) + tag.length : i + 1;
    } else if (c === ';') {
      push(i);
      i += 1;
    } else {
      inIdentifier = /[A-Za-z0-9_$]/.test(c);
      i += 1;
    }
  }
  push(sql.length);
  return statements;
}

const DOLLAR_TAG = /\$[A-Za-z_]*\$/y;

function withoutLineComments(
  sql: string,
  start: number,
  end: number,
  comments: Array<[from: number, to: number]>,
): string {
  let text = '';
  let at = start;
  for (const [from, to] of comments) {
    if (to <= start || from >= end) continue;
    text += sql.slice(at, from);
    at = to;
  }
  return text + sql.slice(at, end);
}

function indexOrEnd(sql: string, needle: string, from: number): number {
  const at = sql.indexOf(needle, from);
  return at === -1 ? sql.length : at;
}

function closingQuote(sql: string, from: number, quote: string): number {
  let i = from + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i += 1;
  }
  return sql.length;
}

function firstCodeOffset(raw: string, from: number): number {
  let i = from;
  while (i < raw.length) {
    if (raw.startsWith('--', i)) i = indexOrEnd(raw, '\n', i);
    else if (/\s/.test(raw[i] ?? '')) i += 1;
    else return i;
  }
  return from;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

const IDENT = String.raw`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const CREATE_VIEW = new RegExp(
  String.raw`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+)?VIEW\s+${IDENT}\s+AS\s+([\s\S]+)$`,
  'i',
);
const CREATE_TABLE = new RegExp(String.raw`^CREATE\s+TABLE\s+${IDENT}\s*\(`, 'i');

/** A view name as Postgres folds it: quoted names keep their case, bare ones are lower-cased. */
export function normalizeIdentifier(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase();
}

export function parseViewsFile(sql: string, file: string): ViewsFile {
  let inputTable: ViewsFile['inputTable'] | undefined;
  const views: ViewStatement[] = [];
  const seen = new Set<string>();
  for (const statement of splitStatements(sql)) {
    const table = CREATE_TABLE.exec(statement.text);
    const view = CREATE_VIEW.exec(statement.text);
    if (table?.[1]) {
      if (inputTable) {
        throw new ViewcastError(
          'VIEWCAST_BAD_VIEWS_FILE',
          `${file}, line ${statement.line}: a second CREATE TABLE. A views file has one input table ` +
            `(first at line ${inputTable.line}); define everything else as views.`,
        );
      }
      inputTable = { name: normalizeIdentifier(table[1]), sql: statement.text, line: statement.line };
    } else if (view?.[1] && view[2]) {
      const name = normalizeIdentifier(view[1]);
      if (seen.has(name)) {
        throw new ViewcastError(
          'VIEWCAST_BAD_VIEWS_FILE',
          `${file}, line ${statement.line}: view "${name}" is defined twice.`,
        );
      }
      seen.add(name);
      views.push({ name, query: view[2].trim(), line: statement.line });
    } else {
      const head = statement.text.split(/\s+/).slice(0, 3).join(' ');
      throw new ViewcastError(
        'VIEWCAST_BAD_VIEWS_FILE',
        `${file}, line ${statement.line}: "${head} ..." is not a view. A views file holds one CREATE TABLE ` +
          `for the input and CREATE [MATERIALIZED] VIEW name AS SELECT ... statements.`,
      );
    }
  }
  if (!inputTable) {
    throw new ViewcastError(
      'VIEWCAST_BAD_VIEWS_FILE',
      `${file}: no CREATE TABLE for the input. Start the file with the input table, e.g. the one in views/wikirecent.sql.`,
    );
  }
  if (views.length === 0) {
    throw new ViewcastError(
      'VIEWCAST_BAD_VIEWS_FILE',
      `${file}: no views. Add CREATE MATERIALIZED VIEW name AS SELECT ... statements.`,
    );
  }
  return { file, inputTable, views };
}
