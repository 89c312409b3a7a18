/**
 * `SUBSCRIBE (SELECT ...)` over served views: the query is kept as a view of its own (a
 * ViewChannel), so SubscriptionFeed serves it exactly as it serves a named view (snapshot, diffs,
 * progress, AS OF from its retention log). Identical queries share one maintained view.
 *
 * Two maintainers behind QueryMaintainer. IncrementalQueries (the default) runs the query on the
 * delta path: compiled by the views file's planner and fed the diffs of the view it reads
 * (hub/query-channels.ts), microseconds per changed row. Queries it does not maintain (joins, a
 * view on PGlite, parameters) go to ReevaluatedQueries, with the reason logged once per query: it
 * re-runs the query in the PGlite worker after each moment that changed one of the views it reads,
 * and publishes the difference to the previous result at that moment's timestamp: correct at every
 * timestamp it publishes, at the cost of one evaluation per changed moment. Evaluations never
 * overlap: moments that arrive during one are folded into the next (the newest state wins), and
 * progress follows only once the result caught up.
 *
 * On a gateway the remote engine maintains the query instead: PassedThroughQueries
 * (remote-query-views.ts) subscribes to it there, as a view of the remote is followed.
 */
import { consolidate, difference, Multiset, type Change } from '../core/multiset.js';
import { SharedByKey } from '../core/shared-by-key.js';
import type { Hub } from '../hub/hub.js';
import { ViewChannel } from '../hub/view-channel.js';
import { typeName, typeOid } from '../core/pg-types.js';
import { NotIncremental, queryChannels } from '../hub/query-channels.js';
import type { Field } from './backend-messages.js';
import type { AnalyzedQuery } from './query-analysis.js';
import type { QueryService } from './query-service.js';

export interface MaintainedQuery {
  /** The query's rows as a view: its columns, state, batches and progress. */
  channel: ViewChannel;
  /** The result columns with their true type OIDs. */
  fields: Field[];
  /** Called when the subscription ends; the last one stops the maintenance. */
  release(): void;
}

/** The seam for the delta path: keep a query's result current over the hub's moments. */
export interface QueryMaintainer {
  acquire(query: AnalyzedQuery): Promise<MaintainedQuery>;
  /** The result columns, without maintaining the query (Describe). */
  describe(query: AnalyzedQuery): Promise<Field[]>;
}

const NEVER = new AbortController().signal;

/** The delta path first; the PGlite maintainer for what it does not maintain. */
export class IncrementalQueries implements QueryMaintainer {
  /** Queries already logged as re-evaluated, so a reconnecting client does not repeat the line. */
  private readonly logged = new Set<string>();

  constructor(
    private readonly hub: Hub,
    private readonly fallback: QueryMaintainer,
    private readonly log: (message: string) => void,
  ) {
    // Errors are data on the delta path: a row the query's SQL fails on is left out, and said here.
    queryChannels(hub).onErrors((sql, errors) =>
      log(
        errors.length === 0
          ? `SUBSCRIBE (${sql}) is no longer in error`
          : `SUBSCRIBE (${sql}) is in error: ${errors.map((e) => `${e.sqlstate} ${e.message}`).join('; ')}`,
      ),
    );
  }

  async describe(query: AnalyzedQuery): Promise<Field[]> {
    if (query.params === 0) {
      try {
        return queryChannels(this.hub)
          .columns(query.sql)
          .map((c) => ({ name: c.name, oid: typeOid(c.type) }));
      } catch {
        // Not on the delta path: the fallback describes it (and reports Postgres's own errors).
      }
    }
    return this.fallback.describe(query);
  }

  async acquire(query: AnalyzedQuery): Promise<MaintainedQuery> {
    let reason: string;
    if (query.params > 0) reason = 'it has parameters';
    else {
      try {
        const { channel, release } = queryChannels(this.hub).acquire(query.sql);
        const fields = channel.info.columns.map((c) => ({ name: c.name, oid: typeOid(c.type) }));
        return { channel, fields, release };
      } catch (error) {
        // Anything else (an unknown column) is for PGlite to report with Postgres's own error.
        if (!(error instanceof NotIncremental)) reason = 'the delta planner cannot compile it';
        else reason = error.reason;
      }
    }
    if (!this.logged.has(query.key)) {
      if (this.logged.size > 1000) this.logged.clear();
      this.logged.add(query.key);
      this.log(`SUBSCRIBE (${query.sql.trim()}) is re-evaluated per moment, not incremental: ${reason}`);
    }
    return this.fallback.acquire(query);
  }
}

/**
 * Maintained queries shared by identical queries (`query.key`), counted by subscriber: the last
 * one to leave stops the maintenance. A start that fails is forgotten, so the next subscriber tries again.
 */
export class SharedQueries {
  private readonly live = new SharedByKey<Starting>((starting) => starting.maintained?.stop());

  constructor(private readonly start: (query: AnalyzedQuery) => Promise<Maintenance>) {}

  /** Queries maintained now (identical queries count once). */
  get size(): number {
    return this.live.size;
  }

  async acquire(query: AnalyzedQuery): Promise<MaintainedQuery> {
    const { value: starting, release } = this.live.acquire(query.key, () => {
      const created: Starting = { started: this.start(query) };
      created.started.then(
        (maintained) => (created.maintained = maintained),
        () => this.live.forget(query.key, created),
      );
      return created;
    });
    let maintained: Maintenance;
    try {
      maintained = await starting.started;
    } catch (error) {
      release();
      throw error;
    }
    return { channel: maintained.channel, fields: maintained.fields, release };
  }
}

/** A maintenance being started; `maintained` once it has (before any user gets its share). */
interface Starting {
  started: Promise<Maintenance>;
  maintained?: Maintenance;
}

/** One query kept current: its channel and columns, and how to stop keeping it. */
export interface Maintenance {
  channel: ViewChannel;
  fields: Field[];
  stop(): void;
}

export class ReevaluatedQueries implements QueryMaintainer {
  private readonly shared = new SharedQueries((query) =>
    Reevaluated.start(this.hub, this.queries, query, this.onError),
  );

  constructor(
    private readonly hub: Hub,
    private readonly queries: QueryService,
    private readonly onError: (error: unknown) => void,
  ) {}

  async describe(query: AnalyzedQuery): Promise<Field[]> {
    return (await this.queries.describe(query)).fields;
  }

  acquire(query: AnalyzedQuery): Promise<MaintainedQuery> {
    return this.shared.acquire(query);
  }
}

class Reevaluated implements Maintenance {
  private dirty = false;
  private running = false;
  private stopped = false;
  private latest: number;
  private readonly stopMoments: () => void;

  static async start(
    hub: Hub,
    queries: QueryService,
    query: AnalyzedQuery,
    onError: (error: unknown) => void,
  ): Promise<Reevaluated> {
    const timestamp = hub.timestamp ?? 0;
    const result = await queries.run(query, [], NEVER);
    const channel = new ViewChannel({
      name: query.sql.trim(),
      columns: result.fields.map((f) => ({ name: f.name, type: typeName(f.oid) })),
    });
    channel.apply({ timestamp, changes: consolidate(result.rows.map((row): Change => [row, 1])) });
    return new Reevaluated(hub, queries, query, channel, result.fields, onError);
  }

  private constructor(
    private readonly hub: Hub,
    private readonly queries: QueryService,
    private readonly query: AnalyzedQuery,
    readonly channel: ViewChannel,
    readonly fields: Field[],
    private readonly onError: (error: unknown) => void,
  ) {
    this.latest = channel.timestamp ?? 0;
    this.stopMoments = hub.onMoment((moment) => {
      if (moment.timestamp <= (this.channel.timestamp ?? 0)) return;
      this.latest = Math.max(this.latest, moment.timestamp);
      if (moment.changed.some((batch) => this.query.views.includes(batch.view))) this.dirty = true;
      this.kick();
    });
  }

  stop(): void {
    this.stopped = true;
    this.stopMoments();
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    if (!this.dirty) {
      this.channel.advance(this.latest);
      return;
    }
    this.dirty = false;
    this.running = true;
    void this.reevaluate().finally(() => {
      this.running = false;
      this.kick();
    });
  }

  /** Runs the query on the hub's current state and publishes the difference at its timestamp. */
  private async reevaluate(): Promise<void> {
    const timestamp = this.hub.timestamp ?? this.latest;
    try {
      const result = await this.queries.run(this.query, [], NEVER);
      if (this.stopped) return;
      const next = new Multiset();
      next.applyAll(result.rows.map((row): Change => [row, 1]));
      const changes = difference(this.channel.rows, next);
      this.channel.apply({ timestamp: Math.max(timestamp, this.channel.timestamp ?? 0), changes });
    } catch (error) {
      // The previous result stays; the next changed moment tries again.
      this.onError(error);
    }
  }
}
