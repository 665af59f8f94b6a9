"""One application's state and numbers at the end of a day (`kezek lookup`, the API)."""

from __future__ import annotations

import datetime as dt

import duckdb

from engine import numbering, store
from engine.application_number import normalise
from engine.schema import NUMBERED_STATUSES


def snapshot_as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The day a snapshot describes: the end of its data (table `meta`)."""
    return dt.date.fromisoformat(con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()[0])


def find(con: duckdb.DuckDBPyConnection, number: str):
    """The application row for a number typed any way, or None."""
    return con.execute(
        """SELECT application_number, region, locality, birth_year, registered_at
           FROM applications WHERE number_key = $key""",
        {"key": normalise(number)},
    ).fetchone()


def lookup(con: duckdb.DuckDBPyConnection, number: str, as_of: dt.date | None = None) -> dict | None:
    """The `lookup --json` document (interfaces.md), or None when the number is unknown
    or the application was not yet registered at the end of `as_of`."""
    row = find(con, number)
    if row is None:
        return None
    application_number, region, locality, birth_year, registered_at = row
    latest = snapshot_as_of(con)
    day = as_of or latest
    if registered_at >= numbering.end_of_day(day):
        return None
    if day == latest:
        # The published `queue` table is this very query run at the snapshot's date.
        numbers = con.execute(
            """SELECT q.queue_number, q.privileged_queue_number, q.segment_size
               FROM queue AS q WHERE q.application_number = $n""",
            {"n": application_number},
        ).fetchone()
    else:
        numbers = con.execute(
            f"SELECT queue_number, privileged_queue_number, segment_size FROM ({numbering.queue_sql()}) "
            "WHERE application_number = $n",
            numbering.queue_params(day, (region, locality, birth_year)) | {"n": application_number},
        ).fetchone()
    if day == latest and store.has_table(con, "states"):  # kept at publication (kezek/pipeline.py)
        status, privilege = con.execute(
            "SELECT status, privilege FROM states WHERE application_number = $n", {"n": application_number}
        ).fetchone()
    else:
        status, privilege = con.execute(
            f"SELECT status, privilege FROM ({numbering.sql('state_at')}) WHERE application_number = $n",
            numbering.state_params(day, (region, locality, birth_year)) | {"n": application_number},
        ).fetchone()
    in_queue = status in NUMBERED_STATUSES
    queue_number, privileged_queue_number, segment_size = numbers if numbers else (None, None, None)
    return {
        "application_number": application_number,
        "as_of": day.isoformat(),
        "region": region,
        "locality": locality,
        "birth_year": birth_year,
        "registered_at": registered_at.isoformat(timespec="seconds"),
        "privilege": privilege,
        "status": status,
        "in_queue": in_queue,
        "queue_number": queue_number,
        "privileged_queue_number": privileged_queue_number,
        "segment_size": segment_size,
    }
