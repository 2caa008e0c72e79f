#!/usr/bin/env python3
"""Baseline for bench/run.sh: fetch every page of a Pipedrive v2 listing
with one keep-alive HTTP connection and decode each page's JSON, as a
hand-written client would.  Prints rows and seconds.

Usage: baseline_fetch.py URL ENTITY PAGE_SIZE   (token in CRM_BENCH_TOKEN)
"""
import http.client
import json
import os
import sys
import time
import urllib.parse


def main():
    url, entity, page_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    headers = {"x-api-token": os.environ["CRM_BENCH_TOKEN"],
               "Accept": "application/json"}
    rows = 0
    cursor = None
    start = time.perf_counter()
    while True:
        path = "/api/v2/%s?limit=%d" % (entity, page_size)
        if cursor:
            path += "&cursor=" + urllib.parse.quote(cursor)
        conn.request("GET", path, headers=headers)
        answer = json.loads(conn.getresponse().read())
        rows += len(answer["data"])
        cursor = (answer.get("additional_data") or {}).get("next_cursor")
        if not cursor:
            break
    print(rows, "%.6f" % (time.perf_counter() - start))


if __name__ == "__main__":
    main()
