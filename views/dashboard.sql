-- A realistic dashboard over the Wikipedia recent-changes input: twelve views of counts, group-bys,
-- sums of expressions, time buckets, filtered group-bys and several top-k's. Every view runs on the
-- delta path (see docs/VIEWS.md). Run it with: npx viewcast serve --views views/dashboard.sql
--
-- The input table is the same as in wikirecent.sql; only the columns some view reads are filled.

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
CREATE MATERIALIZED VIEW events AS
    SELECT count(*) AS events FROM recentchanges;

-- Events per type: edit, new, log, categorize.
CREATE MATERIALIZED VIEW events_per_type AS
    SELECT type, count(*) AS events FROM recentchanges GROUP BY type;

-- Bots against humans: events and distinct accounts.
CREATE MATERIALIZED VIEW bots_and_humans AS
    SELECT bot, count(*) AS events, count(DISTINCT "user") AS accounts FROM recentchanges GROUP BY bot;

-- Events per minute of the event's own time.
CREATE MATERIALIZED VIEW events_per_minute AS
    SELECT date_trunc('minute', to_timestamp(r_ts)) AS minute, count(*) AS events
    FROM recentchanges
    GROUP BY date_trunc('minute', to_timestamp(r_ts));

-- Page edits per wiki and the bytes they added (negative: removed).
CREATE MATERIALIZED VIEW bytes_per_wiki AS
    SELECT wiki, count(*) AS edits, sum(length_new - length_old) AS bytes_added
    FROM recentchanges
    WHERE type = 'edit'
    GROUP BY wiki;

-- The ten wikis with the most page edits. Ties: by the remaining columns, ascending.
CREATE MATERIALIZED VIEW top_wikis AS
    SELECT wiki, edits FROM bytes_per_wiki ORDER BY edits DESC LIMIT 10;

-- Page edits per human account.
CREATE MATERIALIZED VIEW human_edits AS
    SELECT "user", count(*) AS edits FROM recentchanges WHERE NOT bot AND type = 'edit' GROUP BY "user";

-- The ten most active human editors.
CREATE MATERIALIZED VIEW top_humans AS
    SELECT * FROM human_edits ORDER BY edits DESC LIMIT 10;

-- The ten most active bots, straight from a GROUP BY.
CREATE MATERIALIZED VIEW top_bots AS
    SELECT "user", count(*) AS events FROM recentchanges WHERE bot GROUP BY "user"
    ORDER BY events DESC LIMIT 10;

-- Size of page edits per namespace: how many, and the average, smallest and largest change in bytes.
CREATE MATERIALIZED VIEW edit_sizes AS
    SELECT namespace, count(*) AS edits, avg(length_new - length_old) AS avg_change,
           min(length_new - length_old) AS min_change, max(length_new - length_old) AS max_change
    FROM recentchanges
    WHERE type = 'edit'
    GROUP BY namespace;

-- Page creations per five minutes (seconds since the epoch), and how many of them by bots.
CREATE MATERIALIZED VIEW creations_per_5_minutes AS
    SELECT r_ts / 300 * 300 AS bucket, count(*) AS created, count(*) FILTER (WHERE bot) AS by_bots
    FROM recentchanges
    WHERE type = 'new'
    GROUP BY r_ts / 300 * 300;

-- The five most edited pages.
CREATE MATERIALIZED VIEW top_pages AS
    SELECT wiki, title, count(*) AS edits FROM recentchanges WHERE type = 'edit' GROUP BY wiki, title
    ORDER BY edits DESC LIMIT 5;
