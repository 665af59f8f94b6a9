"""Queue numbers at the end of any day (rules Q1–Q4), computed set-based in DuckDB."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources

import duckdb

from engine.schema import NUMBERED_STATUSES_SQL


@dataclass(frozen=True)
class Interleaving:
    """Q3's merge of first-priority (P) and general (G) lists: P, G, G, G, …"""

    first_per_cycle: int = 1
    general_per_cycle: int = 3
    starts_with_first: bool = True
    source: str = "bilim.astana.kz/en/archives/49434: first-priority and general in the ratio one to three"


DEFAULT_INTERLEAVING = Interleaving()


@cache
def sql(name: str) -> str:
    text = resources.files("engine").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    return text.replace("{numbered_statuses}", NUMBERED_STATUSES_SQL)


def with_spans(name: str) -> str:
    """The query `name`, which reads the numbered spans of sql/spans.sql as `{spans}`."""
    return sql(name).replace("{spans}", sql("spans"))


def end_of_day(day: dt.date) -> dt.datetime:
    """A date D means the end of day D: after every event stamped on D (exclusive bound)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def queue_sql(state: str | None = None) -> str:
    """Numbers of the numbered applications; parameters: until, segment, interleaving
    (queue_params). `state`: a query giving the state instead of state_at.sql (then the
    interleaving's parameters only)."""
    return f"WITH state AS ({state or sql('state_at')}) SELECT * FROM ({sql('numbering')})"


def state_params(day: dt.date, segment: tuple[str, str, int] | None = None) -> dict:
    """The parameters of state_at.sql: the end of `day`, and one segment or all (None)."""
    region, locality, birth_year = segment or (None, None, None)
    return {"until": end_of_day(day), "region": region, "locality": locality, "birth_year": birth_year}


def interleaving_params(interleaving: Interleaving = DEFAULT_INTERLEAVING) -> dict:
    """The parameters of numbering.sql: Q3's interleaving."""
    return {
        "first_per_cycle": interleaving.first_per_cycle,
        "general_per_cycle": interleaving.general_per_cycle,
        "starts_with_first": interleaving.starts_with_first,
    }


def queue_params(
    day: dt.date,
    segment: tuple[str, str, int] | None = None,
    interleaving: Interleaving = DEFAULT_INTERLEAVING,
) -> dict:
    return state_params(day, segment) | interleaving_params(interleaving)


def queue_at(
    con: duckdb.DuckDBPyConnection,
    day: dt.date,
    segment: tuple[str, str, int] | None = None,
    interleaving: Interleaving = DEFAULT_INTERLEAVING,
) -> duckdb.DuckDBPyConnection:
    """The numbered queue at the end of `day`, for one segment or all; ordered."""
    return con.execute(
        queue_sql() + " ORDER BY region, locality, birth_year, queue_number",
        queue_params(day, segment, interleaving),
    )


def state_at(con: duckdb.DuckDBPyConnection, day: dt.date, segment=None):
    return con.execute(
        f"SELECT * FROM ({sql('state_at')}) ORDER BY application_number",
        state_params(day, segment),
    )
