"""One segment's simulated futures held in memory, so that every waiting application of the
segment is forecast without simulating again.

forecast.sql simulates a segment's next years (400 paths of 260 weeks) and then finds, for
each target, the first week of each path in which the number is reached. Simulating is
nearly all of the cost (about 0.1 s a segment at the national preset) and depends only on
the segment; the target enters only through three figures: how many waiting applications
stand up to it (`waiting`), the share of the queue ahead of it and whether it is general.
So a server simulates a segment once per snapshot (the same SQL, stopped before the
answer) and answers each target from the paths with a few array operations: on allocation
day the forecast of a parent's number costs well under a millisecond once a neighbour of
the same segment has asked.

The answer is the SQL's, exactly: the same running totals, compared in the same order of
operations, the same discrete percentiles (tests/test_forecast.py compares both for every
waiting application of a publication).

The backtest kept with each publication (forecast.backtest) forecasts 3 000 applications in
a few hundred segments at each cutoff the same way: simulate_segments runs forecast.sql once
for all of those segments up to their weekly moves and sums each path here, and
reached_weeks answers the targets of each segment together (tests/test_forecast.py compares
its weeks with forecast.sql's for every target of the Almaty demo's backtest).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

import duckdb
import numpy as np

from engine import forecast as model_sql
from engine import numbering

# The running totals of every path, and the expected totals over the next 52 weeks.
PATHS_ANSWER = """
SELECT p.path, p.j, p.offers, p.leavers, p.insertions,
       y.offers AS yearly_offers, y.leavers AS yearly_leavers, y.insertions AS yearly_insertions
FROM paths AS p, yearly AS y
ORDER BY p.path, p.j
"""

# The segment's queue in order, to count the waiting applications up to each number.
QUEUE = f"""
SELECT queue_number, status IN ({model_sql.WAITING_SQL}) AS waiting
FROM queue
WHERE region = $region AND locality IS NOT DISTINCT FROM $locality AND birth_year = $birth_year
ORDER BY queue_number
"""

# One row standing for the segment in forecast.sql's targets: the paths depend on it only.
SEGMENT_TARGET = ("SELECT NULL AS target, $region AS region, $locality AS locality, $birth_year AS birth_year, "
                  "0 AS waiting, 0.0 AS share_ahead, false AS general, NULL AS status")

PERCENTS = (10, 50, 90)

# Segments given as lists standing for forecast.sql's targets, each with its index (`segment`):
# the moves depend on the segment only.
SEGMENT_LIST = ("SELECT unnest(CAST($regions AS VARCHAR[])) AS region, "
                "unnest(CAST($localities AS VARCHAR[])) AS locality, "
                "unnest(CAST($birth_years AS INTEGER[])) AS birth_year, unnest(range(len($regions))) AS segment")

# The weekly moves of every path of those segments (forecast.sql up to its running totals),
# each with its place in an array (segment, path, week).
MOVES_ANSWER = """
indexed AS (SELECT DISTINCT segment, region, locality, birth_year FROM targets)
SELECT (i.segment * $paths + m.path) * $weeks + m.j - 1 AS place, m.offers, m.leavers, m.insertions
FROM moves AS m
JOIN indexed AS i ON i.region = m.region AND i.locality IS NOT DISTINCT FROM m.locality
                 AND i.birth_year = m.birth_year
"""


# Targets answered together: (targets, paths, weeks) arrays of a few MB stay in the cache
# (a segment of a small city has thousands of targets; the whole block at once is several
# times slower).
TARGETS_AT_ONCE = 32


def reached_weeks(offers: np.ndarray, leavers: np.ndarray, insertions: np.ndarray, waiting: np.ndarray,
                  share_ahead: np.ndarray, general: np.ndarray) -> np.ndarray:
    """forecast.sql's weeks by which 10, 50 and 90 % of the paths reach each of k targets of one
    segment: the running totals (paths, weeks) and the targets' figures (k,) give (k, 3)."""
    n, weeks = offers.shape
    # DuckDB's quantile_disc: the ceil(n·q)-th smallest value (integer arithmetic: no 400 × 0.1
    # rounding up to 41)
    ranks = [max(1, (n * p + 99) // 100) - 1 for p in PERCENTS]
    found = np.empty((len(waiting), len(PERCENTS)), dtype=np.int64)
    for start in range(0, len(waiting), TARGETS_AT_ONCE):
        at = slice(start, start + TARGETS_AT_ONCE)
        # offers + share_ahead · leavers − insertions (general only) ≥ waiting, as the SQL
        # computes it (the same additions: a + b is b + a in floating point)
        reach = share_ahead[at, None, None] * leavers
        reach += offers
        reach[general[at]] -= insertions
        done = reach >= waiting[at, None, None]
        week = np.where(done.any(axis=2), done.argmax(axis=2) + 1, weeks + 1)
        week.sort(axis=1)
        found[at] = week[:, ranks]
    return found


def simulate_segments(con: duckdb.DuckDBPyConnection, segments: list[tuple], as_of: dt.date, weeks: int,
                      model: model_sql.Model = model_sql.MODEL, first: dt.date | None = None) -> tuple:
    """The running totals of offers, leavers and insertions, each (segments, paths, weeks), of
    the `segments` (region, locality, birth_year) in one run of forecast.sql: its weekly moves,
    summed along each path here (the SQL's window over millions of rows costs several times
    the moves). The sums are the window's up to the last bits of a double (the additions come
    in another order): a week would differ only where a total fell within about 1e-12 of a
    whole number of applications."""
    head = numbering.sql("forecast").split("paths AS MATERIALIZED (", 1)[0].replace("{targets}", SEGMENT_LIST)
    regions, localities, birth_years = (list(column) for column in zip(*segments))
    moves = con.execute(head + MOVES_ANSWER, {"regions": regions, "localities": localities, "birth_years": birth_years}
                        | model_sql.parameters(con, as_of, model, weeks, first)).fetchnumpy()
    shape = (len(segments), model.paths, weeks)
    assert len(moves["place"]) == np.prod(shape)  # every week of every path, once
    totals = []
    for name in ("offers", "leavers", "insertions"):
        flat = np.empty(np.prod(shape))
        flat[moves["place"]] = moves[name]  # in place without sorting
        totals.append(flat.reshape(shape).cumsum(axis=2))
    return tuple(totals)


@dataclass(frozen=True)
class SegmentPaths:
    """The simulated paths of one segment at one publication."""

    offers: np.ndarray  # (paths, weeks): running totals along each path
    leavers: np.ndarray
    insertions: np.ndarray
    yearly: tuple[float, float, float]  # offers, leavers, insertions over the next 52 weeks
    queue_numbers: np.ndarray  # the segment's queue numbers in order
    waiting_up_to: np.ndarray  # waiting applications up to and including each of them

    @property
    def weeks(self) -> int:
        return self.offers.shape[1]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.offers, self.leavers, self.insertions, self.queue_numbers,
                                      self.waiting_up_to))

    @classmethod
    def simulate(cls, con: duckdb.DuckDBPyConnection, segment: tuple, as_of: dt.date,
                 model: model_sql.Model = model_sql.MODEL, first: dt.date | None = None) -> SegmentPaths:
        region, locality, birth_year = segment
        where = {"region": region, "locality": locality, "birth_year": birth_year}
        head = numbering.sql("forecast").split("\n-- answer:", 1)[0].replace("{targets}", SEGMENT_TARGET)
        paths = con.execute(head + PATHS_ANSWER, where | model_sql.parameters(con, as_of, model, first=first)).fetchnumpy()
        shape = (model.paths, len(paths["j"]) // model.paths)
        queue = con.execute(QUEUE, where).fetchnumpy()
        return cls(
            offers=np.asarray(paths["offers"], dtype=np.float64).reshape(shape),
            leavers=np.asarray(paths["leavers"], dtype=np.float64).reshape(shape),
            insertions=np.asarray(paths["insertions"], dtype=np.float64).reshape(shape),
            yearly=tuple(float(paths[k][0]) for k in ("yearly_offers", "yearly_leavers", "yearly_insertions")),
            queue_numbers=np.asarray(queue["queue_number"], dtype=np.int64),
            waiting_up_to=np.cumsum(np.asarray(queue["waiting"], dtype=np.int64)),
        )

    def answer(self, queue_number: int, segment_size: int, general: bool) -> dict:
        """forecast.sql's row for the application numbered `queue_number` (as run() returns it,
        without the dates)."""
        at = int(np.searchsorted(self.queue_numbers, queue_number, side="right")) - 1
        waiting = int(self.waiting_up_to[at])
        share_ahead = queue_number / segment_size
        (weeks,) = reached_weeks(self.offers, self.leavers, self.insertions, np.array([waiting]),
                                 np.array([share_ahead]), np.array([general]))
        offers, leavers, insertions = self.yearly
        return {
            "waiting": waiting,
            "weeks": tuple(int(w) for w in weeks),
            "offers_next_year": round(offers or 0),
            "leavers_ahead_next_year": round(leavers * share_ahead or 0),
            "insertions_ahead_next_year": round((insertions if general else 0) or 0),
        }


class SegmentPathsCache:
    """The paths of the segments asked for lately, per publication: bounded by bytes (a
    segment's paths take about 2.5 MB), each segment simulated once even when many ask at
    the same moment."""

    def __init__(self, max_bytes: int = 160 * 2**20):
        self.max_bytes = max_bytes
        self._held: OrderedDict[tuple, SegmentPaths] = OrderedDict()
        self._lock = threading.Lock()
        self._simulating: dict[tuple, threading.Lock] = {}

    def held(self, snapshot: str, segment: tuple) -> SegmentPaths | None:
        """The segment's paths if they are simulated already (nothing is computed)."""
        key = (snapshot, *segment)
        with self._lock:
            if key in self._held:
                self._held.move_to_end(key)
                return self._held[key]
            return None

    def get(self, con: duckdb.DuckDBPyConnection, snapshot: str, segment: tuple, as_of: dt.date) -> SegmentPaths:
        """The segment's paths, simulated now if they are not held."""
        key = (snapshot, *segment)
        with self._lock:
            if key in self._held:
                self._held.move_to_end(key)
                return self._held[key]
            one = self._simulating.setdefault(key, threading.Lock())
        with one:  # a crowd of one segment waits for one simulation
            with self._lock:
                if key in self._held:
                    return self._held[key]
            try:
                paths = SegmentPaths.simulate(con, segment, as_of)
            finally:
                with self._lock:
                    self._simulating.pop(key, None)
            with self._lock:
                self._held[key] = paths
                while sum(p.nbytes for p in self._held.values()) > self.max_bytes and len(self._held) > 1:
                    self._held.popitem(last=False)
            return paths


def segment_of(doc: dict) -> tuple:
    return doc["region"], doc["locality"], doc["birth_year"]


def waiting(doc: dict) -> bool:
    """Whether the application of the lookup document `doc` gets a forecast with dates."""
    return doc["status"] in model_sql.WAITING and doc["queue_number"] is not None


def forecast_from(paths: SegmentPaths | None, doc: dict, first: dt.date | None) -> dict:
    """forecast.forecast's document for the application of the lookup document `doc` (at the
    snapshot's date) from its segment's paths (None: it is not waiting, no paths needed);
    `first` is the snapshot's first_allocation_week."""
    as_of = dt.date.fromisoformat(doc["as_of"])
    found = model_sql.outline(doc["application_number"], as_of, first)
    if not waiting(doc):
        return found
    row = paths.answer(doc["queue_number"], doc["segment_size"], doc["privilege"] == "none")
    return model_sql.completed(found, model_sql.dated(row, as_of, paths.weeks))


def held_forecast(cache: SegmentPathsCache, con: duckdb.DuckDBPyConnection, snapshot: str, doc: dict,
                  first: dt.date | None) -> dict:
    """forecast_from the paths held in `cache`, simulated now if they are not."""
    as_of = dt.date.fromisoformat(doc["as_of"])
    return forecast_from(cache.get(con, snapshot, segment_of(doc), as_of) if waiting(doc) else None, doc, first)
