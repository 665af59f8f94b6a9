"""Feed answers per second (plain script, not a test): `GET /n/{number}/feed` of `kezek serve`.

A feed reader asks for the same feed again and again, so the figure that matters is the
answer of a feed already rendered for the snapshot: `count` known numbers (the feeds
subscribed to) are each asked once first — every answer rendered from the application's
history, the cold figures — then asked again in turn over keep-alive connections (bench/load.py)
until `requests` answers have arrived, as readers polling them would: the hot figures.
`make bench` calls `measure`; run alone it prints one JSON document.

Usage: python bench/feeds.py [--preset national] [--count 500] [--requests 20000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PATH = "/n/{}/feed?lang=ru"
CONNECTIONS = 32


def feed_kb(port: int, numbers: list[str]) -> float:
    """The median size of a feed as sent without compression (KB)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    sizes = []
    for number in numbers:
        conn.request("GET", PATH.format(urllib.parse.quote(number, safe="")))
        sizes.append(len(conn.getresponse().read()))
    conn.close()
    return round(statistics.median(sizes) / 1024, 1)


def measure(home: Path, count: int = 500, requests: int = 20_000, seed: int = 1) -> dict:
    import load
    from serving import serving
    from engine.store import current, open_snapshot

    con = open_snapshot(current(home).path)
    known = [r[0] for r in con.execute("SELECT application_number FROM applications ORDER BY application_number").fetchall()]
    con.close()
    numbers = random.Random(seed).sample(known, min(count, len(known)))
    with serving(home) as (port, proc):
        cold = load.run_load(port, numbers, CONNECTIONS, len(numbers), warmup=0, path=PATH)
        print(f"feeds, first answers: {cold['requests_per_s']} answers/s, p99 {cold['p99_ms']} ms", flush=True)
        hot = load.run_load(port, numbers, CONNECTIONS, requests, path=PATH)
        print(f"feeds, asked again: {hot['requests_per_s']} answers/s, p99 {hot['p99_ms']} ms", flush=True)
        size = feed_kb(port, numbers[:50])
    return {"applications": len(known), "feeds": len(numbers), "feed_kb_median": size, "cold": cold, "hot": hot}


def main() -> None:
    from pages import published_home

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(measure(published_home(args.preset), args.count, args.requests, args.seed),
                     ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
