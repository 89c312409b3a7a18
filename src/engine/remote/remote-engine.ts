/**
 * A remote engine: Materialize, or another viewcast's Postgres-wire endpoint. Its views are its
 * materialized views (or named in the URL, `?views=counter,top10`), their
 * columns from a `SELECT * FROM v LIMIT 0`; every subscription gets a connection of its own. The
 * remote owns ingest: a viewcast with a remote engine runs no sources.
 */
import type pg from 'pg';
import type { Logger } from '../../core/log.js';
import { errorMessage, unknownViewError, ViewcastError } from '../../core/errors.js';
import { typeName } from '../../core/pg-types.js';
import type { Engine, SubscribeListener, SubscribeOptions, Subscription, ViewInfo } from '../types.js';
import { connect, isConnectionError, parseRemoteTarget, type RemoteTarget } from './connect.js';
import { quoteIdentifier } from '../../core/sql-quote.js';
import { backoff, RemoteSubscription, RETRY_DEFAULTS, type RetryPolicy } from './remote-subscription.js';

export interface RemoteEngineOptions {
  /** `postgres://user[:password]@host:port/db[?views=a,b]` */
  url: string;
  log: Logger;
  /** FETCH's timeout: how long a silent subscription goes unchecked (default 1000 ms). */
  fetchTimeoutMs?: number;
  retry?: RetryPolicy;
  /** How long `start` keeps trying to reach a remote that is down (default 30 s). */
  startTimeoutMs?: number;
}

export interface RemoteEngineStatus {
  kind: 'remote';
  url: string;
  connected: number;
  subscriptions: number;
  restarts: number;
  /** Subscriptions that ended for good (a changed schema, an unknown view, a protocol error). */
  failed: number;
  lastError: string | null;
}

export class RemoteEngine implements Engine {
  views: ViewInfo[] = [];
  readonly target: RemoteTarget;
  private readonly subscriptions = new Set<RemoteSubscription>();
  private readonly retry: RetryPolicy;

  constructor(private readonly options: RemoteEngineOptions) {
    this.target = parseRemoteTarget(options.url);
    this.retry = options.retry ?? RETRY_DEFAULTS;
  }

  async start(): Promise<void> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 30_000);
    for (let failures = 1; ; failures++) {
      try {
        this.views = await this.discover();
        return;
      } catch (error) {
        if (!isConnectionError(error) || Date.now() >= deadline) {
          if (error instanceof ViewcastError) throw error;
          throw new ViewcastError(
            'VIEWCAST_REMOTE_ENGINE',
            `Cannot read the views of the engine at ${this.target.display}: ${errorMessage(error)}. ` +
              'Check that it is running and that the URL (user, port, database) is right.',
            { cause: error },
          );
        }
        const wait = backoff(this.retry, failures);
        this.options.log.warn(
          `engine ${this.target.display} not reachable (${errorMessage(error)}); trying again in ${Math.round(wait)} ms`,
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  subscribe(view: string, options: SubscribeOptions, listener: SubscribeListener): Subscription {
    const info = this.views.find((v) => v.name === view);
    if (!info) throw unknownViewError(view, this.views);
    return this.follow(info, options, listener);
  }

  /**
   * `SUBSCRIBE (<sql>)` on the remote, which maintains the query: the same subscription machinery
   * as a view's (reconnects, fatal errors), its output checked against `query.columns`.
   */
  subscribeQuery(
    query: ViewInfo & { sql: string },
    options: SubscribeOptions,
    listener: SubscribeListener,
  ): Subscription {
    return this.follow(query, options, listener, `(${query.sql.replace(/[\s;]+$/, '')})`);
  }

  private follow(
    info: ViewInfo,
    options: SubscribeOptions,
    listener: SubscribeListener,
    relation?: string,
  ): Subscription {
    const settings = {
      target: this.target,
      log: this.options.log,
      fetchTimeoutMs: this.options.fetchTimeoutMs ?? 1000,
      retry: this.retry,
    };
    const subscription = new RemoteSubscription(info, options, listener, settings, relation);
    this.subscriptions.add(subscription);
    return {
      close: () => {
        subscription.close();
        this.subscriptions.delete(subscription);
      },
    };
  }

  status(): RemoteEngineStatus {
    const all = [...this.subscriptions];
    return {
      kind: 'remote',
      url: this.target.display,
      connected: all.filter((s) => s.connected).length,
      subscriptions: all.length,
      restarts: all.reduce((sum, s) => sum + s.restarts, 0),
      failed: all.filter((s) => s.failed).length,
      lastError: all.find((s) => s.lastError)?.lastError ?? null,
    };
  }

  async close(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.close();
    this.subscriptions.clear();
  }

  private async discover(): Promise<ViewInfo[]> {
    const client = await connect(this.target, 'catalog');
    try {
      const names = this.target.views ?? (await listViews(client));
      if (names.length === 0) {
        throw new ViewcastError(
          'VIEWCAST_REMOTE_ENGINE',
          `the engine at ${this.target.display} lists no views (SHOW VIEWS, SHOW MATERIALIZED VIEWS). Create them first, ` +
            'e.g. from views/wikirecent.materialize.sql.',
        );
      }
      const views: ViewInfo[] = [];
      for (const name of names) {
        const result = await client.query({
          text: `SELECT * FROM ${quoteIdentifier(name)} LIMIT 0`,
          rowMode: 'array',
        });
        views.push({
          name,
          columns: result.fields.map((f) => ({ name: f.name, type: typeName(f.dataTypeID) })),
          path: 'remote',
        });
      }
      return views;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * The materialized views (SHOW MATERIALIZED VIEWS), or the views when there are none: on
 * Materialize the plain views are usually intermediate steps (like `recentchanges`) that nobody
 * should stream in full; a viewcast lists all its views both ways.
 */
async function listViews(client: pg.Client): Promise<string[]> {
  for (const command of ['SHOW MATERIALIZED VIEWS', 'SHOW VIEWS']) {
    try {
      const result = await client.query<{ name: string }>(command);
      if (result.rows.length > 0) return result.rows.map((row) => row.name);
    } catch (error) {
      if (isConnectionError(error)) throw error; // a server without materialized views just says so
    }
  }
  return [];
}
