/**
 * Opens a SUBSCRIBE: the view (or the maintained view of a query), AS OF and UP TO resolved to
 * timestamps (`mz_now()` is the hub's consistent timestamp, `now()` the wall clock, which is what
 * timestamps are), a SubscriptionFeed that always tracks progress, and the output shape on top.
 */
import type { Hub } from '../hub/hub.js';
import type { ViewChannel } from '../hub/view-channel.js';
import { typeOid } from '../core/pg-types.js';
import type { Field } from './backend-messages.js';
import type { Encoded } from './executions.js';
import { PgError, SQLSTATE, unknownView } from './pg-error.js';
import type { SubscribeStatement, TimestampExpression } from './sql-ast.js';
import type { SessionContext } from './statements.js';
import { keyOrder, ShapedFeed, subscribeShape, type Feed, type OutputRow } from './subscribe-output.js';
import { SubscriptionFeed } from './subscription-feed.js';
import { refuseViewInError, watchViewError } from './view-error.js';

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

function columnsOf(channel: ViewChannel): Field[] {
  return channel.info.columns.map((c) => ({ name: c.name, oid: typeOid(c.type) }));
}

export async function describeSubscription(
  context: SessionContext,
  statement: SubscribeStatement,
): Promise<Field[]> {
  const columns = statement.query
    ? await context.maintainer.describe(statement.query)
    : columnsOf(channelFor(context.hub, statement.view, statement.viewPosition));
  return subscribeShape(columns, statement.progress, statement.upsertKey ?? null).fields;
}

export interface OpenSubscription {
  fields: Field[];
  feed: Feed;
  encode(row: OutputRow): Encoded;
}

export async function openSubscription(
  context: SessionContext,
  statement: SubscribeStatement,
): Promise<OpenSubscription> {
  let channel: ViewChannel;
  let columns: Field[];
  let release = (): void => undefined;
  if (statement.query) {
    refuseViewInError(context.hub, statement.query.views);
    const maintained = await context.maintainer.acquire(statement.query);
    ({ channel, fields: columns, release } = maintained);
  } else {
    channel = channelFor(context.hub, statement.view, statement.viewPosition);
    columns = columnsOf(channel);
    refuseViewInError(context.hub, [channel.name]);
  }
  try {
    const resolve = (expression: TimestampExpression): number =>
      expression.kind === 'literal'
        ? Number(expression.value)
        : nowBase(context.hub, expression) + expression.offsetMs;
    let asOf = statement.asOf;
    if (statement.asOfExpression) asOf = BigInt(Math.max(0, resolve(statement.asOfExpression)));
    const horizon = channel.retained?.horizon;
    if (statement.asOfAtLeast && asOf !== null && horizon !== undefined && asOf < BigInt(horizon))
      asOf = BigInt(horizon);
    const upTo = statement.upTo ? resolve(statement.upTo) : null;
    const start = asOf === null ? (channel.timestamp ?? 0) : Number(asOf);
    if (upTo !== null && upTo < start) {
      throw new PgError(SQLSTATE.invalidParameterValue, `UP TO (${upTo}) is less than AS OF (${start})`, {
        hint: 'UP TO is an exclusive upper bound and must be at least the AS OF timestamp.',
      });
    }
    const shape = subscribeShape(columns, statement.progress, statement.upsertKey ?? null);
    const keys = statement.upsertKey
      ? keyOrder(columns, statement.upsertKey).slice(0, statement.upsertKey.length)
      : null;
    const inner = new SubscriptionFeed(channel, { ...statement, view: channel.name, progress: true, asOf });
    const feed = new ShapedFeed(inner, statement.progress, keys, upTo);
    if (upTo !== null && upTo <= start) feed.done = true;
    // A SUBSCRIBE over a view that goes into error ends with the error, as in Materialize; so does a
    // SUBSCRIBE of a query when a view it reads does.
    const watching = (statement.query ? statement.query.views : [channel.name]).map((view) =>
      watchViewError(context.hub, view, (e) => inner.fail(e)),
    );
    const unwatch = (): void => watching.forEach((stop) => stop());
    const close = feed.close.bind(feed);
    feed.close = () => {
      close();
      unwatch();
      release();
    };
    return { fields: shape.fields, feed, encode: shape.encode };
  } catch (error) {
    release();
    throw error;
  }
}

/** `mz_now()`: the hub's consistent timestamp; `now()`: the wall clock. */
function nowBase(hub: Hub, expression: TimestampExpression & { kind: 'now' }): number {
  return expression.clock === 'mz_now' ? (hub.timestamp ?? Date.now()) : Date.now();
}
