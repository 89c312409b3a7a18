/**
 * Load generator for views/orders.sql: creates the shop's tables in a Postgres database (if missing)
 * and writes random shop transactions at a steady rate until stopped (or for --seconds).
 *
 *   npm run build && node dist/scripts/orders-load.js --url postgres://viewcast:secret@127.0.0.1:5432/shop \
 *     [--rate 5] [--seconds 0] [--seed 1]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import {
  ORDERS_SCHEMA,
  nextTransaction,
  seedCustomers,
  seededRandom,
  transactionSql,
} from './orders-workload.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env['DATABASE_URL'] ?? 'postgres://127.0.0.1:5432/postgres' },
      rate: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '0' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  if (!(rate > 0)) throw new Error('--rate must be a positive number of transactions per second');
  const random = seededRandom(Number(values.seed));
  const client = new pg.Client({ connectionString: values.url });
  await client.connect();
  await client.query(ORDERS_SCHEMA);
  await client.query(seedCustomers(random));
  console.log(
    `orders-load: writing ${rate} transactions/s to ${values.url.replace(/:[^:@/]*@/, '@')} (Ctrl-C stops)`,
  );
  let stopping = false;
  process.once('SIGINT', () => (stopping = true));
  process.once('SIGTERM', () => (stopping = true));
  const started = Date.now();
  let done = 0;
  while (!stopping && (seconds <= 0 || Date.now() - started < seconds * 1000)) {
    await client.query(transactionSql(nextTransaction(random)));
    done++;
    if (done % Math.max(1, Math.round(rate * 10)) === 0) console.log(`orders-load: ${done} transactions`);
    // Keep to the rate: the next transaction is due at done / rate seconds after the start.
    const wait = started + (done / rate) * 1000 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await client.end();
  console.log(`orders-load: ${done} transactions written`);
}

main().catch((error: unknown) => {
  console.error(`orders-load: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
