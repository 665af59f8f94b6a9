"""How each queue moved, week by week (engine/sql/segment_movement.sql), computed once per
publication into the snapshot's table `segment_movement`."""

from __future__ import annotations

import datetime as dt

import duckdb

from engine import numbering


def create(con: duckdb.DuckDBPyConnection, as_of: dt.date, table: str = "segment_movement") -> None:
    """The table of every segment's weeks up to the end of `as_of`, in a stable order."""
    con.execute(
        f"CREATE TABLE {table} AS SELECT * FROM ({numbering.with_spans('segment_movement')}) "
        "ORDER BY region, locality, birth_year, week",
        {"until": numbering.end_of_day(as_of), "region": None, "locality": None, "birth_year": None},
    )
