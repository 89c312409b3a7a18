/** The shop tables the postgres source's tests replicate: schema upstream, declarations downstream. */
import type { ReplicatedTable } from '../../src/sources/postgres/interface.js';

export const SHOP_SCHEMA = `
  CREATE TABLE customers (id integer PRIMARY KEY, name text NOT NULL, region varchar(20));
  CREATE TABLE orders (
    id bigint PRIMARY KEY, customer_id integer, amount numeric(14,2), status text,
    created_at timestamptz DEFAULT now(), big int8, paid boolean, ratio double precision,
    details jsonb, note text, internal text);
  ALTER TABLE customers REPLICA IDENTITY FULL;
  ALTER TABLE orders REPLICA IDENTITY FULL;
  INSERT INTO customers VALUES (1, 'Ada', 'eu'), (2, 'Grace', 'us'), (3, 'Edsger', NULL);
  INSERT INTO orders (id, customer_id, amount, status, big, paid, ratio, details, note)
    SELECT i, 1 + i % 3, i * 1.25, 'open', i, i % 2 = 0, i / 7.0, jsonb_build_object('n', i), NULL
    FROM generate_series(1, 50) AS i;`;

/** As the views file declares them: `internal` is not declared (extra upstream columns are fine). */
export const SHOP_TABLES: ReplicatedTable[] = [
  {
    name: 'customers',
    columns: [
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'text' },
      { name: 'region', type: 'text' },
    ],
  },
  {
    name: 'orders',
    columns: [
      'id bigint',
      'customer_id int',
      'amount numeric',
      'status text',
      'created_at timestamptz',
      'big bigint',
      'paid boolean',
      'ratio float8',
      'details jsonb',
      'note text',
    ].map((c) => ({ name: c.split(' ')[0] as string, type: c.split(' ')[1] as string })),
  },
];
