"""A psycopg 3 client written for Materialize: it runs its set-up script (CREATE SOURCE IF NOT
EXISTS, CREATE MATERIALIZED VIEW IF NOT EXISTS for views that exist), then streams
`TAIL counter WITH (PROGRESS)` until the first progress row after the snapshot, then runs
`SELECT * FROM top10 LIMIT %s` with a Python int (a binary parameter) and a binary cursor.
Prints what it saw as JSON. Usage: psycopg-setup.py <postgres url>"""
import json
import sys

import psycopg

notices = []
out = {}
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.add_notice_handler(lambda d: notices.append([d.sqlstate, d.message_primary, d.message_hint]))
    conn.execute("CREATE SOURCE IF NOT EXISTS wikirecent FROM WEBHOOK BODY FORMAT JSON")
    conn.execute(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS counter AS SELECT count(*) FROM recentchanges"
    )
    conn.execute("CREATE TABLE IF NOT EXISTS recentchanges (id bigint)")
    try:
        conn.execute("CREATE MATERIALIZED VIEW IF NOT EXISTS mine AS SELECT 1")
    except psycopg.Error as e:
        out["refused"] = [e.sqlstate, e.diag.message_hint]
    rows = []
    for row in conn.cursor().stream("TAIL counter WITH (PROGRESS)"):
        rows.append([str(row[0]), row[1], row[2], row[3]])
        if row[1] and len(rows) > 1:
            break
    out["tail"] = rows
    cur = conn.cursor()
    cur.execute("SELECT * FROM top10 ORDER BY count DESC LIMIT %s", (3,))
    out["limit"] = [list(r) for r in cur.fetchall()]
    binary = conn.cursor(binary=True)
    binary.execute(
        "SELECT \"user\", count, count::numeric / 2 AS half, count > %s AS big, now()::date AS day,"
        " now() AS at, '{\"a\": 1}'::jsonb AS j, 1.5::float8 AS f FROM top10 ORDER BY count DESC LIMIT 1",
        (5,),
    )
    r = binary.fetchone()
    out["binary"] = [r[0], r[1], str(r[2]), r[3], str(r[4]), r[5].year, r[6], r[7]]
    out["binary_types"] = [type(v).__name__ for v in r]
out["notices"] = notices
print(json.dumps(out))
