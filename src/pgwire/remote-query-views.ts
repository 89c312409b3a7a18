/**
 * `SUBSCRIBE (SELECT ...)` on a gateway (`--engine postgres://...`): passed through to the remote
 * engine as `SUBSCRIBE (<query>) WITH (PROGRESS)`, so the remote maintains it (Materialize, or
 * another viewcast on its delta path) and the gateway re-runs nothing. One remote subscription per
 * distinct query, shared by identical queries and closed when the last subscriber leaves; it is
 * followed as a view of the remote is (RemoteSubscription: reconnects, fatal errors told apart), and
 * its rows become batches (BatchBuilder, as in the hub) of a ViewChannel that SubscriptionFeed serves
 * as it serves a named view. The columns are the remote's answer to `SELECT * FROM (<query>) LIMIT 0`.
 */
import { errorMessage } from '../core/errors.js';
import { typeName } from '../core/pg-types.js';
import type { SubscribeListener, SubscribeOptions, Subscription, ViewInfo } from '../engine/types.js';
import { BatchBuilder, type Batch } from '../hub/batch-builder.js';
import { ViewChannel } from '../hub/view-channel.js';
import type { Field } from './backend-messages.js';
import type { AnalyzedQuery } from './query-analysis.js';
import type { RemoteQueries } from './query-service.js';
import {
  SharedQueries,
  type Maintenance,
  type MaintainedQuery,
  type QueryMaintainer,
} from './query-views.js';

/** What a gateway's remote engine offers here (RemoteEngine). */
export interface QuerySubscriber {
  subscribeQuery(
    query: ViewInfo & { sql: string },
    options: SubscribeOptions,
    listener: SubscribeListener,
  ): Subscription;
}

const NEVER = new AbortController().signal;

export class PassedThroughQueries implements QueryMaintainer {
  private readonly shared = new SharedQueries((query) => this.start(query));

  constructor(
    private readonly engine: QuerySubscriber,
    private readonly remote: RemoteQueries,
    private readonly log: (message: string) => void,
  ) {}

  /** Remote subscriptions open now (identical queries count once). */
  get size(): number {
    return this.shared.size;
  }

  /** The remote's columns for the query; its errors (an unknown column) are Postgres's own. */
  async describe(query: AnalyzedQuery): Promise<Field[]> {
    const result = await this.remote.run(`SELECT * FROM (${statement(query)}) AS q LIMIT 0`, [], NEVER);
    return result.fields;
  }

  acquire(query: AnalyzedQuery): Promise<MaintainedQuery> {
    return this.shared.acquire(query);
  }

  /** Subscribes on the remote; resolves with the channel once the remote's snapshot arrived. */
  private async start(query: AnalyzedQuery): Promise<Maintenance> {
    const fields = await this.describe(query);
    const sql = statement(query);
    const channel = new ViewChannel({
      name: sql,
      columns: fields.map((f) => ({ name: f.name, type: typeName(f.oid) })),
      path: 'remote',
    });
    return new Promise<Maintenance>((resolve, reject) => {
      let started = false;
      // After a reconnection the first batch is a whole new snapshot, which replaces the state.
      let restarted = false;
      const onBatch = (batch: Batch): void => {
        if (restarted) channel.replace(batch);
        else channel.apply(batch);
        restarted = false;
        if (started) return;
        started = true;
        resolve({ channel, fields, stop: () => subscription.close() });
      };
      let builder = new BatchBuilder(onBatch);
      const subscription = this.engine.subscribeQuery(
        { ...channel.info, sql },
        {
          snapshot: true,
          onRestart: () => {
            restarted = true;
            builder = new BatchBuilder(onBatch);
          },
          onInterrupted: ({ fatal, error }) => {
            if (!fatal) return;
            if (!started) {
              subscription.close();
              return reject(error);
            }
            this.log(`SUBSCRIBE (${sql}) ended on the remote engine: ${errorMessage(error)}`);
          },
        },
        (rows) => builder.push(rows),
      );
    });
  }
}

function statement(query: AnalyzedQuery): string {
  return query.sql.trim().replace(/[\s;]+$/, '');
}
