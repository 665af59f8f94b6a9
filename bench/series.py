"""Series benchmarks (bench/run.py --series): a real city's 30 days, and a synthetic national
series, each published from scratch and appended to by one day.

- `vilnius`: `../shared/data/vilnius` (30 daily snapshots of Vilnius's published list, about
  9 000 children) as published, read through examples/vilnius/mapping.toml (no preprocessing):
  `kezek update` over all 30 days in a
  fresh home, and over 29 days followed by the 30th (the daily case: the update carries the
  29 days it published and reads one).
- `national`: the demo's national preset published once; its numbered applications at the end
  of each of its last DAYS days written as the snapshots of a series (Parquet, one file of
  about a million applications a day; the kindergartens and bulletins in the first), then
  published over DAYS - 1 days, and the last day appended.

Each measurement is the wall time and the peak memory of the whole `kezek update` process.
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VILNIUS = ROOT.parent / "shared" / "data" / "vilnius"
sys.path.insert(0, str(ROOT))


def _update(series: Path, home: Path) -> tuple[float, float, str]:
    from run import timed_process

    return timed_process([sys.executable, "-m", "kezek", "update", "--source", str(series), "--home", str(home)])


def _figures(walls: list[float], peaks: list[float]) -> dict:
    return {"runs": len(walls), "wall_s_median": round(statistics.median(walls), 2), "wall_s_min": round(min(walls), 2),
            "wall_s_max": round(max(walls), 2), "peak_mb_median": round(statistics.median(peaks)),
            "peak_mb_max": round(max(peaks))}


def scratch_and_append(series: Path, runs: int, label: str, scratch_runs: int) -> dict:
    """From scratch over every snapshot of `series` (`scratch_runs` times); the snapshots but
    the last published once in a base home (timed too); then, `runs` times, a copy of the base
    home and the last snapshot appended to it."""
    days = sorted(p for p in series.iterdir() if p.is_dir())
    scratch, append = ([], []), ([], [])
    with tempfile.TemporaryDirectory(prefix="kezek-series-") as tmp:
        for i in range(scratch_runs):
            wall, peak, out = _update(series, Path(tmp) / f"fresh-{i}")
            scratch[0].append(wall), scratch[1].append(peak)
            print(f"{label}, {len(days)} snapshots, from scratch: {wall:.1f} s, {peak:.0f} MB", flush=True)
        base, aside = Path(tmp) / "base", Path(tmp) / days[-1].name
        days[-1].rename(aside)
        try:
            base_wall, base_peak, _ = _update(series, base)
        finally:
            aside.rename(days[-1])
        print(f"{label}, {len(days) - 1} snapshots, from scratch: {base_wall:.1f} s, {base_peak:.0f} MB", flush=True)
        for i in range(runs):
            home = Path(tmp) / f"append-{i}"
            shutil.copytree(base, home)
            wall, peak, out = _update(series, home)
            assert f"{len(days) - 1} carried" in out, out
            append[0].append(wall), append[1].append(peak)
            print(f"{label} append one snapshot: {wall:.1f} s, {peak:.0f} MB", flush=True)
            shutil.rmtree(home)
    return {"series": label, "snapshots": len(days), "scratch": _figures(*scratch) if scratch_runs else None,
            "base": {"snapshots": len(days) - 1, "wall_s": round(base_wall, 2), "peak_mb": round(base_peak)},
            "append": _figures(*append)}


def vilnius(runs: int) -> dict | None:
    if not VILNIUS.is_dir():
        print(f"{VILNIUS}: not here; the Vilnius series is not measured", flush=True)
        return None
    with tempfile.TemporaryDirectory(prefix="kezek-vilnius-") as tmp:
        # the city's files as published, read through the example's mapping (no preprocessing)
        series = Path(tmp) / "series"
        series.mkdir()
        for day in sorted(p for p in VILNIUS.iterdir() if p.is_dir()):
            (series / day.name).symlink_to(day.resolve(), target_is_directory=True)
        shutil.copy(ROOT / "examples" / "vilnius" / "mapping.toml", series / "mapping.toml")
        figures = scratch_and_append(series, runs, "vilnius", scratch_runs=runs)
    figures["children_last_day"] = sum(1 for _ in open(VILNIUS / sorted(p.name for p in VILNIUS.iterdir()
                                                                         if p.is_dir())[-1]
                                                     / "laukianciuju_eileje_ataskaita.csv", encoding="utf-8")) - 1
    return figures


def national_series(out: Path, days: int) -> Path:
    """The national preset's numbered applications at the end of each of its last `days` days,
    as a series of Parquet snapshots (engine/sql/spans.sql over the published preset)."""
    import pages
    from engine import numbering, store

    con = store.open_snapshot(store.current(pages.published_home("national")).path)
    last = dt.date.fromisoformat(con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()[0])
    con.execute(f"CREATE TEMP TABLE spans AS SELECT * FROM ({numbering.sql('spans')}) WHERE list IS NOT NULL",
                {"region": None, "locality": None, "birth_year": None})
    for k in range(days):
        day = last - dt.timedelta(days=days - 1 - k)
        folder = out / f"{day:%Y-%m-%d}"
        folder.mkdir(parents=True)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
        con.execute(f"""COPY (SELECT application_number, region, locality, make_date(birth_year, 1, 1) AS birth_date,
                                     registered_at, list AS privilege, 'queued' AS status
                              FROM spans WHERE s < $end AND (u IS NULL OR u >= $end)
                              QUALIFY row_number() OVER (PARTITION BY application_number ORDER BY s DESC) = 1
                              ORDER BY application_number)
                        TO '{folder / 'applications.parquet'}' (FORMAT parquet)""", {"end": end})
        if k == 0:
            for table in ("kindergartens", "vacancies"):
                con.execute(f"COPY (SELECT * FROM {table}) TO '{folder / (table + '.parquet')}' (FORMAT parquet)")
    con.close()
    return out


def national(runs: int, days: int = 90) -> dict:
    with tempfile.TemporaryDirectory(prefix="kezek-national-series-") as tmp:
        series = national_series(Path(tmp) / "series", days)
        # from scratch once: the base publication of all days but the last
        figures = scratch_and_append(series, runs, "national (demo)", scratch_runs=0)
        import duckdb
        with duckdb.connect() as con:
            figures["applications_last_day"] = con.execute(
                "SELECT count(*) FROM read_parquet($path)",
                {"path": str(sorted(series.iterdir())[-1] / "applications.parquet")}).fetchall()[0][0]
    return figures


MEASURE = {"vilnius": vilnius, "national": national}
