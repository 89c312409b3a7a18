/**
 * Queries over served views kept current on the delta path, each as a view of its own (a
 * ViewChannel), so every transport serves one exactly as it serves a named view: snapshot, diffs,
 * progress, retention log. One registry per hub (`queryChannels(hub)`), shared by the Postgres-wire
 * server and the browser protocol: identical queries (equal parse trees, positions aside) share
 * one pipeline, counted by subscriber, and the last one to leave stops it.
 *
 * A query's pipeline is seeded from its view's rows at the hub's consistent timestamp, then takes
 * that view's batch of every later moment and publishes its own changes at the moment's timestamp
 * (or only progress, when nothing changed): its timestamps are the hub's.
 */
import type { SelectStmt } from 'libpg-query';
import { ViewcastError } from '../core/errors.js';
import { SharedByKey } from '../core/shared-by-key.js';
import { QueryPipeline } from '../engine/delta/query-pipeline.js';
import type { Column, ViewErrorInfo } from '../engine/types.js';
import { parseSql } from '../sql/parse-sql.js';
import { Unsupported } from '../sql/scalar/index.js';
import type { Hub } from './hub.js';
import { ViewChannel } from './view-channel.js';

export interface QueryChannel {
  channel: ViewChannel;
  /** The served view the query reads. */
  view: string;
  /** Ends this subscriber's use; the last one stops the pipeline. Idempotent. */
  release(): void;
}

/** Why a query is not maintained here: a reason for a log line or a refusal (never a defect). */
export class NotIncremental extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotIncremental';
  }
}

export type QueryErrorListener = (query: string, errors: ViewErrorInfo[]) => void;

const registries = new WeakMap<Hub, QueryChannels>();

/** The hub's registry of maintained queries (made on first use). */
export function queryChannels(hub: Hub): QueryChannels {
  let registry = registries.get(hub);
  if (!registry) registries.set(hub, (registry = new QueryChannels(hub)));
  return registry;
}

interface Maintained {
  channel: ViewChannel;
  view: string;
  stop(): void;
}

export class QueryChannels {
  private readonly live = new SharedByKey<Maintained>((maintained) => maintained.stop());
  private readonly errorListeners = new Set<QueryErrorListener>();

  constructor(private readonly hub: Hub) {}

  /** Pipelines running now (identical queries count once). */
  get size(): number {
    return this.live.size;
  }

  /** Subscribers of all pipelines together. */
  get subscribers(): number {
    return this.live.users;
  }

  /** Told when a query's errors change (a value its SQL fails on arrived or left). */
  onErrors(listener: QueryErrorListener): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Subscribes to the query `sql` (one SELECT over one served view). Throws NotIncremental with
   * the reason when the delta path does not maintain it (a join, a view of another engine),
   * ViewcastError VIEWCAST_BAD_QUERY when Postgres would refuse it too (a syntax error, an unknown
   * column or view).
   */
  acquire(sql: string): QueryChannel {
    const select = parseSelect(sql);
    const key = JSON.stringify(withoutLocations(select));
    const { value, release } = this.live.acquire(key, () => this.start(sql, select));
    return { channel: value.channel, view: value.view, release };
  }

  /** The columns `sql` returns, compiled as `acquire` would but not run (a client's Describe). */
  columns(sql: string): Column[] {
    const select = parseSelect(sql);
    const maintained = this.live.peek(JSON.stringify(withoutLocations(select)));
    if (maintained) return maintained.channel.info.columns;
    return this.compile(select).pipeline.columns.map((c) => ({ name: c.name, type: c.type }));
  }

  private compile(select: SelectStmt): { view: string; source: ViewChannel; pipeline: QueryPipeline } {
    const view = sourceView(select);
    const source = this.hub.channel(view);
    if (!source) {
      throw new ViewcastError(
        'VIEWCAST_BAD_QUERY',
        `relation "${view}" does not exist; known views: ${this.hub.viewNames.join(', ')}`,
      );
    }
    const path = source.info.path;
    if (path !== 'delta') {
      throw new NotIncremental(
        path === 'remote' || path === undefined
          ? `it reads "${view}", which a remote engine maintains`
          : `it reads "${view}", which runs on PGlite`,
      );
    }
    try {
      return {
        view,
        source,
        pipeline: new QueryPipeline('query', select, { name: view, columns: source.info.columns }),
      };
    } catch (error) {
      if (error instanceof Unsupported) throw new NotIncremental(error.reason);
      throw badQuery(error);
    }
  }

  private start(sql: string, select: SelectStmt): Maintained {
    const { view, source, pipeline } = this.compile(select);
    const name = sql.trim().replace(/;+$/, '');
    const channel = new ViewChannel({
      name,
      columns: pipeline.columns.map((c) => ({ name: c.name, type: c.type })),
      path: 'delta',
    });
    const timestamp = this.hub.timestamp ?? source.timestamp ?? 0;
    const seeded = pipeline.apply(source.rows.counted(), timestamp);
    channel.apply({ timestamp, changes: pipeline.contents() });
    let errors = 0;
    const report = (delta: { errors: unknown[] }): void => {
      if (delta.errors.length === 0) return;
      const current = pipeline.errors();
      if (current.length === 0 && errors === 0) return;
      errors = current.length;
      for (const listener of this.errorListeners) listener(name, current);
    };
    report(seeded);
    const stopMoments = this.hub.onMoment((moment) => {
      if (moment.timestamp <= (channel.timestamp ?? 0)) return;
      const batch = moment.batch(view);
      if (!batch) {
        channel.advance(moment.timestamp);
        return;
      }
      const delta = pipeline.apply(batch.changes, moment.timestamp);
      channel.apply({ timestamp: moment.timestamp, changes: delta.changes });
      report(delta);
    });
    return { channel, view, stop: stopMoments };
  }
}

/** The one SELECT of `sql`, or VIEWCAST_BAD_QUERY saying what else it is. */
function parseSelect(sql: string): SelectStmt {
  let stmts: Array<{ stmt?: Record<string, unknown> }>;
  try {
    stmts = (parseSql(sql) as { stmts?: typeof stmts }).stmts ?? [];
  } catch (error) {
    throw badQuery(error);
  }
  const select = stmts.length === 1 ? (stmts[0]?.stmt?.['SelectStmt'] as SelectStmt | undefined) : undefined;
  if (!select) {
    throw new ViewcastError(
      'VIEWCAST_BAD_QUERY',
      'a query must be exactly one SELECT over a served view, e.g. SELECT * FROM top10 WHERE count > 10',
    );
  }
  return select;
}

/** The view in FROM (the planner refuses every other shape of FROM with its reason). */
function sourceView(select: SelectStmt): string {
  const from = (select.fromClause ?? []) as Array<Record<string, unknown>>;
  const range =
    from.length === 1 ? (from[0]?.['RangeVar'] as Record<string, unknown> | undefined) : undefined;
  if (!range) {
    throw new NotIncremental(
      from.length === 0 ? 'a query without FROM runs on PGlite' : 'joins and subqueries run on PGlite',
    );
  }
  const schema = range['schemaname'] as string | undefined;
  const name = String(range['relname'] ?? '');
  return schema && schema !== 'public' ? `${schema}.${name}` : name;
}

function badQuery(error: unknown): ViewcastError {
  return new ViewcastError(
    'VIEWCAST_BAD_QUERY',
    `the query is not valid: ${error instanceof Error ? error.message : String(error)}`,
  );
}

function withoutLocations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLocations);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Record<string, unknown>)
      .filter(([key]) => key !== 'location')
      .map(([key, value]) => [key, withoutLocations(value)]),
  );
}
