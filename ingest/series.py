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

from engine.schema import TABLES
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


def collapse(con: duckdb.DuckDBPyConnection, staged: dict[str, list[tuple[dt.datetime, str]]]) -> dict[str, str]:
    """The staged tables of a series' snapshots (table → [(snapshot time, staged table)]) as
    one staged table per canonical table: the state the last snapshot shows, and the events
    derived from all of them. Returns table → the staged table that replaces the snapshots'.

    - applications: each application's last listing; one no longer listed in the last
      snapshot that lists anybody has status `left` since the first snapshot without it;
    - events: the published ones (once each) and the derived ones (`derived`, `seen_in`);
    - any other table: each key's row from the last snapshot that has it (a table missing
      from a snapshot keeps its value)."""
    columns = {name: list(t.column_names) for name, t in TABLES.items()}
    out = {}
    for table, files in staged.items():
        cols = ", ".join(["_file", "_row", *(f'"{c}"' for c in columns[table])])
        union = " UNION ALL ".join(f"SELECT {cols}, TIMESTAMP '{at:%Y-%m-%d %H:%M:%S}' AS _snapshot_at FROM {t}"
                                   for at, t in files)
        con.execute(f"CREATE OR REPLACE TABLE series_{table} AS {union}")
        out[table] = f"series_{table}_state"
        if table == "applications":
            _applications(con)
        elif table != "events":
            key = ", ".join(f'"{k}"' for k in TABLES[table].primary_key) or cols
            con.execute(f"""CREATE OR REPLACE TABLE {out[table]} AS SELECT * EXCLUDE (_snapshot_at) FROM series_{table}
                            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _snapshot_at DESC, _file, _row) = 1""")
        else:  # published events: each once, as first seen
            con.execute(f"""CREATE OR REPLACE TABLE {out[table]} AS SELECT * EXCLUDE (_snapshot_at) FROM series_{table}
                            QUALIFY row_number() OVER (PARTITION BY {", ".join(f'"{c}"' for c in columns[table])}
                                                       ORDER BY _snapshot_at, _file, _row) = 1""")
    if "applications" in staged:
        ev = columns["events"]
        derived = ", ".join(
            {"application_number": "application_number", "at": '"at"', "event": "event", "privilege": "privilege",
             "derived": "true", "seen_in": "seen_in"}.get(c, "NULL") + f' AS "{c}"' for c in ev)
        rows = (f"SELECT 'derived from the series' AS _file, row_number() OVER () AS _row, {derived} "
                f"FROM ({derive_events(con).sql_query()})")
        if "events" in staged:
            con.execute(f"INSERT INTO series_events_state BY NAME {rows}")
        else:
            con.execute(f"CREATE OR REPLACE TABLE series_events_state AS {rows}")
            out["events"] = "series_events_state"
    return out


def _applications(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""CREATE OR REPLACE TABLE listed AS
                   SELECT _snapshot_at AS snapshot_at, application_number, registered_at, privilege FROM series_applications""")
    con.execute("CREATE OR REPLACE TABLE series_snapshots AS SELECT DISTINCT snapshot_at FROM listed")
    # Each application's last listing; gone from the last list: `left`, since it was first missed.
    con.execute("""
        CREATE OR REPLACE TABLE series_applications_state AS
        WITH last AS (
            SELECT * FROM series_applications
            QUALIFY row_number() OVER (PARTITION BY application_number ORDER BY _snapshot_at DESC, _file, _row) = 1
        ), latest AS (SELECT max(snapshot_at) AS at FROM series_snapshots)
        SELECT l.* EXCLUDE (_snapshot_at) REPLACE (
                   CASE WHEN l._snapshot_at < latest.at THEN 'left' ELSE l.status END AS status,
                   CASE WHEN l._snapshot_at < latest.at
                        THEN (SELECT min(s.snapshot_at) FROM series_snapshots AS s WHERE s.snapshot_at > l._snapshot_at)
                        ELSE l.status_at END AS status_at)
        FROM last AS l, latest""")
