-- The Wikipedia recent-changes views of Materialize's wikirecent demo, in Postgres SQL.
--
-- `recentchanges` is the input: one row per event of the Wikimedia recentchange stream. Its columns
-- are filled from the event's JSON by name: `length_new` from length.new, `meta_uri` from meta.uri,
-- `r_ts` from timestamp, `r_schema` from $schema, and so on (see docs/VIEWS.md).

CREATE TABLE recentchanges (
    bot boolean,
    comment text,
    id bigint,
    length_new bigint,
    length_old bigint,
    meta_uri text,
    meta_id text,
    minor boolean,
    namespace bigint,
    parsedcomment text,
    revision_new bigint,
    revision_old bigint,
    server_name text,
    server_script_path text,
    server_url text,
    r_ts bigint,
    title text,
    type text,
    "user" text,
    wiki text,
    r_schema text
);

-- How many events have arrived.
CREATE MATERIALIZED VIEW counter AS
    SELECT count(*) AS count FROM recentchanges;

-- Events per user.
CREATE MATERIALIZED VIEW user_edits AS
    SELECT "user", count(*) AS count FROM recentchanges GROUP BY "user";

-- The ten most active users. Ties are broken by the remaining columns in ascending order.
CREATE MATERIALIZED VIEW top10 AS
    SELECT * FROM user_edits ORDER BY count DESC LIMIT 10;

-- Sliding windows (temporal filters, as in Materialize): a row is in the view while mz_now(), the
-- engine's clock in milliseconds, is at most five (ten) minutes past the event's time; it is
-- retracted on the first tick after that. `r_ts` is the event time in seconds. Replays of old
-- recordings show nothing here unless started with --retime.

-- Edits per second over the last five minutes: one row per second that had edits.
CREATE MATERIALIZED VIEW edits_per_second AS
    SELECT r_ts AS second, count(*) AS edits
    FROM recentchanges
    WHERE mz_now() <= r_ts * 1000 + 300000
    GROUP BY r_ts;

-- Events per user over the last ten minutes, and the ten most active users of those minutes.
CREATE MATERIALIZED VIEW recent_user_edits AS
    SELECT "user", count(*) AS count
    FROM recentchanges
    WHERE mz_now() <= r_ts * 1000 + 600000
    GROUP BY "user";

CREATE MATERIALIZED VIEW top10_recent AS
    SELECT * FROM recent_user_edits ORDER BY count DESC LIMIT 10;
