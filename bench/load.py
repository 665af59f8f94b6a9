"""A load generator for the HTTP API (plain script, not a test).

Opens `connections` keep-alive HTTP/1.1 connections to a server on loopback and sends
`GET /api/v1/applications/{number}` for random known numbers, each connection one request
after another, until `requests` answers have arrived in all; then it stops by itself. It
reports throughput (answers per second of wall time), latency per request (median, p95,
p99, max) and the status codes. Written on asyncio's streams, with no HTTP library in the
way, so that one Python process can drive a few thousand requests a second and the server
gets the rest of the machine.

`make bench` calls `run_load`; run alone: `python bench/load.py --port 8501 --numbers
FILE [--connections 32] [--requests 20000]`, FILE holding one application number a line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import urllib.parse
from pathlib import Path

PATH = "/api/v1/applications/{}"


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next((int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:")), None)
    if length is None:
        raise RuntimeError(f"{path}: an answer without Content-Length")
    await reader.readexactly(length)
    return status


async def _load(host: str, port: int, paths: list[str], connections: int, requests: int) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    issued = 0

    async def worker() -> None:
        nonlocal issued
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while issued < requests:
                path = paths[issued % len(paths)]
                issued += 1
                start = time.perf_counter()
                try:
                    status = await _get(reader, writer, f"{host}:{port}", path)
                except (OSError, asyncio.IncompleteReadError, RuntimeError) as exc:
                    errors.append(f"{path}: {exc!r}")
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                    continue
                latencies.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    wall = time.perf_counter() - start
    ms = sorted(t * 1000 for t in latencies)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {"connections": connections, "requests": len(ms), "wall_s": round(wall, 2),
            "requests_per_s": round(len(ms) / wall, 1), "median_ms": round(statistics.median(ms), 2),
            "p95_ms": round(cuts[94], 2), "p99_ms": round(cuts[98], 2), "max_ms": round(ms[-1], 2),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}, "errors": len(errors),
            "first_errors": errors[:3]}


def run_load(port: int, numbers: list[str], connections: int, requests: int, host: str = "127.0.0.1",
             warmup: int = 200, seed: int = 2, path: str = PATH) -> dict:
    """One bounded load run: `requests` answers over `connections` connections, after a
    warm-up of `warmup` requests that is not counted; `path` is the address asked for, with
    `{}` for the number (default: the API's lookup)."""
    chosen = list(numbers)
    random.Random(seed).shuffle(chosen)
    paths = [path.format(urllib.parse.quote(n, safe="")) for n in chosen]
    if warmup:
        asyncio.run(_load(host, port, paths[-warmup:], min(connections, 8), warmup))
    return asyncio.run(_load(host, port, paths, connections, requests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--numbers", type=Path, required=True, help="a file of application numbers, one a line")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    numbers = [l.strip() for l in args.numbers.read_text(encoding="utf-8").splitlines() if l.strip()]
    print(json.dumps(run_load(args.port, numbers, args.connections, args.requests, args.host), indent=2))


if __name__ == "__main__":
    main()
