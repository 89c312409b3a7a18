/**
 * Reads a views file with the Postgres grammar itself: `CREATE TABLE` statements (the first is the
 * input that event sources fill) and `CREATE [MATERIALIZED] VIEW name AS <query>` statements, in
 * the dialect that Materialize also speaks. Every error names the file, the line and, inside a
 * view, the view, with what to fix.
 */
import type { CreateStmt, Node, RawStmt, SelectStmt } from 'libpg-query';
import { ViewcastError, ViewDefinitionError } from '../core/errors.js';
import { fingerprintSql, parseSql, scanSql, SourceText, SqlSyntaxError } from './parse-sql.js';
import { formatType, stringsOf } from './parse-types.js';

export { loadSqlParser } from './parse-sql.js';

export interface TableColumn {
  name: string;
  /** As Postgres's `format_type` prints it: `bigint`, `character varying(10)`, ... */
  type: string;
}

export interface TableStatement {
  name: string;
  columns: TableColumn[];
  /** The statement as written, without the trailing semicolon. */
  sql: string;
  /** 1-based line of the statement's first token. */
  line: number;
}

export interface ViewStatement {
  name: string;
  /** The query after `AS`, as written (comments inside kept, trailing ones cut). */
  query: string;
  /** 1-based line of the statement's first token in the file. */
  line: number;
  /** The parsed query. */
  ast: SelectStmt;
  /** Postgres's fingerprint of the statement: equal when only comments or whitespace differ. */
  fingerprint: string;
  /** Column names given after the view's name (`CREATE VIEW v (a, b) AS ...`), if any. */
  columnNames?: string[];
}

export interface ViewsFile {
  file: string;
  /** The first `CREATE TABLE`: the input that event sources fill. */
  inputTable: { name: string; sql: string; line: number };
  /** Every `CREATE TABLE`, the input first. */
  tables: TableStatement[];
  views: ViewStatement[];
}

/** Throws unless every change is of one of the file's tables (the input or another `CREATE TABLE`). */
export function checkTablesDeclared(file: ViewsFile, changes: ReadonlyArray<{ table: string }>): void {
  // `tables` holds the input too; it is asked first because nearly every change is of it.
  const declared = (table: string): boolean =>
    file.inputTable.name === table || file.tables.some((t) => t.name === table);
  const unknown = changes.find((change) => !declared(change.table));
  if (!unknown) return;
  throw new ViewcastError(
    'VIEWCAST_ENGINE',
    `a change of table "${unknown.table}", which the views file ${file.file} does not declare`,
  );
}

/** A name as Postgres folds it: quoted names keep their case, bare ones are lower-cased. */
export function normalizeIdentifier(ident: string): string {
  return ident.startsWith('"') ? ident.slice(1, -1).replace(/""/g, '"') : ident.toLowerCase();
}

const SHAPE =
  'A views file holds CREATE TABLE statements (the first is the input) and ' +
  'CREATE [MATERIALIZED] VIEW name AS SELECT ... statements.';

function badFile(file: string, line: number | null, message: string): ViewcastError {
  return new ViewcastError(
    'VIEWCAST_BAD_VIEWS_FILE',
    `${file}${line === null ? '' : `, line ${line}`}: ${message}`,
  );
}

export function parseViewsFile(sql: string, file: string): ViewsFile {
  const source = new SourceText(sql);
  const nul = sql.indexOf('\0');
  if (nul !== -1) {
    // The parser reads C strings: whatever follows a NUL would be silently ignored.
    throw badFile(
      file,
      source.lineAtByte(Buffer.byteLength(sql.slice(0, nul))),
      'a NUL character; a views file is text.',
    );
  }
  const stmts = parseFile(source, file);
  const tables: TableStatement[] = [];
  const views: ViewStatement[] = [];
  const names = new Map<string, 'table' | 'view'>();
  for (const raw of stmts) {
    const statement = statementText(source, raw);
    const claim = (kind: 'table' | 'view', name: string): void => {
      const previous = names.get(name);
      if (previous) {
        const what =
          previous === kind
            ? `${kind} "${name}" is defined twice`
            : `"${name}" names both a table and a view`;
        throw badFile(file, statement.line, `${what}.`);
      }
      names.set(name, kind);
    };
    const node = raw.stmt;
    if (node && 'CreateStmt' in node) {
      const table = readTable(node.CreateStmt, statement);
      claim('table', table.name);
      tables.push(table);
      continue;
    }
    const view = node ? readView(node, statement, source, file) : null;
    if (!view) {
      const head = statement.text.split(/\s+/).slice(0, 3).join(' ');
      throw badFile(file, statement.line, `"${head} ..." is not a view. ${SHAPE}`);
    }
    claim('view', view.name);
    views.push(view);
  }
  const input = tables[0];
  if (!input) {
    throw badFile(
      file,
      null,
      'no CREATE TABLE for the input. Start the file with the input table, e.g. the one in views/wikirecent.sql.',
    );
  }
  if (views.length === 0)
    throw badFile(file, null, 'no views. Add CREATE MATERIALIZED VIEW name AS SELECT ... statements.');
  return { file, inputTable: { name: input.name, sql: input.sql, line: input.line }, tables, views };
}

function parseFile(source: SourceText, file: string): RawStmt[] {
  try {
    return parseSql(source.text).stmts ?? [];
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    const at = source.byteOfChar(error.cursor);
    const line = source.lineAtByte(at);
    const view = viewBefore(source.slice(0, at));
    if (view) throw new ViewDefinitionError(view, line, error.message, file);
    throw badFile(file, line, `${error.message}. Fix the SQL at that line. ${SHAPE}`);
  }
}

/**
 * The name of the view whose statement holds the end of `prefix` (the text before a syntax error),
 * read with the Postgres lexer: the last statement's tokens `CREATE [OR REPLACE] [MATERIALIZED] VIEW name`.
 */
function viewBefore(prefix: string): string | null {
  const tokens = (scanSql(prefix) ?? []).filter((t) => !t.tokenName.endsWith('_COMMENT'));
  let start = 0;
  tokens.forEach((t, i) => {
    if (t.text === ';') start = i + 1;
  });
  const words = tokens.slice(start, start + 6).map((t) => t.text);
  const view = words.findIndex((w) => w.toUpperCase() === 'VIEW');
  if (words[0]?.toUpperCase() !== 'CREATE' || view === -1) return null;
  const name = words[view + 1];
  return name ? normalizeIdentifier(name) : null;
}

interface StatementText {
  /** From the first token to the last, without surrounding comments or the semicolon. */
  text: string;
  line: number;
  /** Byte offsets of `text` in the file. */
  from: number;
  to: number;
}

function statementText(source: SourceText, raw: RawStmt): StatementText {
  const start = raw.stmt_location ?? 0;
  const end = raw.stmt_len ? start + raw.stmt_len : source.byteLength;
  const tokens = (scanSql(source.slice(start, end)) ?? []).filter((t) => !t.tokenName.endsWith('_COMMENT'));
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  // The lexer counts bytes of the slice it was given, as the parser does.
  const from = start + (first?.start ?? 0);
  const to = last ? start + last.end : end;
  return { text: source.slice(from, to), line: source.lineAtByte(from), from, to };
}

function readTable(stmt: CreateStmt, statement: StatementText): TableStatement {
  const columns: TableColumn[] = [];
  for (const element of stmt.tableElts ?? []) {
    if (!('ColumnDef' in element)) continue;
    const def = element.ColumnDef;
    columns.push({ name: def.colname ?? '', type: def.typeName ? formatType(def.typeName) : 'unknown' });
  }
  return { name: stmt.relation?.relname ?? '', columns, sql: statement.text, line: statement.line };
}

function readView(
  node: Node,
  statement: StatementText,
  source: SourceText,
  file: string,
): ViewStatement | null {
  let name: string | undefined;
  let query: Node | undefined;
  let columnNames: string[] = [];
  if ('ViewStmt' in node) {
    name = node.ViewStmt.view?.relname;
    query = node.ViewStmt.query;
    columnNames = stringsOf(node.ViewStmt.aliases);
  } else if ('CreateTableAsStmt' in node && node.CreateTableAsStmt.objtype === 'OBJECT_MATVIEW') {
    name = node.CreateTableAsStmt.into?.rel?.relname;
    query = node.CreateTableAsStmt.query;
    columnNames = stringsOf(node.CreateTableAsStmt.into?.colNames);
  }
  if (name === undefined || !query) return null;
  if (!('SelectStmt' in query)) {
    throw new ViewDefinitionError(name, statement.line, 'the query after AS must be a SELECT', file);
  }
  const view: ViewStatement = {
    name,
    query: queryText(statement, source),
    line: statement.line,
    ast: query.SelectStmt,
    // Computed when first read: the parser's fingerprint took about 1 s of every start (its
    // WebAssembly code compiled on first use) and nothing on the serving path reads it.
    get fingerprint(): string {
      const value = fingerprintSql(statement.text);
      Object.defineProperty(this, 'fingerprint', { value, enumerable: true });
      return value;
    },
  };
  if (columnNames.length > 0) view.columnNames = columnNames;
  return view;
}

/** The text after the statement's first `AS` outside parentheses (the view's name and column list come before). */
function queryText(statement: StatementText, source: SourceText): string {
  const text = source.slice(statement.from, statement.to);
  const tokens = (scanSql(text) ?? []).filter((t) => !t.tokenName.endsWith('_COMMENT'));
  let depth = 0;
  for (const token of tokens) {
    if (token.text === '(') depth += 1;
    else if (token.text === ')') depth -= 1;
    else if (depth === 0 && token.keywordKind !== 0 && token.text.toUpperCase() === 'AS') {
      const rest = tokens.filter((t) => t.start > token.start);
      const first = rest[0];
      if (!first) break;
      return source.slice(statement.from + first.start, statement.to);
    }
  }
  return text;
}
