"""`/healthz` while the API is under load: 60 clients asking for histories, forecasts and
lookups `as_of` a past day, as fast as they are answered, for SECONDS; meanwhile another
process asks for /healthz every 0.2 s, as a load balancer would. Prints the API's rate and
latency and the health check's median, p90 and maximum.

Usage: `python bench/health_under_load.py [--preset astana-2017] [--seconds 40] [--clients 60]`
(publishes the preset into a temporary home, serves it on a free loopback port).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import http.client, json, statistics, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
lat, end = [], time.monotonic() + seconds
while time.monotonic() < end:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    t = time.monotonic(); c.request("GET", "/healthz"); r = c.getresponse(); r.read()
    lat.append(time.monotonic() - t); c.close()
    assert r.status == 200, r.status
    time.sleep(0.2)
print(json.dumps(lat))
"""


async def clients(base: str, numbers: list[str], as_of: str, seconds: float, n: int) -> list[float]:
    import httpx

    rng, latencies = random.Random(7), []
    day = as_of[:8] + "01"

    async def client(c, deadline):
        while time.monotonic() < deadline:
            number = urllib.parse.quote(rng.choice(numbers), safe="")
            path = rng.choice([f"/api/v1/applications/{number}/history", f"/api/v1/applications/{number}/forecast",
                               f"/api/v1/applications/{number}?as_of={day}"])
            started = time.monotonic()
            await c.get(base + path)
            latencies.append(time.monotonic() - started)

    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10)
    async with httpx.AsyncClient(limits=limits, timeout=120) as c:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(client(c, deadline) for _ in range(n)))
    return latencies


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="astana-2017")
    ap.add_argument("--seconds", type=float, default=40)
    ap.add_argument("--clients", type=int, default=60)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    import duckdb
    from conftest import free_port

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        subprocess.run([sys.executable, "-m", "kezek", "update", "--source", f"demo:{args.preset}", "--home", str(home)],
                       check=True, capture_output=True, cwd=ROOT)
        with duckdb.connect(str(next((home / "snapshots").glob("*.duckdb"))), read_only=True) as con:
            numbers = [n for (n,) in con.execute(
                "SELECT application_number FROM queue ORDER BY application_number LIMIT 2000").fetchall()]
            (as_of,) = con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "kezek", "serve", "--home", str(home), "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.5)
            probe = subprocess.Popen([sys.executable, "-c", PROBE, str(port), str(args.seconds - 6)],
                                     stdout=subprocess.PIPE, text=True)
            latencies = asyncio.run(clients(f"http://127.0.0.1:{port}", numbers, as_of, args.seconds, args.clients))
            import json

            health = json.loads(probe.communicate(timeout=120)[0])
        finally:
            server.terminate()
            server.wait(timeout=30)
    q = lambda xs: statistics.quantiles(xs, n=10)[-1]  # noqa: E731 - p90
    print(f"API: {len(latencies) / args.seconds:.1f} answers/s from {args.clients} clients, "
          f"median {statistics.median(latencies) * 1000:.0f} ms, p90 {q(latencies) * 1000:.0f} ms")
    print(f"/healthz: {len(health)} checks, median {statistics.median(health) * 1000:.1f} ms, "
          f"p90 {q(health) * 1000:.1f} ms, max {max(health) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
