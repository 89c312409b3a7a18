"""Reads `TAIL top10 WITH (PROGRESS)` with psycopg's cursor.stream() until the first live change
after the snapshot, then leaves the stream (psycopg cancels the query) and reads once more on the
same connection. Prints what it saw as JSON. Usage: psycopg-tail.py <postgres url>"""
import json
import sys

import psycopg

rows = []
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    snapshot_ts = None
    for ts, progressed, diff, user, count in conn.cursor().stream("TAIL top10 WITH (PROGRESS)"):
        rows.append([str(ts), progressed, diff, user, count])
        if snapshot_ts is None:
            snapshot_ts = ts
        if not progressed and ts > snapshot_ts:
            break
    count_after = conn.execute("SELECT count(*) FROM top10").fetchone()[0]
print(json.dumps({"rows": rows, "count_after": count_after, "psycopg": psycopg.__version__}))
