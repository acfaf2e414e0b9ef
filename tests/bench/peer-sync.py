#!/usr/bin/python3
# peer-sync.py: the script a user would write instead of the app, as a yardstick for the sync
#
#   peer-sync.py --url URL --tenant ID --db FILE
#
# The API key comes from LUMA_API_KEY. Pages GET /subscription/consumption (docs/api.md 2.3)
# over one keep-alive connection, 1,000 records a page, and stores every record in SQLite: one
# plain table per license type, no index, no upsert, one transaction per 20,000 rows that also
# stores the cursor. Only Python's standard library, as a user's script would be. FILE is
# removed first. Prints one "name: value" line per measurement, like bench-sync:
#
#   peer_records      records stored
#   peer_sync_s       first request to the last commit
#   peer_cpu_s        CPU time of this process (user + system) over the same span
#   peer_requests     requests made
#   peer_peak_rss_mb  peak resident memory (ru_maxrss)
#
# SPDX-License-Identifier: GPL-3.0-or-later

import argparse
import http.client
import json
import os
import resource
import sqlite3
import sys
import time
import urllib.parse

BATCH_ROWS = 20000
PAGE_LIMIT = 1000


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="base URL of the server")
    parser.add_argument("--tenant", required=True, help="tenant external id")
    parser.add_argument("--db", required=True, help="SQLite file (removed first)")
    args = parser.parse_args()
    key = os.environ.get("LUMA_API_KEY")
    if key is None:
        sys.exit("peer-sync: LUMA_API_KEY is required")

    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.unlink(args.db + suffix)
        except FileNotFoundError:
            pass

    base = urllib.parse.urlsplit(args.url)
    headers = {
        "Luma-api-access-key": key,
        "Luma-tenant-externalId": args.tenant,
        "Accept": "application/json",
    }
    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("CREATE TABLE cursor (value TEXT)")
    db.execute("INSERT INTO cursor VALUES (NULL)")
    tables = {}  # license type -> (INSERT statement, columns)

    start = time.monotonic()
    cpu_start = cpu_seconds()
    connection = http.client.HTTPConnection(base.hostname, base.port)
    cursor = ""
    records = requests = pending = 0
    db.execute("BEGIN")
    while True:
        query = urllib.parse.urlencode({"limit": PAGE_LIMIT, "cursor": cursor})
        connection.request("GET", base.path + "/subscription/consumption?" + query,
                           headers=headers)
        response = connection.getresponse()
        body = response.read()
        requests += 1
        if response.status != 200:
            sys.exit("peer-sync: HTTP %d: %s" % (response.status, body[:200]))
        page = json.loads(body)["resultData"]
        items = page["items"]
        if items:
            kind = page["licenseType"]
            if kind not in tables:
                columns = list(items[0].keys())
                table = kind.lower()
                db.execute("CREATE TABLE %s (%s)" % (table, ", ".join(columns)))
                tables[kind] = ("INSERT INTO %s VALUES (%s)"
                                % (table, ", ".join("?" * len(columns))), columns)
            insert, columns = tables[kind]
            db.executemany(insert, [tuple(item.get(c) for c in columns) for item in items])
            records += len(items)
            pending += len(items)
        cursor = page["nextCursor"]
        if pending >= BATCH_ROWS or not page["hasMore"]:
            db.execute("UPDATE cursor SET value = ?", (cursor,))
            db.execute("COMMIT")
            pending = 0
            if not page["hasMore"]:
                break
            db.execute("BEGIN")
    elapsed = time.monotonic() - start
    cpu = cpu_seconds() - cpu_start
    connection.close()
    db.close()

    print("peer_records: %d" % records)
    print("peer_sync_s: %.2f" % elapsed)
    print("peer_cpu_s: %.2f" % cpu)
    print("peer_requests: %d" % requests)
    print("peer_peak_rss_mb: %.1f"
          % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))


if __name__ == "__main__":
    main()
