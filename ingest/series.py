"""A series: the public list as published, again and again (open-data-format.md 1.1,
"Series"). A folder whose subfolders are named by each snapshot's local time, `YYYY-MM-DD`
or `YYYY-MM-DDTHHMM`, each holding some or all tables of one snapshot.

No city publishes why its list changed; the events are derived by comparing consecutive
snapshots (sql/derived_events.sql), in one set-based pass over all of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from engine.schema import TABLES
from ingest.problems import BadInput, Problem

SNAPSHOT_NAME = re.compile(r"^(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})(T(?P<hour>[0-9]{2})(?P<minute>[0-9]{2}))?$")
DERIVED_EVENTS = ("registered", "left", "returned", "privilege_changed", "registration_changed")


@dataclass(frozen=True)
class Snapshot:
    """One snapshot of a series: its local time, its name (the folder's), what it holds
    (`identity`) and the folder its files are in."""

    at: dt.datetime
    name: str
    identity: str
    folder: Path


def identity(folder: Path) -> str:
    """What a snapshot folder holds, without reading it: its files' names, sizes and
    modification times. A snapshot already published is not read again unless one changes."""
    files = sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
                   for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(json.dumps(files).encode()).hexdigest()


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
            problems.append(Problem(path.name, None, None, f"the same snapshot time as {seen[at].name}; keep one",
                                    key="snapshot_twice", values=(("other", seen[at].name),)))
        seen.setdefault(at, path)
    if problems:
        raise BadInput(problems)
    return found


def is_series(folder: Path) -> bool:
    return folder.is_dir() and bool(snapshot_folders(folder))


@cache
def _derived_events_sql() -> str:
    return resources.files("ingest").joinpath("sql", "derived_events.sql").read_text(encoding="utf-8")


def derive_events(con: duckdb.DuckDBPyConnection, after: dt.datetime | None = None) -> duckdb.DuckDBPyRelation:
    """The derived events of the series held in `series_snapshots` and `listed` (see
    sql/derived_events.sql), in a stable order: by the snapshot they were seen in, then
    application and event. `after`: only those seen in a later snapshot (an update that
    carries the earlier ones)."""
    seen = f"WHERE seen_in > TIMESTAMP '{after:%Y-%m-%d %H:%M:%S}'" if after else ""
    return con.sql(f"SELECT *, true AS derived FROM ({_derived_events_sql()}) {seen} "
                   "ORDER BY seen_in, application_number, event")


def settings_hash(mapping_json: str | None, metadata: dict) -> str:
    """What else decides what a series' snapshots become: its mapping, its dataset.json, and
    this code's way of deriving, and the tables' columns (what it kept of a snapshot has the
    columns of its day). A publication made under other settings is not carried."""
    code = _derived_events_sql() + Path(__file__).read_text(encoding="utf-8")
    columns = {name: list(t.column_names) for name, t in TABLES.items()}
    return hashlib.sha256(json.dumps([mapping_json, metadata, code, columns], sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


def carry(con: duckdb.DuckDBPyConnection, publication: Path, sources: str, series_settings: str,
          snapshots: list[Snapshot]) -> int:
    """How many of `snapshots`, from the first, the current publication already holds: it was
    published from the same sources under the same settings, and its series began with the
    same snapshots (names and identities). Those are not read again: the publication,
    attached as `carried`, gives what was kept of them (`keep`). 0 (and nothing attached)
    when it cannot carry them; a publication that cannot be read is simply not carried."""
    try:
        con.execute("ATTACH $path AS carried (READ_ONLY)", {"path": str(publication)})
    except duckdb.Error:
        return 0
    known: list = []
    try:
        if con.execute("SELECT value FROM carried.meta WHERE key = 'sources'").fetchone() == (sources,):
            known = con.execute("SELECT name, identity FROM carried.series_snapshots WHERE settings = $s "
                                "ORDER BY snapshot_at", {"s": series_settings}).fetchall()
    except duckdb.Error:  # not a series, or published before series were kept
        known = []
    if known and known == [(s.name, s.identity) for s in snapshots[:len(known)]]:
        return len(known)
    con.execute("DETACH carried")
    return 0


def carried_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'carried'").fetchone()[0]:
        return []
    names = {n for n, in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'carried'").fetchall()}
    return [t for t in TABLES if f"series_kept_{t}" in names]


def collapse(con: duckdb.DuckDBPyConnection, staged: dict[str, list[tuple[dt.datetime, str]]]) -> dict[str, str]:
    """The staged tables of a series' snapshots (table → [(snapshot time, staged table)]) as
    one staged table per canonical table: the state the last snapshot shows, and the events
    derived from all of them. Returns table → the staged table that replaces the snapshots'.

    - applications: each application's last listing; one no longer listed in the last
      snapshot that lists anybody has status `left` since the first snapshot without it;
    - events: the published ones (once each) and the derived ones (`derived`, `seen_in`);
    - any other table: each key's row from the last snapshot that has it (a table missing
      from a snapshot keeps its value).

    Each is reduced first to what the next snapshot needs (`kept_<table>`: the last listing
    of each application, the first sight of each event, the last row of each key). Reducing
    again after more snapshots gives what reducing all of them at once gives: an update
    that carries the earlier snapshots (`carry`) unions their kept rows with the new
    snapshots' and does one snapshot's work."""
    carried = carried_tables(con)
    columns = {name: list(t.column_names) for name, t in TABLES.items()}
    out = {}
    for table in [t for t in TABLES if t in staged or t in carried]:
        cols = ", ".join(["_file", "_row", *(f'"{c}"' for c in columns[table])])
        parts = [f"SELECT {cols}, TIMESTAMP '{at:%Y-%m-%d %H:%M:%S}' AS _snapshot_at FROM {t}"
                 for at, t in staged.get(table, [])]
        parts += [f"SELECT {cols}, _snapshot_at FROM carried.series_kept_{table}"] if table in carried else []
        con.execute(f"CREATE OR REPLACE TABLE series_{table} AS {' UNION ALL '.join(parts)}")
        if table == "applications":  # the last listing of each application
            order, key = "_snapshot_at DESC, _file, _row", '"application_number"'
        elif table == "events":  # published events: each once, as first seen
            order, key = "_snapshot_at, _file, _row", ", ".join(f'"{c}"' for c in columns[table])
        else:
            order, key = "_snapshot_at DESC, _file, _row", ", ".join(f'"{k}"' for k in TABLES[table].primary_key) or cols
        con.execute(f"""CREATE OR REPLACE TABLE kept_{table} AS SELECT * FROM series_{table}
                        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {order}) = 1""")
        out[table] = f"series_{table}_state"
        if table == "applications":
            _applications(con, listing_carried="applications" in carried)
        else:
            con.execute(f"CREATE OR REPLACE TABLE {out[table]} AS SELECT * EXCLUDE (_snapshot_at) FROM kept_{table}")
    if "applications" in out:
        _derived(con, carried="applications" in carried)
        ev = columns["events"]
        rows = f"SELECT _file, _row, {', '.join(f'{chr(34)}{c}{chr(34)}' for c in ev)} FROM kept_derived"
        if "events" in out:
            con.execute(f"INSERT INTO series_events_state BY NAME {rows}")
        else:
            con.execute(f"CREATE OR REPLACE TABLE series_events_state AS {rows}")
            out["events"] = "series_events_state"
    return out


def _applications(con: duckdb.DuckDBPyConnection, listing_carried: bool) -> None:
    # What derived_events.sql compares: every listing read now and, carried, each
    # application's last listing (all the comparison of the next snapshot needs).
    con.execute("""CREATE OR REPLACE TABLE listed AS
                   SELECT _snapshot_at AS snapshot_at, application_number, registered_at, privilege FROM series_applications""")
    carried = "SELECT snapshot_at FROM carried.series_snapshots WHERE lists_applications UNION " if listing_carried else ""
    con.execute(f"CREATE OR REPLACE TABLE series_snapshots AS {carried}SELECT DISTINCT snapshot_at FROM listed")
    # Each application's last listing; gone from the last list: `left`, since it was first missed.
    con.execute("""
        CREATE OR REPLACE TABLE series_applications_state AS
        WITH latest AS (SELECT max(snapshot_at) AS at FROM series_snapshots)
        SELECT l.* EXCLUDE (_snapshot_at) REPLACE (
                   CASE WHEN l._snapshot_at < latest.at THEN 'left' ELSE l.status END AS status,
                   CASE WHEN l._snapshot_at < latest.at
                        THEN (SELECT min(s.snapshot_at) FROM series_snapshots AS s WHERE s.snapshot_at > l._snapshot_at)
                        ELSE l.status_at END AS status_at)
        FROM kept_applications AS l, latest""")


def _derived(con: duckdb.DuckDBPyConnection, carried: bool) -> None:
    """`kept_derived`: the derived events, those carried and those seen in the new snapshots,
    numbered in the order of a run over all snapshots at once."""
    ev = TABLES["events"].column_names
    after, offset = con.execute(
        "SELECT max(snapshot_at), (SELECT count(*) FROM carried.series_derived) FROM carried.series_snapshots"
    ).fetchone() if carried else (None, 0)
    derived = ", ".join(
        {"application_number": "application_number", "at": '"at"', "event": "event", "privilege": "privilege",
         "reason": "reason", "derived": "true", "seen_in": "seen_in"}.get(c, "NULL") + f' AS "{c}"' for c in ev)
    new = (f"SELECT 'derived from the series' AS _file, {offset} + row_number() OVER "
           f"(ORDER BY seen_in, application_number, event) AS _row, {derived} "
           f"FROM ({derive_events(con, after).sql_query()})")
    old = "SELECT * FROM carried.series_derived UNION ALL " if carried else ""
    con.execute(f"CREATE OR REPLACE TABLE kept_derived AS {old}{new}")


def keep(con: duckdb.DuckDBPyConnection, out: str, snapshots: list[Snapshot], series_settings: str) -> None:
    """Write into the publication what the next update of the series needs to carry it: the
    snapshots read (with whether each listed the applications), each table reduced
    (`kept_<table>`; birth dates cut to the year, as everywhere in a publication) and the
    derived events."""
    con.execute(f"CREATE TABLE {out}.series_snapshots (snapshot_at TIMESTAMP, name VARCHAR, identity VARCHAR, "
                "lists_applications BOOLEAN, settings VARCHAR)")
    listing = {at for at, in con.execute("SELECT snapshot_at FROM series_snapshots").fetchall()} \
        if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'series_snapshots' "
                       "AND database_name = 'memory'").fetchone()[0] else set()
    con.executemany(f"INSERT INTO {out}.series_snapshots VALUES (?, ?, ?, ?, ?)",
                    [(s.at, s.name, s.identity, s.at in listing, series_settings) for s in snapshots])
    kept = {n for n, in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'memory' "
                                    "AND table_name LIKE 'kept\\_%' ESCAPE '\\'").fetchall()}
    for table in TABLES:
        if f"kept_{table}" in kept:
            cut = " REPLACE (date_trunc('year', birth_date)::DATE AS birth_date)" if table == "applications" else ""
            con.execute(f"CREATE TABLE {out}.series_kept_{table} AS SELECT *{cut} FROM kept_{table} "
                        "ORDER BY _snapshot_at, _file, _row")
    if "kept_derived" in kept:
        con.execute(f"CREATE TABLE {out}.series_derived AS SELECT * FROM kept_derived ORDER BY _row")
