"""When a queue number is likely reached: a range (10th, 50th, 90th percentile) from the
segment movement of the older cohorts, and a backtest that measures how often the real
date fell inside the range (engine/sql/forecast.sql says the model in words)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np

from engine import numbering

WAITING = ("queued", "stop_list")  # numbered and still waiting for an offer (E3: stop-list only for a while)
WAITING_SQL = ", ".join(f"'{s}'" for s in WAITING)  # for `status IN (…)`


@dataclass(frozen=True)
class Model:
    """The simulation's parameters, with why they have these values."""

    paths: int = 400  # simulated futures: the 10th and 90th percentiles move by under a week between seeds
    years: int = 5  # horizon: beyond it, "not within 5 years" (a child leaves the queue at 6 or 7, E2)
    sigma: float = 0.3  # year-to-year spread of places released; chosen with the backtest (methodology page)
    sigma_unseen: float = 0.8  # the same for weeks of last year the data lack; chosen with the backtest
    shift: int = 4  # bulletins may come up to four weeks earlier or later than last year
    recent: int = 8  # weeks of recent pace standing in for weeks of last year the data lack
    min_history: int = 20  # weeks of allocations needed before any forecast: with less, a few weeks
    #                        of one season stand for the whole year (the backtest misses most then)
    seed: int = 2017

    @property
    def weeks(self) -> int:
        return 52 * self.years


MODEL = Model()


def history_until(as_of: dt.date) -> dt.date:
    """The Monday that ends the history: the week holding `as_of` counts only when it is whole."""
    day = as_of + dt.timedelta(days=1)
    return day - dt.timedelta(days=day.weekday())


def first_week(as_of: dt.date) -> dt.date:
    """The Monday of the first simulated week: the week after `as_of`."""
    return as_of + dt.timedelta(days=7 - as_of.weekday())


def week_end(as_of: dt.date, j: int) -> dt.date:
    """The Sunday that ends simulated week j (1-based)."""
    return first_week(as_of) + dt.timedelta(days=7 * (j - 1) + 6)


def targets_sql(queue: str) -> str:
    """The targets of forecast.sql from a queue listing (the snapshot's `queue`, or the
    numbering at an earlier day): every waiting application, with the applications ahead
    that still wait for an offer (those notified or referred already have one)."""
    return f"""
        SELECT application_number AS target, region, locality, birth_year,
               count(*) FILTER (WHERE status IN ({WAITING_SQL})) OVER (
                   PARTITION BY region, locality, birth_year ORDER BY queue_number
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS waiting,
               queue_number / segment_size AS share_ahead,
               privilege = 'none' AS general, status
        FROM ({queue})"""


FIRST_ALLOCATION_WEEK = """
SELECT min(week) FROM segment_movement
WHERE notifications + referrals_priority + referrals_free_choice + referrals_staff_child
      + referrals_private_state_order + enrolments + departures > 0
"""


def first_allocation_week(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The first week in which the data record any allocation: the history starts there."""
    return con.execute(FIRST_ALLOCATION_WEEK).fetchone()[0]


def history_weeks(first: dt.date | None, as_of: dt.date) -> int:
    """Whole weeks of allocation history up to `as_of` (segment_movement has every week)."""
    return max(0, (history_until(as_of) - first).days // 7) if first else 0


def parameters(con: duckdb.DuckDBPyConnection, as_of: dt.date, model: Model = MODEL, weeks: int | None = None,
               first: dt.date | None = None) -> dict:
    """forecast.sql's parameters: the history from `first` (default: first_allocation_week) up to
    `as_of`, weeks counted from the week after it, up to `weeks` (default: the model's horizon)."""
    return {
        "history_until": history_until(as_of), "first_allocation_week": first or first_allocation_week(con),
        "paths": model.paths, "weeks": weeks or model.weeks, "sigma": model.sigma, "sigma_unseen": model.sigma_unseen,
        "shift": model.shift, "recent": model.recent, "seed": model.seed,
    }


def dated(found: dict, as_of: dt.date, horizon: int) -> dict:
    """A row of forecast.sql with the Sundays that end its weeks (None: beyond the horizon)."""
    return found | {"range": tuple(week_end(as_of, j) if j <= horizon else None for j in found["weeks"])}


def run(con: duckdb.DuckDBPyConnection, targets: str, as_of: dt.date, model: Model = MODEL,
        weeks: int | None = None, params: dict | None = None, first: dt.date | None = None) -> list[dict]:
    """forecast.sql for the targets query `targets` (its parameters in `params`), with the
    history from `first` (default: first_allocation_week) up to `as_of`; weeks counted from
    the week after it."""
    horizon = weeks or model.weeks
    rows = con.execute(
        numbering.sql("forecast").replace("{targets}", targets),
        (params or {}) | parameters(con, as_of, model, horizon, first),
    ).fetchall()
    return [dated({
        "target": target,
        "waiting": waiting,
        "weeks": (j10, j50, j90),
        "offers_next_year": round(offers or 0),
        "leavers_ahead_next_year": round(leavers or 0),
        "insertions_ahead_next_year": round(insertions or 0),
    }, as_of, horizon) for target, waiting, j10, j50, j90, offers, leavers, insertions in rows]


def outline(application_number: str, as_of: dt.date, first: dt.date | None, model: Model = MODEL) -> dict:
    """The forecast document of an application not waiting (or before its figures are known)."""
    weeks = history_weeks(first, as_of)
    return {
        "application_number": application_number, "as_of": as_of.isoformat(), "waiting": False,
        "history_weeks": weeks, "enough_history": weeks >= model.min_history, "horizon_years": model.years,
        "waiting_ahead": None, "p10": None, "p50": None, "p90": None,
        "offers_next_year": None, "leavers_ahead_next_year": None, "insertions_ahead_next_year": None,
    }


def completed(doc: dict, found: dict) -> dict:
    """The document of a waiting application from its row of forecast.sql (dated)."""
    dates = found["range"] if doc["enough_history"] else (None, None, None)
    return doc | {
        "waiting": True,
        "waiting_ahead": found["waiting"] - 1,
        **{k: d and d.isoformat() for k, d in zip(("p10", "p50", "p90"), dates)},
        "offers_next_year": found["offers_next_year"],
        "leavers_ahead_next_year": found["leavers_ahead_next_year"],
        "insertions_ahead_next_year": found["insertions_ahead_next_year"],
    }


def forecast(con: duckdb.DuckDBPyConnection, application_number: str, model: Model = MODEL) -> dict:
    """The forecast document of one application of the published snapshot (the API's
    `/applications/{number}/forecast`): `waiting` is false, and there are no dates, when it is
    not numbered or already has an offer of a place; no dates either with too little history."""
    from engine.lookup import snapshot_as_of

    as_of = snapshot_as_of(con)
    first = first_allocation_week(con)
    doc = outline(application_number, as_of, first, model)
    segment = con.execute(f"SELECT region, locality, birth_year FROM queue WHERE application_number = $n "
                          f"AND status IN ({WAITING_SQL})", {"n": application_number}).fetchone()
    if segment is None:
        return doc
    one_segment = ("SELECT * FROM queue WHERE region = $region AND locality IS NOT DISTINCT FROM $locality "
                   "AND birth_year = $birth_year")
    (found,) = run(con, f"SELECT * FROM ({targets_sql(one_segment)}) WHERE target = $number", as_of, model,
                   params={"number": application_number, "region": segment[0], "locality": segment[1],
                           "birth_year": segment[2]}, first=first)
    return completed(doc, found)


BACKTEST_HORIZONS = (13, 26, 39)  # weeks before the publication's day: a quarter, half a year, three quarters
BACKTEST_SAMPLE = 3000  # waiting applications drawn (by a hash of their number) at each cutoff

OUTCOME_SQL = """
-- The real outcome of each backtest target after the cutoff: the first offer in queue order
-- (A1: a notification, or a priority referral where the data have no notifications), and
-- the first departure by another way (A3, A6, A9 referrals; Q5 departures; enrolment).
SELECT e.application_number AS target,
       min(CAST(e."at" AS DATE)) FILTER (WHERE e.event = 'notified'
           OR (e.event = 'referral_issued' AND coalesce(e.channel, 'priority') = 'priority')) AS turn,
       min(CAST(e."at" AS DATE)) FILTER (WHERE (e.event = 'referral_issued'
                                                AND coalesce(e.channel, 'priority') <> 'priority')
           OR e.event IN ('withdrawn', 'removed', 'aged_out', 'deactivated', 'enrolled')) AS left_queue
FROM events AS e
WHERE e."at" >= $after AND e.application_number IN (SELECT unnest($targets))
GROUP BY ALL
"""


def backtest_targets_sql(sample: int) -> str:
    """targets_sql's columns (but status) for `sample` waiting applications of the numbering at
    a cutoff (parameters: numbering.state_params and $seed), drawn by a hash of their number,
    with the index of their segment (`segment`: 0, 1, … in the segments' order)."""
    return f"""
        WITH at_cutoff AS MATERIALIZED (   -- only what is read below: no other window is computed
            SELECT application_number, region, locality, birth_year, status IN ({WAITING_SQL}) AS waiting,
                   privilege = 'none' AS general, queue_number, segment_size
            FROM ({numbering.queue_sql()})
        ),
        drawn AS (
            SELECT * FROM at_cutoff WHERE waiting
            ORDER BY hash(application_number, $seed), application_number LIMIT {int(sample)}
        ),
        offered AS (                     -- numbered, but offered a place already: not waiting
            SELECT region, locality, birth_year, queue_number FROM at_cutoff WHERE NOT waiting
        )
        SELECT d.application_number AS target, d.region, d.locality, d.birth_year,
               -- targets_sql's `waiting` without a window over the country: the numbers 1 … its
               -- own less those of the applications ahead offered a place already
               d.queue_number - count(o.queue_number) AS waiting,
               d.queue_number / d.segment_size AS share_ahead, d.general,
               dense_rank() OVER (ORDER BY d.region, d.locality, d.birth_year) - 1 AS segment
        FROM drawn AS d
        LEFT JOIN offered AS o ON o.region = d.region AND o.locality IS NOT DISTINCT FROM d.locality
                              AND o.birth_year = d.birth_year AND o.queue_number < d.queue_number
        GROUP BY d.application_number, d.region, d.locality, d.birth_year, d.queue_number, d.segment_size, d.general
        ORDER BY target"""


def backtest_forecasts(con: duckdb.DuckDBPyConnection, cutoff: dt.date, horizon: int, model: Model = MODEL,
                       sample: int = BACKTEST_SAMPLE, first: dt.date | None = None) -> list[tuple[str, tuple]]:
    """(target, (j10, j50, j90)) of the backtest at `cutoff`: run's weeks for the targets drawn
    by backtest_targets_sql, each segment simulated once for all of its targets
    (engine/forecast_paths.py), instead of joining every target to every path in SQL."""
    from engine import forecast_paths  # it builds on this module

    targets = con.execute(backtest_targets_sql(sample),
                          numbering.state_params(cutoff) | {"seed": model.seed}).fetchall()
    if not targets:
        return []
    segments = dict(sorted({t[7]: t[1:4] for t in targets}.items()))  # index: (region, locality, birth_year)
    offers, leavers, insertions = forecast_paths.simulate_segments(con, list(segments.values()), cutoff, horizon,
                                                                   model, first)
    waiting, share_ahead, general, segment = (np.array(column) for column in list(zip(*targets))[4:8])
    weeks = np.empty((len(targets), 3), dtype=np.int64)
    for s in range(len(segments)):  # a few hundred segments at the national preset
        rows = np.flatnonzero(segment == s)
        weeks[rows] = forecast_paths.reached_weeks(offers[s], leavers[s], insertions[s], waiting[rows],
                                                   share_ahead[rows], general[rows])
    return [(t[0], tuple(w)) for t, w in zip(targets, weeks.tolist())]


def backtest(con: duckdb.DuckDBPyConnection, as_of: dt.date, model: Model = MODEL,
             horizons: tuple[int, ...] = BACKTEST_HORIZONS, sample: int = BACKTEST_SAMPLE) -> list[dict]:
    """For each horizon H: forecast, with only the history before a cutoff H weeks back, the
    applications waiting at the cutoff, and count how often the real week of their offer fell
    in the 10-90 range. Only forecasts whose 90th percentile falls before `as_of` can be
    judged (choosing them uses the forecast, not the outcome)."""
    results, first = [], first_allocation_week(con)
    for horizon in horizons:
        day = as_of - dt.timedelta(days=7 * horizon)
        cutoff = day - dt.timedelta(days=(day.weekday() + 1) % 7)  # the Sunday on or before
        if history_weeks(first, cutoff) < model.min_history:  # no forecast is shown then: none to judge
            results.append({"horizon_weeks": horizon, "cutoff": cutoff.isoformat(), "forecasts": 0, "judged": 0,
                            "inside": 0, "early": 0, "late": 0, "left_queue": 0, "coverage": None})
            continue
        forecasts = backtest_forecasts(con, cutoff, horizon, model, sample, first)
        judged = [(target, weeks) for target, weeks in forecasts if weeks[2] <= horizon]
        outcomes = {
            target: (turn, left)
            for target, turn, left in con.execute(
                OUTCOME_SQL, {"after": numbering.end_of_day(cutoff), "targets": [target for target, _ in judged]}
            ).fetchall()
        }
        counts = {"inside": 0, "early": 0, "late": 0, "left_queue": 0}
        start = first_week(cutoff)
        for target, (j10, _, j90) in judged:  # at most `sample` rows: the judging is per forecast, not per application
            turn, left = outcomes.get(target, (None, None))
            if left is not None and (turn is None or left < turn):
                counts["left_queue"] += 1
                continue
            week = (turn - start).days // 7 + 1 if turn is not None else horizon + 1
            counts["early" if week < j10 else "late" if week > j90 else "inside"] += 1
        evaluated = counts["inside"] + counts["early"] + counts["late"]
        results.append({
            "horizon_weeks": horizon, "cutoff": cutoff.isoformat(), "forecasts": len(forecasts),
            "judged": evaluated, **counts,
            "coverage": round(counts["inside"] / evaluated, 3) if evaluated else None,
        })
    return results


def create_backtest(con: duckdb.DuckDBPyConnection, as_of: dt.date, table: str = "forecast_backtest") -> None:
    """The backtest of this publication's own history, kept with it (the methodology page)."""
    rows = backtest(con, as_of)
    con.execute(f"""CREATE TABLE {table} (horizon_weeks INTEGER, cutoff DATE, forecasts INTEGER, judged INTEGER,
                    inside INTEGER, early INTEGER, late INTEGER, left_queue INTEGER, coverage DOUBLE)""")
    con.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [[r[k] for k in ("horizon_weeks", "cutoff", "forecasts", "judged", "inside", "early", "late",
                                     "left_queue", "coverage")] for r in rows])
