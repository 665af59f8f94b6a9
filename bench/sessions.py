"""Memory of the server process with many open dashboard sessions (plain script, not a test).

Starts `kezek serve` on the preset published in bench/out/PRESET, then opens `sessions`
dashboard sessions one after another the way a browser does: a WebSocket to
`/_stcore/stream` speaking Streamlit's protocol (a `rerun_script` BackMsg naming the page
and its query string), waiting for the page's script to finish. The pages go round the
dashboard, in Russian, the lookup page with a known number. Every session stays open
until the end. The server's resident memory is read from /proc before the first session,
after each tenth, and at the end; the time from connecting to the page's end is the
render time a visitor's browser waits for (on top of the network).

Usage: python bench/sessions.py [--preset national] [--sessions 100]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ("overview", "lookup", "queue", "movement", "kindergartens", "vacancies", "audit", "open-data", "about")


def open_session(stack: contextlib.ExitStack, port: int, page: str, query: str, timeout: float = 120) -> float:
    """A dashboard session showing `page`, held open by `stack`; returns the seconds from
    connecting to the page's end. A page that shows an error is a failure."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    start = time.perf_counter()
    ws = stack.enter_context(connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                     origin=f"http://127.0.0.1:{port}", max_size=2**27, open_timeout=timeout))
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page
    ws.send(msg.SerializeToString())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        forward = ForwardMsg()
        forward.ParseFromString(ws.recv(timeout=timeout))
        kind = forward.WhichOneof("type")
        if kind == "delta" and forward.delta.new_element.WhichOneof("type") == "exception":
            raise SystemExit(f"page {page} shows an error: {forward.delta.new_element.exception.message}")
        if kind == "script_finished":
            return time.perf_counter() - start
    raise SystemExit(f"page {page} did not finish within {timeout} s")


def measure(home: Path, sessions: int = 100) -> dict:
    from engine.store import current, open_snapshot
    from serving import rss_mb, serving

    con = open_snapshot(current(home).path)
    number = con.execute("SELECT application_number FROM queue ORDER BY segment_size DESC, queue_number DESC, "
                         "application_number LIMIT 1").fetchone()[0]
    con.close()
    with serving(home) as (port, proc):
        idle = rss_mb(proc.pid)
        renders, memory = [], []
        with contextlib.ExitStack() as held:
            for i in range(sessions):
                page = PAGES[i % len(PAGES)]
                query = "lang=ru" + (f"&app={number}" if page == "lookup" else "")
                renders.append(open_session(held, port, page, query))
                if (i + 1) % 10 == 0:
                    memory.append({"sessions": i + 1, "rss_mb": rss_mb(proc.pid)})
                    print(f"{i + 1} sessions: {memory[-1]['rss_mb']} MB", flush=True)
            time.sleep(2)
            settled = rss_mb(proc.pid)
    peak = max([settled, *(m["rss_mb"] for m in memory)])
    return {"sessions": sessions, "rss_idle_mb": idle, "rss_after_mb": settled, "rss_peak_mb": peak,
            # an upper bound: the cache the pages warm is counted as if the sessions held it
            "rss_per_session_mb": round((peak - idle) / sessions, 2),
            "memory": memory, "render_s_median": round(statistics.median(renders), 3),
            "render_s_max": round(max(renders), 3)}


def main() -> None:
    from pages import published_home

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--sessions", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps({"preset": args.preset, **measure(published_home(args.preset), args.sessions)}, indent=2))


if __name__ == "__main__":
    main()
