/**
 * The shop that views/orders.sql watches: the upstream schema, and random transactions as a shop
 * makes them (new orders, orders moving through their statuses, cancellations, customers moving
 * region, old orders archived). Pure: a seeded random source in, SQL text out, so tests replay it.
 */

export const ORDERS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS customers (
    id integer PRIMARY KEY, name text NOT NULL, region text NOT NULL);
  CREATE TABLE IF NOT EXISTS orders (
    id bigserial PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers,
    status text NOT NULL DEFAULT 'new', amount numeric(10,2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
  -- viewcast retracts the old row of an update or delete: Postgres must send all of it.
  ALTER TABLE customers REPLICA IDENTITY FULL;
  ALTER TABLE orders REPLICA IDENTITY FULL;`;

const REGIONS = ['north', 'south', 'east', 'west'];
const NAMES = [
  'Ada',
  'Grace',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Niklaus',
  'Margaret',
  'Alan',
  'Radia',
];
export const CUSTOMERS = 40;

/** A small deterministic generator (mulberry32): the same seed gives the same shop. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function customerName(id: number): string {
  return `${NAMES[id % NAMES.length]} ${String.fromCharCode(65 + (id % 26))}.`;
}

/** The customers, inserted once (idempotent). */
export function seedCustomers(random: () => number): string {
  const rows = Array.from(
    { length: CUSTOMERS },
    (_, i) => `(${i + 1}, '${customerName(i + 1)}', '${pick(REGIONS, random)}')`,
  );
  return `INSERT INTO customers VALUES ${rows.join(', ')} ON CONFLICT (id) DO NOTHING`;
}

function newOrders(random: () => number): string {
  const count = 1 + Math.floor(random() * 3);
  const rows = Array.from({ length: count }, () => {
    const customer = 1 + Math.floor(random() ** 2 * CUSTOMERS); // a few customers buy much more
    const amount = (5 + random() * 495).toFixed(2);
    return `(${customer}, ${amount})`;
  });
  return `INSERT INTO orders (customer_id, amount) VALUES ${rows.join(', ')}`;
}

const ADVANCE = `UPDATE orders SET status = CASE status WHEN 'new' THEN 'paid' WHEN 'paid' THEN 'shipped'
  ELSE 'delivered' END WHERE id IN (SELECT id FROM orders WHERE status IN ('new', 'paid', 'shipped')
  ORDER BY id LIMIT %)`;

/** One transaction: the statements between BEGIN and COMMIT. */
export function nextTransaction(random: () => number): string[] {
  const roll = random();
  if (roll < 0.45) return [newOrders(random)];
  if (roll < 0.7) return [ADVANCE.replace('%', String(1 + Math.floor(random() * 4)))];
  if (roll < 0.8) {
    // New orders and the cancellation of the newest unpaid one: two statements, one transaction.
    return [
      newOrders(random),
      `UPDATE orders SET status = 'cancelled' WHERE id = (SELECT max(id) FROM orders WHERE status = 'new')`,
    ];
  }
  if (roll < 0.9)
    return [
      `UPDATE customers SET region = '${pick(REGIONS, random)}' WHERE id = ${1 + Math.floor(random() * CUSTOMERS)}`,
    ];
  if (roll < 0.95)
    return [`UPDATE customers SET name = name || '*' WHERE id = ${1 + Math.floor(random() * CUSTOMERS)}`];
  return [
    `DELETE FROM orders WHERE id IN (SELECT id FROM orders WHERE status IN ('delivered', 'cancelled') ORDER BY id LIMIT 5)`,
  ];
}

/** A transaction as one simple-protocol query text. */
export function transactionSql(statements: string[]): string {
  return `BEGIN; ${statements.join('; ')}; COMMIT`;
}
