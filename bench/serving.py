"""`kezek serve` on a free loopback port, for the benchmarks (plain script helpers)."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports (deploy/serve-many.sh's layout:
    nginx on the first, the processes on the next ones)."""
    for _ in range(200):
        first = free_port()
        sockets = []
        try:
            for port in range(first, first + count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise SystemExit(f"no {count} consecutive free ports on loopback")


def wait_until_up(port: int, proc: subprocess.Popen | None = None, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"kezek serve exited:\n{proc.stdout.read().decode(errors='replace')}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def serving(home: Path, port: int | None = None) -> Iterator[tuple[int, subprocess.Popen]]:
    """A `kezek serve` of `home` until the block ends: (port, process)."""
    port = port or free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory(prefix="kezek-bench-") as tmp:
        proc = subprocess.Popen([sys.executable, "-m", "kezek", "serve", "--home", str(home), "--port", str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp)
        try:
            wait_until_up(port, proc)
            yield port, proc
        finally:
            stop(proc)


def rss_mb(pid: int) -> float:
    """Resident memory of a process now (MB)."""
    with open(f"/proc/{pid}/status") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
    return round(kb / 1024, 1)
