"""Where a `kezek update` spends its time, statement by statement (plain script, not a test).

The update runs in this process on a source (a folder of files, or `demo:PRESET`); every
statement it sends to DuckDB through the update's connections is timed, with DuckDB's own
profile of each slow one (its costliest operators). Each statement is put in the stage that
ran it (ingest, recompute, audit, publish, open data), named by its first SQL comment or its
first words, and by the line of Kezek's code that sent it. A script of several statements
(derive.sql) is sent one statement at a time, so that each has its own figure.

The profiler's own cost: DuckDB writes a JSON profile after every statement (a few ms each).

Usage: python bench/profile.py SOURCE [--top 12] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import traceback
from collections import defaultdict
from pathlib import Path

import sys

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SLOW_S = 0.2  # a statement this slow has its operators listed


def _stage(stack: list[traceback.FrameSummary]) -> str:
    """The update's stage of a statement, from the functions that sent it (kezek/pipeline.py)."""
    called = {(Path(f.filename).relative_to(ROOT).as_posix(), f.name) for f in stack}
    if any(file == "kezek/export.py" for file, _ in called):  # its writers' threads too
        return "open data"
    if any(file.startswith("engine/audit/") for file, _ in called):
        return "audit"
    if called & {("ingest/archive.py", "write"), ("engine/publication.py", "publish")}:
        return "publish"
    if called & {("kezek/pipeline.py", "_ingest"), ("ingest/load.py", "finish")}:
        return "ingest"
    return "recompute"


def _label(sql: str) -> str:
    """A statement's name: its first comment line, else its first words."""
    for line in sql.strip().splitlines():
        line = line.strip()
        if line.startswith("--") and line.strip("- "):
            return line.lstrip("- ").strip()[:90]
        if line:
            return " ".join(sql.split())[:90]
    return ""


def _operators(profile: Path, top: int = 3) -> list[tuple[str, float]]:
    """The costliest operators of the last statement's DuckDB profile (JSON): their time
    summed over DuckDB's threads, so that it may exceed the statement's own."""
    try:
        doc = json.loads(profile.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    found: list[tuple[str, float]] = []

    def walk(node: dict) -> None:
        if node.get("type"):
            found.append((node["type"], float(node.get("timing") or 0)))
        for child in node.get("children", []):
            walk(child)

    for node in doc.get("operator", []) if isinstance(doc.get("operator"), list) else [doc]:
        walk(node)
    return [(name, round(t, 2)) for name, t in sorted(found, key=lambda x: -x[1])[:top] if t >= 0.05]


class Timed:
    """A DuckDB connection whose statements are timed and profiled."""

    def __init__(self, con, profile: Path, log: list[dict]):
        self._con, self._profile, self._log = con, profile, log
        con.execute("SET enable_progress_bar = false")
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"PRAGMA profiling_output = '{profile}'")

    def __getattr__(self, name):
        return getattr(self._con, name)

    def cursor(self):  # the open data's writers each have their own
        return Timed(self._con.cursor(), self._profile.with_name(f"{self._profile.stem}-{id(self)}-"
                                                                  f"{len(self._log)}.json"), self._log)

    def __enter__(self):
        self._con.__enter__()
        return self

    def __exit__(self, *exc):
        return self._con.__exit__(*exc)

    def _timed(self, method: str, sql, *args, **kwargs):
        if method == "execute" and isinstance(sql, str) and not args and not kwargs:
            statements = self._con.extract_statements(sql)
            if len(statements) > 1:  # one figure per statement of a script
                result = None
                for statement in statements:
                    result = self._timed(method, statement.query)
                return result
        stack = [f for f in traceback.extract_stack()[:-1] if str(ROOT) in f.filename and "/.venv/" not in f.filename
                 and not f.filename.endswith("bench/profile.py")]
        # A query's profile is written when its result is fetched: the previous statement's,
        # if it has none yet, is there now.
        if self._log and self._log[-1]["seconds"] >= SLOW_S and not self._log[-1]["operators"] \
                and self._log[-1].get("profile") == str(self._profile):
            self._log[-1]["operators"] = _operators(self._profile)
        self._profile.unlink(missing_ok=True)  # what is there after the statement is its own profile
        start = time.perf_counter()
        result = getattr(self._con, method)(sql, *args, **kwargs)
        seconds = time.perf_counter() - start
        text = sql if isinstance(sql, str) else ""
        where = stack[-1] if stack else None
        self._log.append({
            "stage": _stage(stack), "seconds": seconds, "statement": _label(text),
            "where": f"{Path(where.filename).relative_to(ROOT)}:{where.lineno} {where.name}" if where else "",
            "operators": _operators(self._profile) if seconds >= SLOW_S and method != "executemany" else [],
            "profile": str(self._profile),
        })
        return result

    def execute(self, sql, *args, **kwargs):
        return self._timed("execute", sql, *args, **kwargs)

    def sql(self, sql, *args, **kwargs):
        return self._timed("sql", sql, *args, **kwargs)

    def executemany(self, sql, *args, **kwargs):
        return self._timed("executemany", sql, *args, **kwargs)


def profile(source: str, top: int = 12) -> dict:
    """Run `kezek update --source SOURCE` in this process, each statement timed; per stage its
    time as the update reports it, the share the statements account for, and the slowest."""
    import duckdb

    import kezek.pipeline as pipeline
    from engine import store

    log: list[dict] = []
    connect = duckdb.connect
    with tempfile.TemporaryDirectory(prefix="kezek-profile-") as tmp:
        profiles = iter(Path(tmp) / f"profile-{i}.json" for i in range(10**6))

        def timed_connect(*args, **kwargs):
            return Timed(connect(*args, **kwargs), next(profiles), log)

        pipeline.duckdb.connect = store.duckdb.connect = timed_connect
        try:
            report = pipeline.update([source], Path(tmp) / "home")
        finally:
            pipeline.duckdb.connect = store.duckdb.connect = connect
    by_stage: dict[str, list[dict]] = defaultdict(list)
    for entry in log:
        by_stage[entry["stage"]].append(entry)
    stages = []
    for stage, seconds in report.timings.items():
        entries = by_stage.get(stage, [])
        merged: dict[tuple[str, str], dict] = {}
        for e in entries:  # the same statement sent again (a loop over horizons, tables): one line
            m = merged.setdefault((e["where"], e["statement"]),
                                  {k: v for k, v in e.items() if k != "profile"} | {"seconds": 0.0, "times": 0, "operators": []})
            m["seconds"] += e["seconds"]
            m["times"] += 1
            m["operators"] = m["operators"] or e["operators"]
        slowest = sorted(merged.values(), key=lambda e: (-e["seconds"], e["where"], e["statement"]))[:top]
        stages.append({"stage": stage, "seconds": round(seconds, 2),
                       "statements_s": round(sum(e["seconds"] for e in entries), 2), "statements": len(entries),
                       "slowest": [{**e, "seconds": round(e["seconds"], 2)} for e in slowest]})
    return {"source": source, "stages": stages}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("source")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--json")
    args = ap.parse_args()
    result = profile(args.source, args.top)
    for stage in result["stages"]:
        print(f"{stage['stage']}: {stage['seconds']} s ({stage['statements_s']} s in {stage['statements']} statements)")
        for e in stage["slowest"]:
            ops = ", ".join(f"{n} {t} s" for n, t in e["operators"])
            print(f"  {e['seconds']:6.2f} s ×{e['times']} {e['where']:32s} {e['statement']}" + (f"  [{ops}]" if ops else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
