-- The Wikipedia recent-changes views of views/wikirecent.sql, for Materialize.
--
-- Events arrive through a webhook source: `viewcast forward --to <webhook url>` posts them in
-- batches as JSON arrays, and BODY FORMAT JSON ARRAY makes one row per event, in a jsonb column
-- named `body`. `recentchanges` gives them the columns of views/wikirecent.sql, so the views over
-- it are the same SQL, and a viewcast gateway (`viewcast serve --engine postgres://...`) serves
-- them to browsers exactly as the embedded engine does.
--
-- Run with: psql postgres://materialize@localhost:6875/materialize -f views/wikirecent.materialize.sql
-- The webhook URL is then http://localhost:6876/api/webhook/materialize/public/wikirecent_webhook
-- (see docs/SCALE-OUT.md).

CREATE SOURCE wikirecent_webhook FROM WEBHOOK BODY FORMAT JSON ARRAY;

-- To accept only requests that carry a secret, create the source with a CHECK instead, and give
-- the forwarder the header (viewcast forward --header 'x-api-key: <secret>'):
--
--   CREATE SECRET wikirecent_secret AS '<secret>';
--   CREATE SOURCE wikirecent_webhook FROM WEBHOOK BODY FORMAT JSON ARRAY
--     CHECK (WITH (HEADERS, SECRET wikirecent_secret AS secret)
--            constant_time_eq(headers->'x-api-key', secret));

-- One row per event, with the columns of the input table in views/wikirecent.sql. Canary events
-- are dropped here too, for posts that do not come from viewcast (its sources drop them already).
CREATE VIEW recentchanges AS
    SELECT
        (body->>'bot')::boolean AS bot,
        body->>'comment' AS comment,
        (body->>'id')::bigint AS id,
        (body->'length'->>'new')::bigint AS length_new,
        (body->'length'->>'old')::bigint AS length_old,
        body->'meta'->>'uri' AS meta_uri,
        body->'meta'->>'id' AS meta_id,
        (body->>'minor')::boolean AS minor,
        (body->>'namespace')::bigint AS namespace,
        body->>'parsedcomment' AS parsedcomment,
        (body->'revision'->>'new')::bigint AS revision_new,
        (body->'revision'->>'old')::bigint AS revision_old,
        body->>'server_name' AS server_name,
        body->>'server_script_path' AS server_script_path,
        body->>'server_url' AS server_url,
        (body->>'timestamp')::bigint AS r_ts,
        body->>'title' AS title,
        body->>'type' AS type,
        body->>'user' AS "user",
        body->>'wiki' AS wiki,
        body->>'$schema' AS r_schema
    FROM wikirecent_webhook
    WHERE body->'meta'->>'domain' IS DISTINCT FROM 'canary';

-- How many events have arrived.
CREATE MATERIALIZED VIEW counter AS
    SELECT count(*) AS count FROM recentchanges;

-- Events per user.
CREATE MATERIALIZED VIEW user_edits AS
    SELECT "user", count(*) AS count FROM recentchanges GROUP BY "user";

-- The ten most active users. Ties are broken by user name, as the embedded engine breaks them by
-- the remaining columns in ascending order, so both engines show the same ten.
CREATE MATERIALIZED VIEW top10 AS
    SELECT * FROM user_edits ORDER BY count DESC, "user" LIMIT 10;

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
