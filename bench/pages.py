"""Server-side render time of every dashboard page, per preset (a plain script, not a test).

Publishes each preset once into bench/out/PRESET (reused while it exists), then renders
every page with Streamlit's AppTest — the same script run a browser session triggers —
several times, and prints median and spread as JSON. `make bench` calls `measure`. Usage:
`python bench/pages.py [--presets almaty,national] [--runs 5]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
OUT = ROOT / "bench" / "out"


def published_home(preset: str, fresh: bool = False) -> Path:
    """bench/out/PRESET with the preset published; `fresh` publishes it anew."""
    home = OUT / preset
    if fresh or not (home / "published.json").exists():
        subprocess.run([sys.executable, "-m", "kezek", "update", "--source", f"demo:{preset}", "--home", str(home)],
                       check=True, stdout=subprocess.DEVNULL)
    return home


def pages() -> list[str]:
    return sorted(p.stem for p in (ROOT / "dashboard" / "views").glob("*.py") if not p.stem.startswith("_"))


def render(home: Path, page: str, runs: int, params: dict) -> dict:
    from streamlit.testing.v1 import AppTest

    os.environ["KEZEK_HOME"] = str(home)
    times = []
    for _ in range(runs + 1):  # the first run warms caches and connections; not counted
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.query_params.update({"lang": "ru", **params})
        at.run()
        start = time.perf_counter()
        try:
            at.switch_page(f"views/{page}.py")
        except ValueError:  # a module of the views that is not a page of its own
            return None
        at.run()
        times.append(time.perf_counter() - start)
        if at.exception:
            return {"page": page, "error": str(at.exception[0].value)[:200]}
    times = times[1:]
    return {"page": page, "runs": runs, "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3), "max_s": round(max(times), 3)}


def worst_number(home: Path) -> str:
    """The application deepest in the largest segment: the slowest lookup page to draw."""
    import duckdb

    from engine import store

    con = duckdb.connect(str(store.current(home).path), read_only=True)
    number = con.execute("SELECT application_number FROM queue "
                         "ORDER BY segment_size DESC, queue_number DESC, application_number LIMIT 1").fetchone()[0]
    con.close()
    return number


def measure(home: Path, runs: int = 5) -> list[dict]:
    number = worst_number(home)
    rendered = [render(home, page, runs, {"app": number} if page == "lookup" else {}) for page in pages()]
    return [r for r in rendered if r is not None]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--presets", default="almaty,national")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    for preset in args.presets.split(","):
        for r in measure(published_home(preset), args.runs):
            print(preset, json.dumps(r, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
