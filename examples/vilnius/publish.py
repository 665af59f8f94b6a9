"""Publish Vilnius's daily waiting lists as a series: `make vilnius` (see README.md).

Each day's folder of the city's files becomes a folder of the format's tables
(prepare.sql, in DuckDB), and `kezek update` publishes the folder of days as a series.
A day already prepared from the same files is not written again, so that its snapshot
stays the one the last publication read, and the next update reads only the new days.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import duckdb

from ingest.series import snapshot_time

HERE = Path(__file__).parent
LIST, GROUPS = "laukianciuju_eileje_ataskaita.csv", "darzeliai_grupes.csv"
TABLES = ("applications", "kindergartens", "vacancies")


def literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def inputs(day: Path) -> str:
    """What a prepared day was made from: its files' names, sizes and modification times."""
    return json.dumps([[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in sorted(day.iterdir()) if p.is_file()])


def prepare(source: Path, series: Path) -> tuple[int, int]:
    """Write series/DAY/{applications,kindergartens,vacancies}.csv for each day of `source`;
    returns (days prepared now, days already prepared)."""
    template = (HERE / "prepare.sql").read_text(encoding="utf-8")
    days = sorted(p for p in source.iterdir() if p.is_dir() and snapshot_time(p.name) is not None)
    if not days:
        sys.exit(f"{source}: no dated folder (YYYY-MM-DD or YYYY-MM-DDTHHMM) of Vilnius's files")
    (series / "dataset.json").parent.mkdir(parents=True, exist_ok=True)
    (series / "dataset.json").write_text(json.dumps({
        "title": "Vilnius: kindergarten waiting list (series of daily snapshots)",
        "publisher": "Vilniaus miesto savivaldybė (github.com/vilnius/darzeliai), prepared by examples/vilnius",
        "region": "Vilnius", "timezone": "Europe/Vilnius", "license": "CC-BY-4.0",
    }, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    made = kept = 0
    con = duckdb.connect()
    for day in days:
        out, stamp = series / day.name, series / day.name / ".prepared-from"
        if stamp.is_file() and stamp.read_text(encoding="utf-8") == inputs(day):
            kept += 1
            continue
        if not (day / LIST).is_file():
            sys.exit(f"{day}: {LIST} missing")
        out.mkdir(parents=True, exist_ok=True)
        values = {"list": day / LIST, "groups": day / GROUPS, **{f"out_{t}": out / f"{t}.csv" for t in TABLES}}
        for statement in template.split(";\n"):
            if "{groups}" in statement and not (day / GROUPS).is_file():
                continue  # a day without the groups: its kindergartens keep the previous day's
            for name, path in values.items():
                statement = statement.replace("{" + name + "}", literal(path))
            con.execute(statement)
        stamp.write_text(inputs(day), encoding="utf-8")
        made += 1
    return made, kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of dated folders of Vilnius's files (../shared/data/vilnius)")
    parser.add_argument("--series", type=Path, default=Path("data/vilnius-series"), help="where the prepared days go")
    parser.add_argument("--home", type=Path, default=Path("data/vilnius"), help="Kezek's home for this publication")
    args = parser.parse_args()
    made, kept = prepare(args.source, args.series)
    print(f"prepared {made} days ({kept} unchanged) in {args.series}", flush=True)
    kezek = Path(sys.executable).with_name("kezek")
    return subprocess.run([str(kezek), "update", "--source", str(args.series), "--home", str(args.home)]).returncode


if __name__ == "__main__":
    sys.exit(main())
