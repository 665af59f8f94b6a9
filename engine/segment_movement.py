"""How each queue moved, week by week (engine/sql/segment_movement.sql), and how long each
settlement's queue was at the start of every month (engine/sql/queue_months.sql), computed
once per publication into the snapshot's tables `segment_movement` and `queue_months`."""

from __future__ import annotations

import datetime as dt

import duckdb

from engine import numbering

# The numbered spans (Q2) both tables count, computed once: at a country's scale the spans
# are most of the work (about 13 s for a million applications).
NUMBERED_SPANS = "SELECT * FROM temp.numbered_spans"


def create(con: duckdb.DuckDBPyConnection, as_of: dt.date, table: str = "segment_movement",
           months_table: str | None = None) -> None:
    """The table of every segment's weeks up to the end of `as_of`, in a stable order; with
    `months_table`, also every settlement's queue at the start of each month."""
    until = numbering.end_of_day(as_of)
    con.execute(
        "CREATE TEMP TABLE numbered_spans AS SELECT region, locality, birth_year, s, u, list "
        f"FROM ({numbering.sql('spans')}) WHERE list IS NOT NULL",
        {"region": None, "locality": None, "birth_year": None},
    )
    try:
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM ({_over_numbered_spans(numbering.sql('segment_movement'))}) "
            "ORDER BY region, locality, birth_year, week",
            {"until": until},
        )
        if months_table:
            con.execute(
                f"CREATE TABLE {months_table} AS SELECT * FROM ({_over_numbered_spans(numbering.sql('queue_months'))}) "
                "ORDER BY region, locality, month",
                {"until": until},
            )
    finally:
        con.execute("DROP TABLE IF EXISTS temp.numbered_spans")


def queue_months_sql() -> str:
    """sql/queue_months.sql over sql/spans.sql (with $region, $locality and $birth_year)."""
    return numbering.sql("queue_months").replace("{spans}", numbering.sql("spans"))


SPANS_CTE = "WITH spans AS ({spans})"  # how both queries name the spans they count


def _over_numbered_spans(query: str) -> str:
    """`query` (it counts the spans twice: where they start, where they end) over the spans
    computed once: the stored table is read twice rather than copied again."""
    assert SPANS_CTE in query  # else the spans would be copied again, silently
    return query.replace(SPANS_CTE, "WITH spans AS NOT MATERIALIZED ({spans})").replace("{spans}", NUMBERED_SPANS)
