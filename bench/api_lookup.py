"""Lookup latency over the HTTP API against the engine in process (plain script, not a test).

Publishes a preset into a temporary home (default `demo:almaty`; if that preset does not
ingest, a generated CSV dataset of 50 000 applications), starts `kezek serve` on a free
loopback port, and times `GET /api/v1/applications/{number}` for random known numbers,
one after another on one keep-alive connection (as a reverse proxy would hold it), then
`engine.lookup.lookup` on the same numbers in this process. Prints one JSON document.

Usage: python bench/api_lookup.py [--preset almaty] [--count 2000] [--seed 1]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
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


def generated_dataset(folder: Path, applications: int, seed: int) -> Path:
    """A plain dataset in the open-data format: one city, 6 birth years, 50 kindergartens."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)

    def write(name: str, rows: list[dict]) -> None:
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    write("kindergartens", [{"kindergarten_id": f"K{i:03d}", "name_kk": f"№{i} балабақша", "name_ru": f"Детский сад №{i}",
                             "region": "Астана", "ownership": "state", "languages": "kk|ru"} for i in range(1, 51)])
    write("vacancies", [{"bulletin_id": f"B{i:04d}", "kindergarten_id": f"K{rng.randint(1, 50):03d}",
                         "announced_at": "2018-04-10 09:00", "birth_year": rng.randint(2012, 2017),
                         "language": rng.choice(["kk", "ru"]), "seats": rng.randint(1, 20)} for i in range(1, 501)])
    start = dt.datetime(2013, 1, 1)
    rows = []
    for i in range(1, applications + 1):
        registered = start + dt.timedelta(seconds=rng.randint(0, 5 * 365 * 86400))
        born = dt.date(rng.randint(2012, 2017), rng.randint(1, 12), rng.randint(1, 28))
        privilege = rng.choices(["none", "first", "extraordinary"], [90, 8, 2])[0]
        status = rng.choices(["queued", "notified", "referred", "enrolled", "withdrawn"], [80, 2, 3, 10, 5])[0]
        rows.append({"application_number": f"УО.{registered.year}.{i:06d}.1", "region": "Астана",
                     "birth_date": born.isoformat(), "registered_at": registered.strftime("%Y-%m-%d %H:%M:%S"),
                     "privilege": privilege, "status": status})
    write("applications", rows)
    (folder / "dataset.json").write_text(json.dumps({"title": "bench", "exported_at": "2018-08-01T20:00"}),
                                         encoding="utf-8")
    return folder


def publish(home: Path, preset: str, applications: int, seed: int) -> str:
    from kezek.pipeline import update

    try:
        update([f"demo:{preset}"], home)
        return f"demo:{preset}"
    except Exception as exc:  # the preset does not ingest here: fall back to generated data
        print(f"demo:{preset} did not ingest ({type(exc).__name__}: {exc}); generating {applications} applications",
              file=sys.stderr)
        folder = generated_dataset(home.parent / "dataset", applications, seed)
        update([str(folder)], home)
        return f"generated:{applications}"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="almaty")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--applications", type=int, default=50_000, help="size of the fallback dataset")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import duckdb

    with tempfile.TemporaryDirectory(prefix="kezek-bench-") as tmp:
        home = Path(tmp) / "home"
        clock = time.perf_counter()
        source = publish(home, args.preset, args.applications, args.seed)
        publish_s = time.perf_counter() - clock

        from engine.store import current, open_snapshot

        con = open_snapshot(current(home).path)
        known = [r[0] for r in con.execute("SELECT application_number FROM applications ORDER BY application_number").fetchall()]
        numbered = con.execute("SELECT count(*) FROM queue").fetchone()[0]
        con.close()
        rng = random.Random(args.seed)
        numbers = rng.sample(known, min(args.count, len(known)))

        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
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
        in_process = bench_in_process(home, numbers)

    print(json.dumps({
        "what": "lookup latency: GET /api/v1/applications/{number} (sequential, one keep-alive connection) "
                "vs engine.lookup in process",
        "source": source, "publish_s": round(publish_s, 1), "applications": len(known), "numbered": numbered,
        "lookups": len(numbers),
        "http": http_figures, "in_process": in_process,
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "duckdb": duckdb.__version__},
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
