"""Queue numbers at the end of any day (rules Q1–Q4), computed set-based in DuckDB.

A snapshot holds what numbering needs besides its data: the macros of sql/macros.sql (Q2's
numbered statuses, Q3's merge) and `numbering_rules`, Q3's parameters per region and period
from the rulesets in force (engine/ruleset.py), so that the published numbers, a lookup at
a past day, a history and the audit all apply the same ratio.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources

import duckdb

from engine import ruleset as rulesets
from engine.schema import NUMBERED_STATUSES_SQL


@cache
def sql(name: str) -> str:
    text = resources.files("engine").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    return text.replace("{numbered_statuses}", NUMBERED_STATUSES_SQL)


def with_spans(name: str) -> str:
    """The query `name`, which reads the numbered spans of sql/spans.sql as `{spans}`."""
    return sql(name).replace("{spans}", sql("spans"))


def lookups_sql() -> str:
    """sql/lookups.sql with the status facts of every application not queued; parameter: until
    (the end of the snapshot's day). It reads `numbered`, the result of queue_sql."""
    states = "SELECT application_number, status FROM states WHERE status <> 'queued'"
    return sql("lookups").replace("{status_facts}", status_facts_sql(states))


def status_facts_sql(states: str, one: bool = False) -> str:
    """sql/status_facts.sql for the applications and statuses of the query `states`; `one`: for
    the application $n alone."""
    return (sql("status_facts").replace("{states}", states)
            .replace("{and_only_events}", "AND e.application_number = $n" if one else "")
            .replace("{where_only}", "WHERE a.application_number = $n" if one else ""))


def end_of_day(day: dt.date) -> dt.datetime:
    """A date D means the end of day D: after every event stamped on D (exclusive bound)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


# The columns of the published `queue` (interfaces.md), in their order; numbering.sql gives
# them and, after them, the counts of each list ahead (`ahead_*`) that `lookups` keeps.
QUEUE_COLUMNS = ("application_number", "region", "locality", "birth_year", "registered_at", "privilege", "status",
                 "queue_number", "privileged_queue_number", "segment_size")


def queue_sql(state: str | None = None) -> str:
    """Numbers of the numbered applications (QUEUE_COLUMNS, then the counts ahead); parameters:
    until and segment (state_params). `state`: a query giving the state instead of
    state_at.sql (then $until only)."""
    # numbering.sql reads the state twice (the ranks, the lengths of the lists): a given state
    # (the snapshot's kept tables, joined) is cheaper to read twice than to store; state_at.sql
    # is computed once.
    if state:
        return f"WITH state AS NOT MATERIALIZED ({state}) SELECT * FROM ({sql('numbering')})"
    return f"WITH state AS ({sql('state_at')}) SELECT * FROM ({sql('numbering')})"


def state_params(day: dt.date, segment: tuple[str, str, int] | None = None) -> dict:
    """The parameters of the state (state_at.sql) and the queue (numbering.sql) at the end of
    `day`, for one segment or all (None)."""
    region, locality, birth_year = segment or (None, None, None)
    return {"until": end_of_day(day), "region": region, "locality": locality, "birth_year": birth_year}


def queue_at(con: duckdb.DuckDBPyConnection, day: dt.date, segment: tuple[str, str, int] | None = None):
    """The numbered queue at the end of `day`, for one segment or all; ordered."""
    return con.execute(f"SELECT {', '.join(QUEUE_COLUMNS)} FROM ({queue_sql()}) "
                       "ORDER BY region, locality, birth_year, queue_number",
                       state_params(day, segment))


def create_macros(con: duckdb.DuckDBPyConnection, schema: str = "") -> None:
    """The macros of sql/macros.sql in `schema` (e.g. "snap.main."; "": the current one)."""
    con.execute(sql("macros").replace("{schema}", schema))


# Q3's parameters in `numbering_rules`, as the rulesets state them (parameters.toml).
Q3_PARAMETERS = ("ratio_first", "ratio_general", "pattern_starts_with")


def create_rules(con: duckdb.DuckDBPyConnection, target: str, regions: list[str],
                 ruleset: str | rulesets.Ruleset | None = None) -> None:
    """`target`: Q3's ratio and starting list per region and period [valid_from,
    valid_until), from the ruleset the dataset names, else from those in force in each
    region (ruleset.periods); with the ruleset and the source of each value."""
    rows = [{"region": r["region"], "valid_from": r["valid_from"], "valid_until": r["valid_until"],
             "ruleset": r["ruleset"], "ratio_first": r["ratio_first"], "ratio_general": r["ratio_general"],
             "starts_first": r["pattern_starts_with"] == "first",
             "source": "; ".join(dict.fromkeys(r[f"{p}_source"] for p in Q3_PARAMETERS))}
            for r in rulesets.periods(regions, ruleset)] if regions else []
    con.execute(f"""CREATE TABLE {target} (region VARCHAR, valid_from TIMESTAMP, valid_until TIMESTAMP,
                    ruleset VARCHAR, ratio_first INTEGER, ratio_general INTEGER, starts_first BOOLEAN,
                    source VARCHAR)""")
    if rows:
        con.executemany(f"INSERT INTO {target} VALUES ($region, $valid_from, $valid_until, $ruleset, $ratio_first, "
                        "$ratio_general, $starts_first, $source)", rows)


def state_at(con: duckdb.DuckDBPyConnection, day: dt.date, segment=None):
    return con.execute(
        f"SELECT * FROM ({sql('state_at')}) ORDER BY application_number",
        state_params(day, segment),
    )
