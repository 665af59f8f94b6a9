"""`make bench`: measured figures, written to bench/results.json and docs/benchmarks.md.

Plain timing (not timed tests): each measurement runs several times and reports the median
and the spread.
- `kezek update --source demo:PRESET`: wall time and peak memory of the whole process, and
  the median time of each stage the update reports (ingest, recompute, audit, publish);
  and the same from the preset written as Parquet files (`--files`), and that folder updated
  again unchanged, which publishes nothing (`--unchanged`);
- server-side render time of every dashboard page (bench/pages.py), per preset;
- lookup latency through the HTTP API and in process (bench/api_lookup.py), per preset;
- Atom feed answers per second, first rendered and asked again (bench/feeds.py);
- the light page `/n/{number}` under load, first and repeat visits, beside the API's lookup in
  the same run (bench/light_page.py);
- one application's two-year history (engine/history.py), in process, per preset;
- one application's forecast (engine/forecast.py), in process, and the publication's backtest;
- queue numbering alone against a bare `row_number()` over the same rows (bench/numbering.py);
- `kezek export`: wall time, peak memory and the size of the files;
- the server's memory with 100 open dashboard sessions (bench/sessions.py);
- several `kezek serve` processes behind nginx, under the same load (bench/scale_out.py);
- a series published from scratch and appended to by one day: Vilnius's 30 real days and a
  synthetic national series of 90 days (bench/series.py).

Usage: `python bench/run.py [--presets astana-2017,almaty,national] [--runs 3] [--files national] [--unchanged almaty,national]
[--pages almaty,national] [--lookups almaty,national] [--histories almaty,national]
[--forecasts almaty,national] [--light-pages national] [--numbering national] [--exports almaty,national]
[--sessions national] [--scale-out national] [--series vilnius,national] [--series-runs 3]
[--feeds national]`.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
TABLE = ROOT / "docs" / "benchmarks.md"
STAGES = ("ingest", "recompute", "audit", "publish", "open data")


def machine() -> dict:
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "")
    import duckdb
    return {"cpus": os.cpu_count(), "cpu": model, "memory_gb": round(mem_kb / 2**20, 1),
            "python": platform.python_version(), "duckdb": duckdb.__version__, "system": platform.platform()}


def timed_process(cmd: list[str]) -> tuple[float, float, str]:
    """Wall time (s), peak resident memory (MB) and standard output of a whole child process."""
    wrapper = ["/usr/bin/env", sys.executable, "-c",
               "import resource,subprocess,sys,json;"
               "r=subprocess.run(sys.argv[1:],stdout=sys.stdout);"
               "print(json.dumps({'rc':r.returncode,'maxrss':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}),file=sys.stderr)",
               *cmd]
    start = time.perf_counter()
    done = subprocess.run(wrapper, capture_output=True, text=True)
    wall = time.perf_counter() - start
    info = json.loads(done.stderr.strip().splitlines()[-1])
    if info["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return wall, info["maxrss"] / 1024, done.stdout


def stages(report: str) -> dict[str, float]:
    """The stage times of an update report's line `time: ingest 33.9s, recompute 5.0s, …`."""
    line = next((l.strip() for l in report.splitlines() if l.strip().startswith("time:")), "time:")
    return {name: float(value.rstrip("s")) for name, value in
            (part.strip().rsplit(" ", 1) for part in line.removeprefix("time:").split(",") if part.strip())}


def bench_update(preset: str, runs: int, source: str | None = None, what: str | None = None) -> dict:
    """`kezek update` of the preset: generated in the process (`demo:PRESET`), or read from
    `source`, a folder the preset was written to."""
    source = source or f"demo:{preset}"
    what = what or f"kezek update --source {source}"
    walls, peaks, timings = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            wall, peak, out = timed_process([sys.executable, "-m", "kezek", "update", "--source", source, "--home", home])
        walls.append(wall)
        peaks.append(peak)
        timings.append(stages(out))
        print(f"update {source}: {wall:.1f} s, peak {peak:.0f} MB, {timings[-1]}", flush=True)
    return {"what": what, "preset": preset, "runs": runs,
            "wall_s_median": round(statistics.median(walls), 2), "wall_s_min": round(min(walls), 2),
            "wall_s_max": round(max(walls), 2), "peak_mb_median": round(statistics.median(peaks)),
            "peak_mb_max": round(max(peaks)),
            "stages_s_median": {k: round(statistics.median(t[k] for t in timings), 1) for k in timings[0]}}


_FOLDERS: dict[str, Path] = {}


def files_folder(preset: str) -> Path:
    """The preset written once as a folder of Parquet files, as an akimat's export arrives;
    kept for the whole run (the file updates and the profile read the same files)."""
    if preset not in _FOLDERS:
        from demo import generate

        tmp = Path(tempfile.mkdtemp(prefix="kezek-files-"))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        _FOLDERS[preset] = generate(preset).write(tmp / preset, "parquet")
    return _FOLDERS[preset]


# The floor an update from files is compared with: the same files copied into a DuckDB
# database file as they are (one `CREATE TABLE … AS SELECT * FROM read_parquet(…)` each),
# nothing validated, numbered or written out.
BARE_COPY = """
import duckdb, sys
from pathlib import Path
con = duckdb.connect(sys.argv[2])
for f in sorted(Path(sys.argv[1]).glob("*.parquet")):
    con.execute(f"CREATE TABLE {f.stem} AS SELECT * FROM read_parquet('{f}')")
con.close()
"""


def bench_update_from_files(preset: str, runs: int) -> dict:
    """The update an akimat runs: the preset read from a folder of Parquet files, each run
    beside a bare copy of the same files into DuckDB (alternately, in the same run)."""
    folder = files_folder(preset)
    walls, peaks, timings, bare = [], [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            wall, peak, out = timed_process([sys.executable, "-m", "kezek", "update", "--source", str(folder),
                                             "--home", home])
            walls.append(wall)
            peaks.append(peak)
            timings.append(stages(out))
            bare.append(timed_process([sys.executable, "-c", BARE_COPY, str(folder), f"{home}/bare.duckdb"])[0])
        print(f"update {folder}: {wall:.1f} s, peak {peak:.0f} MB, {timings[-1]}; bare copy {bare[-1]:.1f} s",
              flush=True)
    return {"what": f"kezek update --source FOLDER (demo:{preset} as Parquet files)", "preset": preset,
            "runs": runs, "wall_s_median": round(statistics.median(walls), 2), "wall_s_min": round(min(walls), 2),
            "wall_s_max": round(max(walls), 2), "peak_mb_median": round(statistics.median(peaks)),
            "peak_mb_max": round(max(peaks)),
            "stages_s_median": {k: round(statistics.median(t[k] for t in timings), 1) for k in timings[0]},
            "bare_copy_s_median": round(statistics.median(bare), 2),
            "bare_copy_ratio": round(statistics.median(walls) / statistics.median(bare), 1)}


def bench_profile(preset: str) -> dict:
    """Each stage of the update from the preset's Parquet files, statement by statement
    (bench/profile.py, in its own process)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(ROOT / "bench" / "profile.py"), str(files_folder(preset)),
                        "--json", f"{tmp}/profile.json"], check=True, stdout=subprocess.DEVNULL)
        return {"preset": preset, **json.loads(Path(f"{tmp}/profile.json").read_text(encoding="utf-8"))}


def bench_unchanged(preset: str, runs: int) -> dict:
    """The nightly run over a folder nobody touched: the preset written as Parquet files and
    published once, then updated again `runs` times into the same home; each finds the same
    fingerprint (ingest/fingerprint.py) and publishes nothing."""
    with tempfile.TemporaryDirectory(prefix="kezek-home-") as tmp:
        folder, home = files_folder(preset), Path(tmp) / "home"
        subprocess.run([sys.executable, "-m", "kezek", "update", "--source", str(folder), "--home", str(home)],
                       check=True, capture_output=True)
        walls, peaks = [], []
        for _ in range(runs):
            wall, peak, out = timed_process([sys.executable, "-m", "kezek", "update", "--source", str(folder),
                                             "--home", str(home)])
            assert "not published" in out, out
            walls.append(wall)
            peaks.append(peak)
            print(f"unchanged update {preset}: {wall:.1f} s, peak {peak:.0f} MB", flush=True)
    return {"what": f"kezek update --source FOLDER again, unchanged (demo:{preset} as Parquet files)",
            "preset": preset, "runs": runs,
            "wall_s_median": round(statistics.median(walls), 2), "wall_s_min": round(min(walls), 2),
            "wall_s_max": round(max(walls), 2), "peak_mb_median": round(statistics.median(peaks)),
            "peak_mb_max": round(max(peaks))}


def bench_pages(preset: str, runs: int) -> dict:
    import pages

    figures = pages.measure(pages.published_home(preset, fresh=True), runs)  # this code's snapshot
    print(f"pages demo:{preset}: " + ", ".join(f"{r['page']} {r.get('median_s')} s" for r in figures), flush=True)
    return {"preset": preset, "pages": figures}


def bench_history(preset: str, count: int = 60, seed: int = 7) -> dict:
    """One application's two-year history (engine/history.py), in process: random known
    numbers plus the deepest application of the largest segment."""
    import datetime as dt
    import random

    import pages
    from engine import store
    from engine.history import history
    from engine.lookup import snapshot_as_of

    con = store.open_snapshot(store.current(pages.published_home(preset)).path)
    last = snapshot_as_of(con)
    first = last.replace(year=last.year - 2)
    numbers = [n for (n,) in con.execute("SELECT application_number FROM applications ORDER BY application_number").fetchall()]
    chosen = random.Random(seed).sample(numbers, min(count, len(numbers)))
    times, days = [], []
    for number in chosen:
        start = time.perf_counter()
        doc = history(con, number, first, last)
        times.append(time.perf_counter() - start)
        days.append(len(doc["days"]))
    con.close()
    ms = sorted(t * 1000 for t in times)
    figures = {"preset": preset, "applications": len(numbers), "histories": len(ms), "from": first.isoformat(),
               "to": last.isoformat(), "median_ms": round(statistics.median(ms), 1),
               "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1), "max_ms": round(ms[-1], 1),
               "days_listed_median": statistics.median(days), "days_listed_max": max(days)}
    print(f"history demo:{preset}: median {figures['median_ms']} ms, p95 {figures['p95_ms']} ms", flush=True)
    return figures


def bench_forecast(preset: str, count: int = 40) -> dict:
    """One application's forecast (engine/forecast.py), in process, for waiting applications
    drawn by a hash of their number; and the backtest the publication keeps."""
    import pages
    from engine import store
    from engine.forecast import WAITING_SQL, forecast

    con = store.open_snapshot(store.current(pages.published_home(preset, fresh=True)).path)  # this code's
    numbers = [n for (n,) in con.execute(
        f"SELECT application_number FROM queue WHERE status IN ({WAITING_SQL}) "
        "ORDER BY hash(application_number), application_number LIMIT $count", {"count": count}).fetchall()]
    times = []
    for number in numbers:
        start = time.perf_counter()
        forecast(con, number)
        times.append(time.perf_counter() - start)
    inside, judged = con.execute("SELECT sum(inside), sum(judged) FROM forecast_backtest").fetchone()
    con.close()
    ms = sorted(t * 1000 for t in times)
    figures = {"preset": preset, "forecasts": len(ms), "median_ms": round(statistics.median(ms), 1),
               "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1), "max_ms": round(ms[-1], 1),
               "backtest_judged": int(judged or 0), "backtest_inside": int(inside or 0)}
    print(f"forecast demo:{preset}: median {figures['median_ms']} ms, backtest {inside}/{judged}", flush=True)
    return figures


def bench_numbering(preset: str) -> dict:
    import numbering
    import pages

    figures = numbering.measure(pages.published_home(preset))
    print(f"numbering demo:{preset}: {figures['numbering_s_median']} s against row_number() "
          f"{figures['row_number_s_median']} s, ratio {figures['ratio']}", flush=True)
    return {"preset": preset, **figures}


def folder_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def bench_export(preset: str, runs: int) -> dict:
    """`kezek export --format csv,parquet` of the published preset: time, peak memory, sizes."""
    import pages

    home = pages.published_home(preset)
    walls, peaks = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="kezek-export-") as out:
            wall, peak, _ = timed_process([sys.executable, "-m", "kezek", "export", "--home", str(home),
                                           "--out", f"{out}/package", "--format", "csv,parquet"])
            walls.append(wall)
            peaks.append(peak)
            csv_mb, parquet_mb = folder_mb(Path(out) / "package" / "csv"), folder_mb(Path(out) / "package" / "parquet")
            files = sum(1 for f in (Path(out) / "package").rglob("*") if f.is_file())
    figures = {"preset": preset, "runs": runs, "wall_s_median": round(statistics.median(walls), 2),
               "wall_s_min": round(min(walls), 2), "wall_s_max": round(max(walls), 2),
               "peak_mb_median": round(statistics.median(peaks)), "csv_mb": csv_mb, "parquet_mb": parquet_mb,
               "files": files}
    print(f"export demo:{preset}: {figures['wall_s_median']} s, CSV {csv_mb} MB, Parquet {parquet_mb} MB", flush=True)
    return figures


def bench_sessions(preset: str) -> dict:
    import pages
    import sessions

    figures = sessions.measure(pages.published_home(preset))
    print(f"sessions demo:{preset}: {figures['rss_after_mb']} MB with {figures['sessions']} sessions", flush=True)
    return {"preset": preset, **figures}


def bench_scale_out(preset: str) -> dict:
    import pages
    import scale_out

    return {"preset": preset, **scale_out.measure(pages.published_home(preset))}


def bench_lookup(preset: str) -> dict:
    import api_lookup
    import pages

    figures = api_lookup.measure(pages.published_home(preset))
    print(f"lookup demo:{preset}: http median {figures['http']['median_ms']} ms, "
          f"p95 {figures['http']['p95_ms']} ms", flush=True)
    return {"preset": preset, **figures}


def bench_feeds(preset: str) -> dict:
    import feeds
    import pages

    return {"preset": preset, **feeds.measure(pages.published_home(preset))}


def bench_light_pages(preset: str) -> dict:
    import light_page
    import pages

    return {"preset": preset, **light_page.measure(pages.published_home(preset))}


def bench_series(name: str, runs: int) -> dict | None:
    import series

    return series.MEASURE[name](runs)


def table(intro: list[str], headers: list[str], rows: list[list[object]]) -> list[str]:
    """A Markdown table with the sentences that introduce it."""
    return ["", *intro, *([""] if intro else []), "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers),
            *("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)]


def session_peak(r: dict) -> float:
    """The highest resident memory seen while the sessions were opened."""
    return max([r["rss_after_mb"], *(m["rss_mb"] for m in r.get("memory", []))])


def _first(rows: list[dict], **match) -> dict:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), {})


def targets(results: dict) -> list[str]:
    """Issue 20's targets, each with the figure measured here (whatever was last measured)."""
    files = _first(results.get("file_updates", []), preset="national")
    demo = _first(results.get("measurements", []), preset="national")
    numbering = _first(results.get("numbering", []), preset="national")
    series = _first(results.get("series", []), series="national (demo)")
    rows = []

    def row(what: str, target: str, figure: float | None, limit: float, unit: str) -> None:
        if figure is None:
            return rows.append([what, target, "not measured", "—"])
        rows.append([what, target, f"{figure} {unit}", "yes" if figure <= limit else f"no, by {round(figure - limit, 2)} {unit}"])

    row("national update from Parquet files", "≤ 20 s", files.get("wall_s_median"), 20, "s")
    row("its peak memory", "≤ 4 GB", round(files["peak_mb_max"] / 1024, 2) if files else None, 4, "GB")
    row("`kezek update --source demo:national`", "≤ 60 s", demo.get("wall_s_median"), 60, "s")
    row("numbering against a bare `row_number()`, same run", "≤ 1.5 ×", numbering.get("ratio"), 1.5, "×")
    row("audit of the national preset (from files)", "≤ 5 s", files.get("stages_s_median", {}).get("audit"), 5, "s")
    row("appending one day to a national series", "≤ 15 s", (series.get("append") or {}).get("wall_s_median"), 15, "s")
    return table(["The targets of a national update (medians; the sections below give every run):"],
                 ["what", "target", "measured", "met"], rows)


def write_table(results: dict) -> None:
    m = results["machine"]
    lines = ["# Benchmarks", "", "Generated by `make bench` from `bench/results.json`; do not edit by hand.", "",
             f"Machine: {m['cpus']} cores ({m['cpu']}), {m['memory_gb']} GB, Python {m['python']}, DuckDB {m['duckdb']}."]
    updates = results.get("measurements", [])
    lines += targets(results)
    lines += table(["Each update, whole process (medians of its runs; peak resident memory):"],
                   ["measurement", "runs", "median", "min", "max", "peak memory (median / max)"],
                   [[f"`{r['what']}`", r["runs"], f"{r['wall_s_median']} s", f"{r['wall_s_min']} s",
                     f"{r['wall_s_max']} s", f"{r['peak_mb_median']} MB / {r['peak_mb_max']} MB"] for r in updates])
    files = [*results.get("file_updates", []), *results.get("unchanged_updates", [])]
    lines += table(["The same update from files: the preset written once as a folder of Parquet files, as",
                    "an akimat's export arrives (`demo:PRESET` generates its data in the process, and that",
                    "generation is most of its ingest). Beside each run, in the same run, the floor: the same",
                    "files copied into a DuckDB file as they are (`CREATE TABLE … AS SELECT * FROM",
                    "read_parquet(…)`), nothing validated, numbered or written out:"],
                   ["measurement", "runs", "median", "min", "max", "peak memory (median / max)",
                    "bare copy (median)", "update / bare copy"],
                   [[f"`{r['what']}`", r["runs"], f"{r['wall_s_median']} s", f"{r['wall_s_min']} s",
                     f"{r['wall_s_max']} s", f"{r['peak_mb_median']} MB / {r['peak_mb_max']} MB",
                     f"{r['bare_copy_s_median']} s" if "bare_copy_s_median" in r else "—",
                     f"{r['bare_copy_ratio']} ×" if "bare_copy_ratio" in r else "—"] for r in files]) if files else []
    lines += table(["Stages of the update as it reports them (median seconds): ingest reads, validates and",
                    "loads (for `demo:`, after generating the data); recompute numbers the queue; audit",
                    "replays every bulletin; publish switches the snapshot."],
                   ["source", *STAGES],
                   [[("demo:" if r["what"].startswith("kezek update --source demo:") else "files: ")
                     + r.get("preset", r["what"].split("demo:")[-1].split(" ")[0]),
                     *(f"{r['stages_s_median'][k]} s" if k in r.get("stages_s_median", {}) else "—" for k in STAGES)]
                    for r in [*updates, *results.get("file_updates", [])]])
    for p in results.get("profiles", []):
        lines += ["", f"Profile of the update from files ({p['preset']}; bench/profile.py: the update in one process,",
                  "every statement it sends to DuckDB timed, and DuckDB's own profile of each statement of",
                  "0.2 s or more: its costliest operators, their time summed over DuckDB's threads). Per",
                  "stage, its time as the update reports it, then its slowest statements:"]
        for stage in p["stages"]:
            lines += table([f"**{stage['stage']}**: {stage['seconds']} s, of which {stage['statements_s']} s in "
                            f"{stage['statements']} statements."],
                           ["seconds", "times", "sent from", "statement", "costliest operators"],
                           [[e["seconds"], e["times"], f"`{e['where']}`", e["statement"].replace("|", "\\|"),
                             ", ".join(f"{n} {t} s" for n, t in e["operators"])] for e in stage["slowest"]])
    if results.get("pages"):
        presets = [p["preset"] for p in results["pages"]]
        by = {p["preset"]: {r["page"]: r for r in p["pages"]} for p in results["pages"]}

        def cell(r: dict) -> str:
            if "error" in r:
                return f"error: {r['error']}"
            return f"{r.get('median_s', '—')} s ({r.get('min_s', '—')}–{r.get('max_s', '—')})"

        lines += table(["Server-side render time of each dashboard page (Streamlit's AppTest, Russian, the warm",
                        "run excluded; the lookup page for the deepest application of the largest segment):"],
                       ["page", *(f"{p}: median (min–max)" for p in presets)],
                       [[name, *(cell(by[p].get(name, {})) for p in presets)]
                        for name in (r["page"] for r in results["pages"][0]["pages"])])
    if results.get("histories"):
        lines += table(["One application's history over two years (`engine.history`, in process; random known",
                        "numbers; the days listed are those on which the number changed):"],
                       ["preset", "applications", "histories", "median", "p95", "max", "days listed (median / max)"],
                       [[r["preset"], r["applications"], r["histories"], f"{r['median_ms']} ms", f"{r['p95_ms']} ms",
                         f"{r['max_ms']} ms", f"{r['days_listed_median']} / {r['days_listed_max']}"]
                        for r in results["histories"]])
    if results.get("forecasts"):
        lines += table(["One application's forecast (`engine.forecast`, in process; waiting applications drawn by",
                        "a hash of their number), and the backtest kept with the publication: how many judged",
                        "forecasts had the real date of the offer inside their 10–90 range:"],
                       ["preset", "forecasts", "median", "p95", "max", "backtest: inside / judged"],
                       [[r["preset"], r["forecasts"], f"{r['median_ms']} ms", f"{r['p95_ms']} ms", f"{r['max_ms']} ms",
                         f"{r['backtest_inside']} / {r['backtest_judged']}"
                         + (f" ({100 * r['backtest_inside'] / r['backtest_judged']:.0f} %)" if r["backtest_judged"] else "")]
                        for r in results["forecasts"]])
    if results.get("lookups"):
        lines += table(["Lookup of an application (random known numbers, sequential; HTTP on one keep-alive",
                        "connection to `kezek serve` on loopback; in process, `engine.lookup` with who stands",
                        "ahead, through DuckDB as `kezek lookup` reads it, and from the lookups the server",
                        "holds in memory):"],
                       ["preset", "applications", "lookups", "HTTP median", "HTTP p95", "HTTP p99",
                        "DuckDB median", "in memory median", "in memory: load, size"],
                       [[r["preset"], r["applications"], r["lookups"], f"{r['http']['median_ms']} ms",
                         f"{r['http']['p95_ms']} ms", f"{r['http']['p99_ms']} ms",
                         f"{r['in_process']['duckdb']['median_ms']} ms",
                         f"{r['in_process']['in_memory']['median_ms']} ms",
                         f"{r['in_process']['index_load_s']} s, {r['in_process']['index_mb']} MB"]
                        for r in results["lookups"]])
        lines += table(["The API under load (bench/load.py: keep-alive connections on loopback, each sending",
                        "`GET /api/v1/applications/{number}` for random known numbers one after another; a",
                        "run stops by itself after its number of answers; the load generator shares the two",
                        "cores with the server):"],
                       ["preset", "connections", "answers", "answers/s", "median", "p95", "p99", "max", "errors"],
                       [[r["preset"], l["connections"], l["requests"], l["requests_per_s"], f"{l['median_ms']} ms",
                         f"{l['p95_ms']} ms", f"{l['p99_ms']} ms", f"{l['max_ms']} ms",
                         l["errors"] + sum(v for k, v in l["statuses"].items() if k != "200")]
                        for r in results["lookups"] for l in r.get("load", [])])
    if results.get("feeds"):
        lines += table(["Atom feeds (bench/feeds.py: `GET /n/{number}/feed?lang=ru` of random known numbers over",
                        "32 keep-alive connections; first each feed once, rendered from the application's",
                        "history, then the same feeds asked again in turn, as readers polling them would, sent",
                        "from the feeds' cache until the next publication):"],
                       ["preset", "feeds", "size", "asked", "answers", "answers/s", "median", "p99", "errors"],
                       [[r["preset"], r["feeds"], f"{r['feed_kb_median']} KB", asked, l["requests"],
                         l["requests_per_s"], f"{l['median_ms']} ms", f"{l['p99_ms']} ms",
                         l["errors"] + sum(v for k, v in l["statuses"].items() if k != "200")]
                        for r in results["feeds"] for asked, l in (("first", r["cold"]), ("again", r["hot"]))])
    if results.get("light_pages"):
        def load_row(r: dict, what: str, l: dict) -> list[object]:
            return [r["preset"], what, l["connections"], l["requests"], l["requests_per_s"], f"{l['median_ms']} ms",
                    f"{l['p99_ms']} ms", f"{l['max_ms']} ms",
                    l["errors"] + sum(v for k, v in l["statuses"].items() if k != "200")]

        lines += table(["The light page `/n/{number}` (HTML, Russian) and the API's lookup in the same run",
                        "(bench/light_page.py: bench/load.py at 32 keep-alive connections, over one pool of",
                        "random known numbers). First visits ask for every number of the pool once: each page",
                        "is made from the lookups held in memory, its last changes and forecast asked for in the",
                        "background (dashboard/background.py). Repeat visits are spread over the same pool,",
                        "every page already made: a page is made once per snapshot and kept in memory. The",
                        "ratio is repeat pages per second to API answers per second:"],
                       ["preset", "what", "connections", "answers", "answers/s", "median", "p99", "max", "errors"],
                       [row for r in results["light_pages"] for row in (
                           load_row(r, f"`/n/{{number}}`, first visits ({r['pool']} numbers)", r["first"]),
                           load_row(r, "`/n/{number}`, repeat visits", r["again"]),
                           load_row(r, "`/api/v1/applications/{number}`", r["api"]))])
        lines += [""] + [f"Light page to API ({r['preset']}): {r['ratio']} ×"
                         + (f"; the machine's load average was {r['load_average'][0]} when the run began and "
                            f"{r['load_average'][1]} when it ended." if r.get("load_average") else ".")
                         + (f" Visited again in turn, {r['completed']['complete']} of the {r['pool']} pages had their "
                            f"last changes and forecast {r['completed']['seconds']} s after the first visits "
                            f"({round(r['completed']['complete'] / max(r['completed']['seconds'], 0.1), 1)} a second: "
                            "the background gives way to visits, and the rest were still being made while the "
                            "API was measured)." if r.get("completed") else "")
                         + (f" The dashboard's Lookup page, rendered whole by Streamlit in the same run: "
                            f"{r['streamlit']['median_s']} s a page (median of {r['streamlit']['runs']}; "
                            f"{round(1 / r['streamlit']['median_s'], 1)} pages a second on one core)."
                            if r.get("streamlit", {}).get("median_s") else "")
                         for r in results["light_pages"]]
    if results.get("numbering"):
        lines += table(["Queue numbering alone (engine/sql/numbering.sql: Q2–Q4 with the 1 : 3 merge) against",
                        "a bare `row_number()` per segment over the same rows, each materialised, alternately",
                        "(bench/numbering.py):"],
                       ["preset", "applications", "numbered", "runs", "numbering median (min–max)",
                        "row_number() median (min–max)", "ratio"],
                       [[r["preset"], r["rows"], r["numbered"], r["runs"],
                         f"{r['numbering_s_median']} s ({r['numbering_s_min']}–{r['numbering_s_max']})",
                         f"{r['row_number_s_median']} s ({r['row_number_s_min']}–{r['row_number_s_max']})",
                         f"{r['ratio']} ×"] for r in results["numbering"]])
    if results.get("exports"):
        lines += table(["`kezek export --format csv,parquet` of the published preset (whole process):"],
                       ["preset", "runs", "median", "min", "max", "peak memory", "CSV", "Parquet", "files"],
                       [[r["preset"], r["runs"], f"{r['wall_s_median']} s", f"{r['wall_s_min']} s",
                         f"{r['wall_s_max']} s", f"{r['peak_mb_median']} MB", f"{r['csv_mb']} MB",
                         f"{r['parquet_mb']} MB", r["files"]] for r in results["exports"]])
    if results.get("sessions"):
        lines += table(["Memory of one `kezek serve` process with open dashboard sessions (bench/sessions.py:",
                        "WebSocket sessions opened one after another, each showing a page of the dashboard in",
                        "turn, all kept open; resident memory from /proc, sampled every ten sessions; the",
                        "first render of a session is what its browser waits for, the first after a start",
                        "includes loading the snapshot):"],
                       ["preset", "sessions", "idle", "peak", "with all sessions open", "per session, at most",
                        "first render median", "first render max"],
                       [[r["preset"], r["sessions"], f"{r['rss_idle_mb']} MB", f"{session_peak(r)} MB",
                         f"{r['rss_after_mb']} MB",
                         f"{round((session_peak(r) - r['rss_idle_mb']) / r['sessions'], 2)} MB",
                         f"{r['render_s_median']} s", f"{r['render_s_max']} s"]
                        for r in results["sessions"]])
    if results.get("scale_out"):
        lines += table(["Several `kezek serve` processes on one published snapshot behind nginx (bench/scale_out.py;",
                        "the same load generator, through the proxy; see docs/deployment.md):"],
                       ["preset", "processes", "connections", "answers", "answers/s", "median", "p95", "p99", "errors"],
                       [[r["preset"], l["processes"], l["connections"], l["requests"], l["requests_per_s"],
                         f"{l['median_ms']} ms", f"{l['p95_ms']} ms", f"{l['p99_ms']} ms",
                         l["errors"] + sum(v for k, v in l["statuses"].items() if k != "200")]
                        for r in results["scale_out"] for l in r.get("runs", [])])
    if results.get("series"):
        def span(f: dict | None) -> str:
            return f"{f['wall_s_median']} s ({f['wall_s_min']}–{f['wall_s_max']}), {f['peak_mb_max']} MB" if f else "—"

        lines += table(["A series (bench/series.py): its snapshots published from scratch in a fresh home, all",
                        "of them and all but the last; then the last appended to a copy of that home (the update",
                        "carries what it published and reads one snapshot); whole `kezek update` process, time",
                        "and peak memory:"],
                       ["series", "snapshots", "from scratch, all", "from scratch, all but the last",
                        "append the last one"],
                       [[r["series"], r["snapshots"], span(r["scratch"]),
                         f"{r['base']['wall_s']} s, {r['base']['peak_mb']} MB", span(r["append"])]
                        for r in results["series"]])
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _identity(result: dict) -> str:
    """What a result measured (a preset, a series, a command), to replace it when measured again."""
    # an update is named by its command (several measure one preset: from demo, from files)
    return str(next((result[k] for k in ("series", "what", "preset") if k in result), json.dumps(result)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--presets", default="astana-2017,almaty,national")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--files", default="national", help="presets also updated from Parquet files ('' for none)")
    ap.add_argument("--profile", default="national", help="presets whose update from files is profiled ('' for none)")
    ap.add_argument("--unchanged", default="almaty,national",
                    help="presets whose Parquet folder is updated again unchanged ('' for none)")
    ap.add_argument("--pages", default="almaty,national", help="presets whose pages are rendered ('' for none)")
    ap.add_argument("--page-runs", type=int, default=5)
    ap.add_argument("--lookups", default="almaty,national", help="presets whose lookups are timed ('' for none)")
    ap.add_argument("--histories", default="almaty,national", help="presets whose histories are timed ('' for none)")
    ap.add_argument("--forecasts", default="almaty,national", help="presets whose forecasts are timed ('' for none)")
    ap.add_argument("--light-pages", default="national", help="presets whose light pages are loaded ('' for none)")
    ap.add_argument("--numbering", default="national", help="presets whose numbering is timed ('' for none)")
    ap.add_argument("--exports", default="almaty,national", help="presets whose export is timed ('' for none)")
    ap.add_argument("--sessions", default="national", help="presets served to 100 sessions ('' for none)")
    ap.add_argument("--scale-out", default="national", help="presets served behind nginx ('' for none)")
    ap.add_argument("--series", default="vilnius,national", help="series published and appended to ('' for none)")
    ap.add_argument("--series-runs", type=int, default=3)
    ap.add_argument("--feeds", default="national", help="presets whose feeds are served under load ('' for none)")
    args = ap.parse_args()
    # A section not asked for keeps its figures from the last run (`--presets '' --pages ''
    # --lookups '' --histories national` times only that).
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    results["machine"] = machine()
    sections = {"measurements": (args.presets, lambda p: bench_update(p, args.runs)),
                "file_updates": (args.files, lambda p: bench_update_from_files(p, args.runs)),
                "profiles": (args.profile, bench_profile),
                "unchanged_updates": (args.unchanged, lambda p: bench_unchanged(p, args.runs)),
                "pages": (args.pages, lambda p: bench_pages(p, args.page_runs)),
                "lookups": (args.lookups, bench_lookup),
                "histories": (args.histories, bench_history),
                "forecasts": (args.forecasts, bench_forecast),
                "light_pages": (args.light_pages, bench_light_pages),
                "numbering": (args.numbering, bench_numbering),
                "exports": (args.exports, lambda p: bench_export(p, args.runs)),
                "sessions": (args.sessions, bench_sessions),
                "scale_out": (args.scale_out, bench_scale_out),
                "series": (args.series, lambda s: bench_series(s, args.series_runs)),
                "feeds": (args.feeds, bench_feeds)}
    for key, (presets, measure) in sections.items():
        if presets:
            measured = [r for r in (measure(p) for p in presets.split(",")) if r is not None]
            # what was not measured again keeps its figures (`--series vilnius` keeps national's)
            again = {_identity(r): r for r in measured}
            kept = [again.pop(_identity(r), r) for r in results.get(key, [])]  # in place, in their order
            results[key] = kept + list(again.values())
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_table(results)
    print(f"wrote {RESULTS.relative_to(ROOT)} and {TABLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
