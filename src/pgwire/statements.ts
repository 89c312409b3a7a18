/**
 * Runs one parsed statement for a session: what it returns (its fields, for RowDescription) and
 * how its rows are sent (an Execution). Transaction and cursor state live in the session and are
 * changed here. Queries go to the query service (PGlite off the socket thread, or the gateway's
 * remote engine); subscriptions to subscriptions.ts.
 */
import type { Hub } from '../hub/hub.js';
import type { Field, TransactionStatus } from './backend-messages.js';
import { CommandExecution, FeedExecution, RowsExecution, type Encoded } from './executions.js';
import { PgError, readOnly, SQLSTATE } from './pg-error.js';
import type { PgLimits } from './pg-options.js';
import type { QueryService } from './query-service.js';
import type { QueryMaintainer } from './query-views.js';
import type { Statement } from './sql-ast.js';
import { describeSubscription, openSubscription } from './subscriptions.js';
import type { AnalyzedQuery } from './query-analysis.js';

export interface Cursor {
  fields: Field[];
  /** Waits as FETCH does: for the first rows (until the timeout, if any), then takes what is ready. */
  fetch(count: number | 'all', timeoutMs: number | null, signal: AbortSignal): Promise<Encoded[]>;
  close(): void;
}

/** What every session of a server shares. */
export interface SessionContext {
  hub: Hub;
  limits: PgLimits;
  queries: QueryService;
  maintainer: QueryMaintainer;
  /** For set-up scripts: the relation events enter through, and the sources viewcast runs. */
  setup: { inputRelation?: string; sources?: string[] };
  onInternalError(error: unknown): void;
}

export interface SessionState {
  context: SessionContext;
  transaction: TransactionStatus;
  cursors: Map<string, Cursor>;
  parameters: Record<string, string>;
  notice(message: string, details?: { sqlstate?: string; hint?: string }): void;
}

export interface Started {
  /** Null for statements that return no rows (NoData). */
  fields: Field[] | null;
  execution: ReturnType<typeof command>['execution'] | RowsExecution | FeedExecution;
}

const NAME_FIELD: Field = { name: 'name', oid: 25 };

const command = (tag: string) => ({ fields: null, execution: new CommandExecution(tag) });

/** The fields a statement returns, without running it (Describe). */
export async function describeStatement(statement: Statement, state: SessionState): Promise<Field[] | null> {
  switch (statement.kind) {
    case 'query':
      return (await state.context.queries.describe(statement.query)).fields;
    case 'subscribe':
      return describeSubscription(state.context, statement);
    case 'fetch':
      return state.cursors.get(statement.cursor)?.fields ?? null;
    case 'show-views':
      return [NAME_FIELD];
    case 'show':
      return [{ name: statement.parameter, oid: 25 }];
    default:
      return null;
  }
}

async function runQuery(
  state: SessionState,
  query: AnalyzedQuery,
  params: Array<string | null>,
  signal: AbortSignal,
) {
  return state.context.queries.run(query, params, signal);
}

export async function startStatement(
  statement: Statement,
  state: SessionState,
  params: Array<string | null>,
  signal: AbortSignal,
): Promise<Started> {
  if (state.transaction === 'E' && statement.kind !== 'commit' && statement.kind !== 'rollback') {
    throw new PgError(
      SQLSTATE.inFailedTransaction,
      'current transaction is aborted, commands ignored until end of transaction block',
    );
  }
  switch (statement.kind) {
    case 'empty':
      return command('');
    case 'begin':
      if (state.transaction === 'T') state.notice('there is already a transaction in progress');
      state.transaction = 'T';
      return command('BEGIN');
    case 'commit':
    case 'rollback': {
      if (state.transaction === 'I') state.notice('there is no transaction in progress');
      const tag = statement.kind === 'commit' && state.transaction !== 'E' ? 'COMMIT' : 'ROLLBACK';
      closeCursors(state);
      state.transaction = 'I';
      return command(tag);
    }
    case 'set':
      return command(statement.tag);
    case 'create-if-not-exists':
      return createIfNotExists(state, statement.object, statement.name);
    case 'show-views':
      return {
        fields: [NAME_FIELD],
        execution: new RowsExecution(
          state.context.hub.views.map((c) => [c.name]),
          'SELECT',
        ),
      };
    case 'show': {
      const value = state.parameters[statement.parameter];
      if (value === undefined) {
        throw new PgError(
          SQLSTATE.undefinedObject,
          `unrecognized configuration parameter "${statement.parameter}"`,
        );
      }
      return {
        fields: [{ name: statement.parameter, oid: 25 }],
        execution: new RowsExecution([[value]], 'SHOW'),
      };
    }
    case 'query': {
      const result = await runQuery(state, statement.query, params, signal);
      return { fields: result.fields, execution: new RowsExecution(result.rows, 'SELECT') };
    }
    case 'subscribe': {
      const { fields, feed, encode } = await openSubscription(state.context, statement);
      return { fields, execution: new FeedExecution(feed, encode, fields.length) };
    }
    case 'copy': {
      if (statement.query.kind === 'query') {
        const result = await runQuery(state, statement.query.query, params, signal);
        return { fields: null, execution: new RowsExecution(result.rows, 'COPY', result.fields.length) };
      }
      const { fields, feed, encode } = await openSubscription(state.context, statement.query);
      return { fields: null, execution: new FeedExecution(feed, encode, fields.length, true) };
    }
    case 'declare':
      await declare(state, statement, params, signal);
      return command('DECLARE CURSOR');
    case 'fetch': {
      const cursor = state.cursors.get(statement.cursor);
      if (!cursor)
        throw new PgError(SQLSTATE.invalidCursorName, `cursor "${statement.cursor}" does not exist`);
      const rows = await cursor.fetch(statement.count, statement.timeoutMs, signal);
      return { fields: cursor.fields, execution: new RowsExecution(rows, 'FETCH') };
    }
    case 'close': {
      if (statement.cursor === null) closeCursors(state);
      else {
        const cursor = state.cursors.get(statement.cursor);
        if (!cursor)
          throw new PgError(SQLSTATE.invalidCursorName, `cursor "${statement.cursor}" does not exist`);
        cursor.close();
        state.cursors.delete(statement.cursor);
      }
      return command(statement.cursor === null ? 'CLOSE CURSOR ALL' : 'CLOSE CURSOR');
    }
  }
}

/**
 * A set-up script's `CREATE ... IF NOT EXISTS`: skipped with Postgres's notice when it names a
 * served view or the input relation; CREATE SOURCE is skipped with a notice naming the sources
 * viewcast runs. Anything else would create something, which a read-only server refuses.
 */
function createIfNotExists(state: SessionState, object: string, name: string) {
  const tag = `CREATE ${object.toUpperCase()}`;
  const { hub, setup } = state.context;
  if (object === 'source') {
    const sources = setup.sources?.length ? setup.sources.join('; ') : 'its own sources';
    state.notice(`viewcast runs its sources itself: ${sources}; CREATE SOURCE "${name}" changed nothing`, {
      hint: 'choose the sources when starting viewcast: viewcast serve --source ... (see viewcast serve --help).',
    });
    return command(tag);
  }
  if (hub.channel(name) || name === setup.inputRelation) {
    state.notice(`relation "${name}" already exists, skipping`, { sqlstate: '42P07' });
    return command(tag);
  }
  throw readOnly(tag);
}

async function declare(
  state: SessionState,
  statement: Extract<Statement, { kind: 'declare' }>,
  params: Array<string | null>,
  signal: AbortSignal,
): Promise<void> {
  const name = statement.cursor;
  if (state.transaction !== 'T') {
    throw new PgError(SQLSTATE.noActiveTransaction, 'DECLARE CURSOR can only be used in transaction blocks', {
      hint: 'run BEGIN first; the cursor lives until COMMIT or ROLLBACK.',
    });
  }
  if (state.cursors.has(name)) throw new PgError(SQLSTATE.duplicateCursor, `cursor "${name}" already exists`);
  if (statement.query.kind === 'query') {
    const result = await runQuery(state, statement.query.query, params, signal);
    let offset = 0;
    state.cursors.set(name, {
      fields: result.fields,
      fetch: async (count) => {
        const end = count === 'all' ? result.rows.length : Math.min(result.rows.length, offset + count);
        const out = result.rows.slice(offset, end);
        offset = end;
        return out;
      },
      close: () => undefined,
    });
    return;
  }
  const { fields, feed, encode } = await openSubscription(state.context, statement.query);
  state.cursors.set(name, {
    fields,
    fetch: async (count, timeoutMs, fetchSignal) => {
      const deadline = timeoutMs === null ? null : Date.now() + timeoutMs;
      const rows = await feed.next(count === 'all' ? Number.MAX_SAFE_INTEGER : count, deadline, fetchSignal);
      return rows.map(encode);
    },
    close: () => feed.close(),
  });
}

export function closeCursors(state: SessionState): void {
  for (const cursor of state.cursors.values()) cursor.close();
  state.cursors.clear();
}
