"""A series: the public list as published, again and again (open-data-format.md 1.1,
"Series"). A folder whose subfolders are named by each snapshot's local time, `YYYY-MM-DD`
or `YYYY-MM-DDTHHMM`, each holding some or all tables of one snapshot.

No city publishes why its list changed; the events are derived by comparing consecutive
snapshots (sql/derived_events.sql), in one set-based pass over all of them.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from ingest.problems import BadInput, Problem

SNAPSHOT_NAME = re.compile(r"^(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})(T(?P<hour>[0-9]{2})(?P<minute>[0-9]{2}))?$")
DERIVED_EVENTS = ("registered", "left", "returned", "privilege_changed", "registration_changed")


def snapshot_time(name: str) -> dt.datetime | None:
    """The local time a snapshot folder's name gives, or None when it names no snapshot.

    >>> snapshot_time("2026-03-20T0210"), snapshot_time("2026-03-20"), snapshot_time("mapping.toml")
    (datetime.datetime(2026, 3, 20, 2, 10), datetime.datetime(2026, 3, 20, 0, 0), None)
    """
    match = SNAPSHOT_NAME.match(name)
    if not match:
        return None
    try:
        day = dt.date.fromisoformat(match["day"])
        return dt.datetime(day.year, day.month, day.day, int(match["hour"] or 0), int(match["minute"] or 0))
    except ValueError:
        return None


def snapshot_folders(folder: Path) -> list[tuple[dt.datetime, Path]]:
    """The snapshots of a series, oldest first; [] when `folder` is not a series (it has no
    dated subfolder). Two names for the same instant are refused: which one is the list?"""
    found = sorted((at, p) for p in folder.iterdir() if p.is_dir() and (at := snapshot_time(p.name)) is not None)
    seen: dict[dt.datetime, Path] = {}
    problems = []
    for at, path in found:
        if at in seen:
            problems.append(Problem(path.name, None, None, f"the same snapshot time as {seen[at].name}; keep one"))
        seen.setdefault(at, path)
    if problems:
        raise BadInput(problems)
    return found


def is_series(folder: Path) -> bool:
    return folder.is_dir() and bool(snapshot_folders(folder))


@cache
def _derived_events_sql() -> str:
    return resources.files("ingest").joinpath("sql", "derived_events.sql").read_text(encoding="utf-8")


def derive_events(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """The derived events of the series held in `series_snapshots` and `listed` (see
    sql/derived_events.sql), in a stable order: by the snapshot they were seen in, then
    application and event."""
    return con.sql(f"SELECT *, true AS derived FROM ({_derived_events_sql()}) "
                   "ORDER BY seen_in, application_number, event")
