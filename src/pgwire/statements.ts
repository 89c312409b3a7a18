/**
 * Runs one parsed statement against the hub for a session: what it returns (its fields, for
 * RowDescription) and how its rows are sent (an Execution). Transaction and cursor state live in
 * the session and are changed here.
 */
import type { Hub } from '../hub/hub.js';
import type { ViewChannel } from '../hub/view-channel.js';
import type { Field, TransactionStatus } from './backend-messages.js';
import {
  CommandExecution,
  FeedExecution,
  RowsExecution,
  type Encoded,
  type Execution,
} from './executions.js';
import { PgError, SQLSTATE, unknownView } from './pg-error.js';
import { formatValue, typeOid } from '../core/pg-types.js';
import { describeSelect, runSelect } from './select-eval.js';
import type { SelectStatement, Statement, SubscribeStatement } from './sql-ast.js';
import { SubscriptionFeed, type FeedRow } from './subscription-feed.js';

export interface Cursor {
  fields: Field[];
  /** Waits as FETCH does: for the first rows (until the timeout, if any), then takes what is ready. */
  fetch(count: number | 'all', timeoutMs: number | null, signal: AbortSignal): Promise<Encoded[]>;
  close(): void;
}

export interface SessionState {
  hub: Hub;
  transaction: TransactionStatus;
  cursors: Map<string, Cursor>;
  parameters: Record<string, string>;
  notice(message: string): void;
}

export interface Started {
  /** Null for statements that return no rows (NoData). */
  fields: Field[] | null;
  execution: Execution;
}

const NAME_FIELD: Field = { name: 'name', oid: 25 };

export function channelFor(hub: Hub, view: string, position?: number): ViewChannel {
  const channel = hub.channel(view);
  if (!channel) {
    const error = unknownView(
      view,
      hub.views.map((c) => c.name),
    );
    throw position === undefined
      ? error
      : new PgError(error.sqlstate, error.message, { position, hint: error.hint });
  }
  return channel;
}

function lookupFor(hub: Hub) {
  return (view: string, position: number) => {
    const channel = channelFor(hub, view, position);
    return { name: channel.name, columns: channel.info.columns, rows: () => channel.rows.rows() };
  };
}

export function subscribeFields(channel: ViewChannel, progress: boolean): Field[] {
  return [
    { name: 'mz_timestamp', oid: 1700 },
    ...(progress ? [{ name: 'mz_progressed', oid: 16 }] : []),
    { name: 'mz_diff', oid: 20 },
    ...channel.info.columns.map((c) => ({ name: c.name, oid: typeOid(c.type) })),
  ];
}

function subscribeEncoder(channel: ViewChannel, progress: boolean): (row: FeedRow) => Encoded {
  const oids = channel.info.columns.map((c) => typeOid(c.type));
  return (row) => {
    const head: Encoded = [String(row.timestamp)];
    if (progress) head.push(row.progressed ? 't' : 'f');
    if (row.progressed) return [...head, null, ...oids.map(() => null)];
    return [...head, String(row.diff), ...oids.map((oid, i) => formatValue(row.row[i], oid))];
  };
}

function encodeRows(fields: Field[], rows: unknown[][]): Encoded[] {
  return rows.map((row) => row.map((value, i) => formatValue(value, fields[i]?.oid ?? 25)));
}

/** The fields a statement returns, without running it (Describe). */
export function describeStatement(statement: Statement, state: SessionState): Field[] | null {
  switch (statement.kind) {
    case 'select':
      return describeSelect(statement, lookupFor(state.hub));
    case 'subscribe':
      return subscribeFields(
        channelFor(state.hub, statement.view, statement.viewPosition),
        statement.progress,
      );
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
  const command = (tag: string): Started => ({ fields: null, execution: new CommandExecution(tag) });
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
    case 'show-views': {
      const fields = [NAME_FIELD];
      return {
        fields,
        execution: new RowsExecution(
          state.hub.views.map((c) => [c.name]),
          'SELECT',
        ),
      };
    }
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
    case 'select': {
      const result = runSelect(statement, lookupFor(state.hub), params);
      return {
        fields: result.fields,
        execution: new RowsExecution(encodeRows(result.fields, result.rows), 'SELECT'),
      };
    }
    case 'subscribe': {
      const { channel, feed, encode } = subscribe(state, statement);
      const fields = subscribeFields(channel, statement.progress);
      return { fields, execution: new FeedExecution(feed, encode, fields.length) };
    }
    case 'copy': {
      if (statement.query.kind === 'select') {
        const result = runSelect(statement.query, lookupFor(state.hub), params);
        const rows = encodeRows(result.fields, result.rows);
        return { fields: null, execution: new RowsExecution(rows, 'COPY', result.fields.length) };
      }
      const { channel, feed, encode } = subscribe(state, statement.query);
      const width = subscribeFields(channel, statement.query.progress).length;
      return { fields: null, execution: new FeedExecution(feed, encode, width, true) };
    }
    case 'declare':
      declare(state, statement.cursor, statement.query, params);
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

function subscribe(state: SessionState, statement: SubscribeStatement) {
  const channel = channelFor(state.hub, statement.view, statement.viewPosition);
  const feed = new SubscriptionFeed(channel, statement);
  return { channel, feed, encode: subscribeEncoder(channel, statement.progress) };
}

function declare(
  state: SessionState,
  name: string,
  query: SubscribeStatement | SelectStatement,
  params: Array<string | null>,
): void {
  if (state.transaction !== 'T') {
    throw new PgError(SQLSTATE.noActiveTransaction, 'DECLARE CURSOR can only be used in transaction blocks', {
      hint: 'run BEGIN first; the cursor lives until COMMIT or ROLLBACK.',
    });
  }
  if (state.cursors.has(name)) throw new PgError(SQLSTATE.duplicateCursor, `cursor "${name}" already exists`);
  if (query.kind === 'select') {
    const result = runSelect(query, lookupFor(state.hub), params);
    const rows = encodeRows(result.fields, result.rows);
    let offset = 0;
    state.cursors.set(name, {
      fields: result.fields,
      fetch: async (count) => {
        const end = count === 'all' ? rows.length : Math.min(rows.length, offset + count);
        const out = rows.slice(offset, end);
        offset = end;
        return out;
      },
      close: () => undefined,
    });
    return;
  }
  const { channel, feed, encode } = subscribe(state, query);
  state.cursors.set(name, {
    fields: subscribeFields(channel, query.progress),
    fetch: async (count, timeoutMs, signal) => {
      const deadline = timeoutMs === null ? null : Date.now() + timeoutMs;
      const rows = await feed.next(count === 'all' ? Number.MAX_SAFE_INTEGER : count, deadline, signal);
      return rows.map(encode);
    },
    close: () => feed.close(),
  });
}

export function closeCursors(state: SessionState): void {
  for (const cursor of state.cursors.values()) cursor.close();
  state.cursors.clear();
}
