"""Lookup latency over the HTTP API against the engine in process (plain script, not a test).

Uses the preset published in bench/out/PRESET (publishing it first if needed), starts
`kezek serve` on a free loopback port, and times `GET /api/v1/applications/{number}` for
random known numbers, one after another on one keep-alive connection (as a reverse proxy
would hold it), then `engine.lookup.lookup` on the same numbers in this process. `make
bench` calls `measure`; run alone it prints one JSON document.

Usage: python bench/api_lookup.py [--preset almaty] [--count 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def summary(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 3), "p95_ms": round(cuts[94], 3),
            "p99_ms": round(cuts[98], 3), "mean_ms": round(statistics.fmean(ms), 3), "max_ms": round(ms[-1], 3)}


def wait_until_up(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"kezek serve exited:\n{proc.stdout.read().decode(errors='replace')}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("kezek serve did not start")


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
    from dashboard.api import queries
    from engine.lookup import lookup, snapshot_as_of
    from engine.store import Reader

    reader = Reader(home)
    plain, with_ahead = [], []
    for number in numbers:
        cur = reader.cursor()
        start = time.perf_counter()
        doc = lookup(cur, number)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        queries.ahead(cur, doc, snapshot_as_of(cur))
        with_ahead.append(plain[-1] + time.perf_counter() - start)
        cur.close()
    return {"engine_lookup": summary(plain), "engine_lookup_plus_ahead": summary(with_ahead)}


def measure(home: Path, count: int = 2000, seed: int = 1) -> dict:
    """Lookup latency on the snapshot published in `home`: over HTTP, then in process."""
    import duckdb

    from engine.store import current, open_snapshot

    con = open_snapshot(current(home).path)
    known = [r[0] for r in con.execute("SELECT application_number FROM applications ORDER BY application_number").fetchall()]
    numbered = con.execute("SELECT count(*) FROM queue").fetchone()[0]
    con.close()
    numbers = random.Random(seed).sample(known, min(count, len(known)))

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory(prefix="kezek-bench-") as tmp:
        proc = subprocess.Popen([sys.executable, "-m", "kezek", "serve", "--home", str(home), "--port", str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp)
        try:
            wait_until_up(port, proc)
            http_figures = bench_http(port, numbers)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return {"applications": len(known), "numbered": numbered, "lookups": len(numbers),
            "http": http_figures, **bench_in_process(home, numbers), "duckdb": duckdb.__version__}


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
