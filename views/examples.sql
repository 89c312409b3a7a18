-- More views over the same Wikipedia recent-changes input, to show what a views file can hold.
-- Run them with: npx viewcast serve --views views/examples.sql
--
-- The input table is the same as in wikirecent.sql; only the columns some view reads are filled
-- (here: wiki, bot, type, r_ts, "user"), the others stay NULL and cost nothing.

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

-- Events per wiki (enwiki, wikidatawiki, commonswiki, ...).
CREATE MATERIALIZED VIEW edits_per_wiki AS
    SELECT wiki, count(*) AS edits FROM recentchanges GROUP BY wiki;

-- The five busiest wikis, read through an index on edits_per_wiki. Ties: by wiki name.
CREATE MATERIALIZED VIEW top_wikis AS
    SELECT * FROM edits_per_wiki ORDER BY edits DESC LIMIT 5;

-- Page edits per minute, bots and humans apart. `minute` is the start of the minute in seconds
-- since the epoch (the event's `timestamp` field, rounded down).
CREATE MATERIALIZED VIEW bot_edits_per_minute AS
    SELECT r_ts / 60 * 60 AS minute, bot, count(*) AS edits
    FROM recentchanges
    WHERE type = 'edit'
    GROUP BY r_ts / 60 * 60, bot;

-- The five users with the most page creations (`type = 'new'`), straight from a GROUP BY: the
-- engine keeps the grouped body incrementally and reads its top five through an index.
CREATE MATERIALIZED VIEW top_creators AS
    SELECT "user", count(*) AS created FROM recentchanges WHERE type = 'new' GROUP BY "user"
    ORDER BY created DESC LIMIT 5;
