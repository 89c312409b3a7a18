"""Streams `SUBSCRIBE (<query>) WITH (PROGRESS)` with psycopg's cursor.stream() until the first
change at a timestamp after the snapshot's that follows at least three progress rows (right after
the snapshot a change may come before the third), or until progress passed 3 s after the snapshot, then
leaves it. Prints the rows it saw as JSON.
Usage: psycopg-subscribe-query.py <postgres url> <query>"""
import json
import sys

import psycopg

rows = []
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    first_ts = None
    progress_rows = 0
    for ts, progressed, diff, *columns in conn.cursor().stream(f"SUBSCRIBE ({sys.argv[2]}) WITH (PROGRESS)"):
        rows.append([str(ts), progressed, diff, *[None if c is None else str(c) for c in columns]])
        if first_ts is None:
            first_ts = ts
        if progressed:
            progress_rows += 1
        if ts > first_ts and ((not progressed and progress_rows >= 3) or ts > first_ts + 3000):
            break
print(json.dumps({"rows": rows}))
