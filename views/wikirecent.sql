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
