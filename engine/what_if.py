"""For journalists: what N more places for one birth year in one settlement would change
(engine/sql/what_if.sql): how many applications would get a place and how far the front of
the queue would move."""

from __future__ import annotations

import duckdb

from engine import numbering


def what_if(con: duckdb.DuckDBPyConnection, region: str, locality: str | None, birth_year: int,
            places: int) -> dict:
    row = con.execute(numbering.sql("what_if"), {"region": region, "locality": locality,
                                                  "birth_year": birth_year, "places": max(0, int(places))})
    names = [d[0] for d in row.description]
    return dict(zip(names, row.fetchone()))
