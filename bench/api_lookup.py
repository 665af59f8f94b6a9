"""Lookup latency over the HTTP API against the engine in process (plain script, not a test).

Uses the preset published in bench/out/PRESET (publishing it first if needed), starts
`kezek serve` on a free loopback port, and times `GET /api/v1/applications/{number}` for
random known numbers, one after another on one keep-alive connection (as a reverse proxy
would hold it); then under load from bench/load.py (32 and 128 connections, each run
bounded); then `engine.lookup.lookup` on the same numbers in this process, through DuckDB
and from the lookups held in memory. `make bench` calls `measure`; run alone it prints one
JSON document.

Usage: python bench/api_lookup.py [--preset almaty] [--count 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOADS = ((32, 30_000), (128, 30_000))  # connections, requests: each run stops by itself


def summary(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 3), "p95_ms": round(cuts[94], 3),
            "p99_ms": round(cuts[98], 3), "mean_ms": round(statistics.fmean(ms), 3), "max_ms": round(ms[-1], 3)}


def bench_http(port: int, numbers: list[str], warmup: int = 50) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times, statuses = [], {}

    def get(number: str) -> float:
        path = "/api/v1/applications/" + urllib.parse.quote(number, safe="")
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status} {body[:200]!r}")
        return elapsed

    for number in numbers[:warmup]:
        get(number)
    statuses.clear()
    for number in numbers:
        times.append(get(number))
    conn.close()
    return {**summary(times), "statuses": statuses}


def bench_in_process(home: Path, numbers: list[str]) -> dict:
    """The engine's lookup with who stands ahead: through DuckDB (as `kezek lookup` reads
    it), and from the lookups a server holds in memory (engine/lookup_index.py)."""
    from engine.lookup import lookup
    from engine.store import current, describe, open_snapshot

    con = open_snapshot(current(home).path)
    start = time.perf_counter()
    held = describe(con, hold_lookups=True)
    load_s = time.perf_counter() - start
    figures = {"index_load_s": round(load_s, 2), "index_mb": round(held.lookups.nbytes / 2**20, 1)}
    for name, snapshot in (("duckdb", describe(con)), ("in_memory", held)):
        times = []
        for number in numbers:
            cur = con.cursor()
            start = time.perf_counter()
            lookup(cur, number, snapshot=snapshot, with_ahead=True)
            times.append(time.perf_counter() - start)
            cur.close()
        figures[name] = summary(times)
    con.close()
    return figures


def measure(home: Path, count: int = 2000, seed: int = 1, loads: tuple[tuple[int, int], ...] = LOADS) -> dict:
    """Lookup latency on the snapshot published in `home`: over HTTP one request at a time,
    under load (`loads`: connections and requests), then in process."""
    import duckdb

    import load
    from serving import serving
    from engine.store import current, open_snapshot

    con = open_snapshot(current(home).path)
    known = [r[0] for r in con.execute("SELECT application_number FROM applications ORDER BY application_number").fetchall()]
    numbered = con.execute("SELECT count(*) FROM queue").fetchone()[0]
    con.close()
    numbers = random.Random(seed).sample(known, min(count, len(known)))
    with serving(home) as (port, proc):
        http_figures = bench_http(port, numbers)
        under_load = []
        for connections, requests in loads:
            figures = load.run_load(port, known, connections, requests)
            under_load.append(figures)
            print(f"load {connections} connections: {figures['requests_per_s']} req/s, "
                  f"p99 {figures['p99_ms']} ms", flush=True)
    return {"applications": len(known), "numbered": numbered, "lookups": len(numbers),
            "http": http_figures, "load": under_load, "in_process": bench_in_process(home, numbers),
            "duckdb": duckdb.__version__}


def main() -> None:
    from pages import published_home

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="almaty")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(measure(published_home(args.preset), args.count, args.seed), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
