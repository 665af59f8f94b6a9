"""Several `kezek serve` processes behind nginx, under load (plain script, not a test).

For each number of processes, starts deploy/serve-many.sh on the preset published in
bench/out/PRESET (nginx from Debian in front, the API spread over the processes, each
dashboard visitor kept with one), checks that a dashboard session renders through the
proxy, then runs the load generator of bench/load.py through nginx at 32 and 128
connections, each run bounded. Needs nginx (`apt-get install nginx-light`).

Usage: python bench/scale_out.py [--preset national] [--processes 1,2,4]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRIPT = ROOT / "deploy" / "serve-many.sh"


def measure(home: Path, processes: tuple[int, ...] = (1, 2, 4), loads=((32, 30_000), (128, 30_000))) -> dict:
    import load
    import sessions
    from engine.store import current, open_snapshot
    from serving import free_ports, wait_until_up

    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        raise SystemExit("nginx is not installed (Debian: apt-get install nginx-light)")
    con = open_snapshot(current(home).path)
    known = [n for (n,) in con.execute("SELECT application_number FROM applications ORDER BY application_number").fetchall()]
    con.close()
    runs = []
    for count in processes:
        port = free_ports(count + 1)
        env = {**os.environ, "KEZEK": str(Path(sys.executable).with_name("kezek"))}
        proc = subprocess.Popen([str(SCRIPT), str(home.resolve()), str(count), str(port)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_up(port, proc, timeout=180)
            with contextlib.ExitStack() as held:
                page_s = sessions.open_session(held, port, "overview", "lang=ru")
            for connections, requests in loads:
                figures = load.run_load(port, known, connections, requests)
                runs.append({"processes": count, "page_through_proxy_s": round(page_s, 3), **figures})
                print(f"{count} processes, {connections} connections: {figures['requests_per_s']} req/s, "
                      f"p99 {figures['p99_ms']} ms", flush=True)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:  # the script has already stopped them all
                pass
            proc.wait(timeout=60)
    return {"runs": runs}


def main() -> None:
    from pages import published_home

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--processes", default="1,2,4")
    args = parser.parse_args()
    counts = tuple(int(n) for n in args.processes.split(","))
    print(json.dumps({"preset": args.preset, **measure(published_home(args.preset), counts)}, indent=2))


if __name__ == "__main__":
    main()
