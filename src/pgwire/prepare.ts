/**
 * The extended protocol's Parse: one statement, its parameter types (the client's, or those
 * Postgres infers for a query), and the error that closes a client whose queue is full.
 */
import { PgError, SQLSTATE } from './pg-error.js';
import type { Statement } from './sql-ast.js';
import { splitStatements } from './sql-lexer.js';
import { parseStatement } from './sql-parser.js';
import type { SessionContext } from './statements.js';

export interface Prepared {
  statement: Statement;
  paramTypes: number[];
}

export async function prepare(sql: string, given: number[], context: SessionContext): Promise<Prepared> {
  const texts = splitStatements(sql);
  if (texts.length > 1) {
    throw new PgError(SQLSTATE.syntaxError, 'cannot insert multiple commands into a prepared statement');
  }
  const statement = parseStatement(texts[0] ?? '', context.hub.viewNames);
  const count = Math.max(given.length, highestParam(sql));
  const untyped = count > given.length || given.some((t) => !t);
  const inferred =
    statement.kind === 'query' && count > 0 && untyped
      ? (await context.queries.describe(statement.query)).paramTypes
      : [];
  const paramTypes = Array.from({ length: count }, (_, i) => given[i] || inferred[i] || 25);
  return { statement, paramTypes };
}

function highestParam(sql: string): number {
  let highest = 0;
  for (const match of sql.matchAll(/\$(\d+)/g)) highest = Math.max(highest, Number(match[1]));
  return highest;
}

export function queueFull(messages: number, bytes: number): PgError {
  return new PgError(
    SQLSTATE.programLimitExceeded,
    `more than ${messages} messages (or ${bytes} bytes) wait behind the running statement`,
    {
      severity: 'FATAL',
      hint: 'a streaming SUBSCRIBE runs until it is canceled: cancel it, or use another connection.',
    },
  );
}
