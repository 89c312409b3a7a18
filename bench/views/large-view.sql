-- The wikirecent views plus one large view for the time-to-state benchmark: `recent_rows` holds one
-- row per event, so after 100,000 events a new client must receive 100,000 rows.

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

-- One row per event: a view as large as the input.
CREATE MATERIALIZED VIEW recent_rows AS
    SELECT id, "user", wiki, type, title FROM recentchanges;
