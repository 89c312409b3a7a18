/**
 * Ad-hoc queries on a `/api/subscribe` socket (`{"type":"subscribe","query":"SELECT ..."}`), off
 * unless the server runs with `--allow-browser-queries`: a query from a browser is code a visitor
 * chooses, run on the server at every moment, so serving one is the operator's decision.
 *
 * A query is kept on the delta path (hub/query-channels.ts, shared with the Postgres-wire server
 * and between sockets sending the same query) and streamed like a view named by the query's text:
 * a `snapshot`, then `batch` frames of its changes at the hub's timestamps, and `progress` while
 * it does not change. A query the delta path does not maintain (a join) is refused with the reason:
 * no browser can make the server re-evaluate a query per moment. A client whose unsent bytes pass
 * `--client-buffer-bytes` is sent nothing more for its queries until it drained to half, and then
 * a `reset` with the query's current rows.
 */
import { ViewcastError } from '../core/errors.js';
import type { Timestamp } from '../engine/types.js';
import type { Hub } from '../hub/hub.js';
import { NotIncremental, queryChannels, type QueryChannel } from '../hub/query-channels.js';
import { batchFrame, progressFrame, resetFrame, snapshotFrame, stateBody } from '../hub/wire.js';
import type { ClientSession } from './client-session.js';
import type { ServerOptions } from './server-options.js';

export interface QueryRefusal {
  code:
    | 'VIEWCAST_QUERIES_OFF'
    | 'VIEWCAST_QUERY_NOT_INCREMENTAL'
    | 'VIEWCAST_BAD_QUERY'
    | 'TOO_MANY_SUBSCRIPTIONS';
  message: string;
  ref?: unknown;
  view?: string;
}

/** `pass`: the message is not about queries (the view protocol handles it). */
export type QueryOutcome = 'pass' | QueryRefusal | null;

interface Followed {
  query: QueryChannel;
  stops: Array<() => void>;
  /** Frames were skipped while the client was behind: it needs a reset. */
  stale: boolean;
  lastSentAt: number;
}

export class SocketQueries {
  private readonly followed = new Map<string, Followed>();

  constructor(
    private readonly hub: Hub,
    private readonly session: ClientSession,
    private readonly options: ServerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.followed.size;
  }

  /** Handles a subscribe with `query`, or an unsubscribe naming only this socket's queries. */
  handle(text: string): QueryOutcome {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'pass';
      message = parsed as Record<string, unknown>;
    } catch {
      return 'pass';
    }
    const ref = message['ref'] === undefined ? {} : { ref: message['ref'] };
    if (message['type'] === 'unsubscribe') {
      const views = message['views'] ?? (message['view'] === undefined ? undefined : [message['view']]);
      if (!Array.isArray(views) || views.length === 0 || !views.every((v) => this.followed.has(String(v))))
        return 'pass';
      for (const view of views) this.drop(String(view));
      return null;
    }
    if (message['type'] !== 'subscribe' || message['query'] === undefined) return 'pass';
    if (!this.options.allowBrowserQueries) {
      return {
        code: 'VIEWCAST_QUERIES_OFF',
        message:
          'this server does not accept queries from browsers: subscribe to a view by name ("views"), ' +
          'or start the server with --allow-browser-queries',
        ...ref,
      };
    }
    const sql = message['query'];
    if (typeof sql !== 'string' || sql.trim() === '') {
      return { code: 'VIEWCAST_BAD_QUERY', message: '"query" must be the text of one SELECT', ...ref };
    }
    const name = sql.trim().replace(/;+$/, '');
    const total = this.session.views.size + this.followed.size + (this.followed.has(name) ? 0 : 1);
    if (total > this.options.maxSubscriptions) {
      return {
        code: 'TOO_MANY_SUBSCRIPTIONS',
        message: `a socket may follow at most ${this.options.maxSubscriptions} views and queries (--max-subscriptions); this request would make it ${total}`,
        ...ref,
      };
    }
    let query: QueryChannel;
    try {
      query = queryChannels(this.hub).acquire(name);
    } catch (error) {
      if (error instanceof NotIncremental) {
        return {
          code: 'VIEWCAST_QUERY_NOT_INCREMENTAL',
          message: `the query cannot be maintained incrementally: ${error.reason}`,
          view: name,
          ...ref,
        };
      }
      if (error instanceof ViewcastError && error.code === 'VIEWCAST_BAD_QUERY') {
        return { code: 'VIEWCAST_BAD_QUERY', message: error.message, view: name, ...ref };
      }
      throw error;
    }
    this.drop(name);
    this.follow(name, query);
    return null;
  }

  /** Releases every query of the socket (it closed). */
  close(): void {
    for (const name of [...this.followed.keys()]) this.drop(name);
  }

  private follow(name: string, query: QueryChannel): void {
    const { channel } = query;
    const followed: Followed = { query, stops: [], stale: false, lastSentAt: this.now() };
    this.followed.set(name, followed);
    this.send('snapshot', snapshotFrame(name, this.body(query)), channel.timestamp ?? 0);
    followed.stops.push(
      channel.listen((batch) => {
        if (this.behind(followed)) return;
        this.send('batch', batchFrame(batch.timestamp, [[name, batch.fragment]]), batch.timestamp);
        followed.lastSentAt = this.now();
      }),
      channel.listenProgress((timestamp) => {
        if (this.behind(followed)) return;
        // An idle query gets progress as an idle view does; a socket that follows views hears it anyway.
        if (this.session.views.size > 0 || this.now() - followed.lastSentAt < this.options.progressMs) return;
        this.send('progress', progressFrame(timestamp), timestamp);
        followed.lastSentAt = this.now();
      }),
    );
  }

  /** True while the client is behind; once it drained, sends the reset it needs and returns false. */
  private behind(followed: Followed): boolean {
    const buffered = this.session.buffered;
    if (buffered > this.options.clientBufferBytes) followed.stale = true;
    if (!followed.stale) return false;
    if (buffered > this.options.clientBufferBytes / 2) return true;
    followed.stale = false;
    const name = [...this.followed].find(([, f]) => f === followed)?.[0] ?? '';
    const timestamp = followed.query.channel.timestamp ?? 0;
    this.send('reset', resetFrame(name, this.body(followed.query), 'behind'), timestamp);
    followed.lastSentAt = this.now();
    return true;
  }

  private body(query: QueryChannel): string {
    const { channel } = query;
    return stateBody(channel.timestamp ?? 0, channel.info.columns, channel.rows.rows());
  }

  private send(kind: 'snapshot' | 'batch' | 'reset' | 'progress', frame: string, timestamp: Timestamp): void {
    this.session.sendRaw(kind, Buffer.from(frame), timestamp);
  }

  private drop(name: string): void {
    const followed = this.followed.get(name);
    if (!followed) return;
    this.followed.delete(name);
    for (const stop of followed.stops.splice(0)) stop();
    followed.query.release();
  }
}
