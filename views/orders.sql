-- Live views over a shop's orders, replicated from a Postgres database (see docs/POSTGRES.md):
--
--   npx viewcast serve --views views/orders.sql --source postgres://viewcast:secret@127.0.0.1:5432/shop
--
-- The tables are the upstream tables, by name: viewcast reads them with logical replication, takes a
-- snapshot, then applies every upstream transaction (an update retracts the old row and inserts the
-- new one). Declare the columns the views need, with their upstream types; other upstream columns
-- are left out. scripts/orders-load.ts creates these tables and writes a steady stream of orders.

CREATE TABLE customers (
    id integer,
    name text,
    region text
);

CREATE TABLE orders (
    id bigint,
    customer_id integer,
    -- new -> paid -> shipped -> delivered, or cancelled at any point before shipping
    status text,
    amount numeric,
    created_at timestamp with time zone
);

-- Revenue and orders per minute of creation (cancelled orders do not count).
CREATE MATERIALIZED VIEW revenue_per_minute AS
    SELECT date_trunc('minute', created_at) AS minute, sum(amount) AS revenue, count(*) AS orders
    FROM orders
    WHERE status <> 'cancelled'
    GROUP BY date_trunc('minute', created_at);

-- Orders still in progress, per status: they move from row to row as their status changes.
CREATE MATERIALIZED VIEW open_orders AS
    SELECT status, count(*) AS orders, sum(amount) AS amount
    FROM orders
    WHERE status IN ('new', 'paid', 'shipped')
    GROUP BY status;

-- The ten customers with the most revenue, with their names: a join and a top-k.
CREATE MATERIALIZED VIEW top_customers AS
    SELECT c.id, c.name, sum(o.amount) AS revenue, count(*) AS orders
    FROM orders o JOIN customers c ON c.id = o.customer_id
    WHERE o.status <> 'cancelled'
    GROUP BY c.id, c.name
    ORDER BY revenue DESC, id
    LIMIT 10;

-- Revenue per region: when a customer moves, their whole revenue moves with them.
CREATE MATERIALIZED VIEW revenue_per_region AS
    SELECT c.region, sum(o.amount) AS revenue, count(*) AS orders
    FROM orders o JOIN customers c ON c.id = o.customer_id
    WHERE o.status <> 'cancelled'
    GROUP BY c.region;
