"""The light page `/n/{number}` under load, beside the API's lookup in the same run (plain
script, not a test).

Uses the preset published in bench/out/PRESET, starts `kezek serve`, draws `count` random
known numbers, and with bench/load.py at 32 connections times, one after another:
- the light page's first visits: every number of the pool asked for once, each page made
  from the lookups held in memory, its last changes and forecast asked for in the background;
- how many pages of the pool have them within two minutes, visited again in turn (a parent
  coming back), while the background makes them and gives way to those visits;
- the light page's repeat visits: answers spread over the same pool, each page made already
  (the page of a number is made once per snapshot, kept in memory);
- the API's lookup `/api/v1/applications/{number}` over the same pool;
- the dashboard's Lookup page for a number of the pool, rendered whole by Streamlit (bench/pages.py).
`make bench` calls `measure`; run alone it prints one JSON document.

Usage: python bench/light_page.py [--preset national] [--count 200] [--requests 30000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGE = "/n/{}?lang=ru"
API = "/api/v1/applications/{}"
CONNECTIONS = 32


# A pool of 2 000: enough first visits to measure their pace; the background makes the pool's
# histories and its segments' paths in a few minutes on two cores.
POOL = 2_000


def completed_after(port: int, pool: list[str], limit_s: float = 120) -> dict:
    """Seconds until every page of the pool has its last changes and forecast (its ETag no
    longer marked pending), asked for in turn, and how many had them then (all, unless
    `limit_s` passed first)."""
    import http.client
    import time
    import urllib.parse

    start, waiting = time.perf_counter(), list(pool)
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while waiting and time.perf_counter() - start < limit_s:
        still = []
        for number in waiting:
            con.request("GET", PAGE.format(urllib.parse.quote(number, safe="")))
            answer = con.getresponse()
            answer.read()
            if answer.getheader("ETag", "").endswith('.pending"'):
                still.append(number)
        waiting = still
        if waiting:
            time.sleep(0.5)
    return {"seconds": round(time.perf_counter() - start, 1), "complete": len(pool) - len(waiting)}


def measure(home: Path, count: int = POOL, requests: int = 30_000, seed: int = 3) -> dict:
    import load
    import pages
    from serving import serving
    from engine.store import current, open_snapshot

    con = open_snapshot(current(home).path)
    known = [r[0] for r in con.execute("SELECT application_number FROM applications ORDER BY application_number").fetchall()]
    con.close()
    pool = random.Random(seed).sample(known, min(count, len(known)))
    # The machine's load when the run began and ended (1-minute average): other work on the
    # same two cores moves every figure, and the API's beside them shows by how much.
    load_before = os.getloadavg()[0]
    with serving(home) as (port, _):
        # Every number once, none counted twice: no warm-up, which would make some pages first.
        first = load.run_load(port, pool, CONNECTIONS, len(pool), warmup=0, path=PAGE)
        print(f"light page, first visits: {first['requests_per_s']} pages/s, p99 {first['p99_ms']} ms", flush=True)
        complete_s = completed_after(port, pool)
        print(f"light page, last changes and forecasts made in the background: {complete_s['complete']} pages "
              f"complete after {complete_s['seconds']} s", flush=True)
        again = load.run_load(port, pool, CONNECTIONS, requests, path=PAGE)
        print(f"light page, repeat visits: {again['requests_per_s']} pages/s, p99 {again['p99_ms']} ms", flush=True)
        api = load.run_load(port, pool, CONNECTIONS, requests)
        print(f"API lookup: {api['requests_per_s']} answers/s, p99 {api['p99_ms']} ms", flush=True)
    streamlit = pages.render(home, "lookup", 3, {"app": pool[0]})
    print(f"Streamlit Lookup page, whole render: {streamlit['median_s']} s", flush=True)
    return {"applications": len(known), "pool": len(pool), "first": first, "again": again, "api": api,
            "completed": complete_s, "streamlit": streamlit,
            "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "ratio": round(again["requests_per_s"] / api["requests_per_s"], 2)}


def main() -> None:
    from pages import published_home

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--count", type=int, default=POOL)
    parser.add_argument("--requests", type=int, default=30_000)
    args = parser.parse_args()
    print(json.dumps(measure(published_home(args.preset), args.count, args.requests), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
