"""One application's state and numbers at the end of a day (`kezek lookup`, the API)."""

from __future__ import annotations

import datetime as dt

import duckdb

from engine import numbering, store
from engine.application_number import compact, normalise
from engine.schema import NUMBERED_STATUSES
from engine.lookup_index import COLUMNS, STATUS_COLUMNS
from engine.status_detail import status_detail


def snapshot_as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    """The day a snapshot describes: the end of its data (table `meta`)."""
    return dt.date.fromisoformat(con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()[0])


class AfterTheData(ValueError):
    """A day after the snapshot's: the data cannot say what the queue was then, so an
    answer would only be the last known state under a later date (and a date near year
    9999 has no end of day to compute)."""

    def __init__(self, day: dt.date, as_of: dt.date):
        self.day, self.as_of = day, as_of
        self.reason = f"the published data describe the queue up to {as_of.isoformat()}"
        super().__init__(f"{day.isoformat()} is after the snapshot's date: {self.reason}")


def within_the_data(day: dt.date | None, as_of: dt.date) -> None:
    """Raise AfterTheData for a day after `as_of` (the snapshot's date); days before any
    data are fine: nothing was registered yet."""
    if day is not None and day > as_of:
        raise AfterTheData(day, as_of)


def key(number: str, version: int) -> str:
    """What a typed number is looked up by in a snapshot whose keys are of `version` (meta
    `number_key`): one published before keys forgave separators and leading zeros holds
    compact forms, and is found by them until the next update replaces it."""
    return normalise(number) if version >= 2 else compact(number)


def key_version(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT value FROM meta WHERE key = 'number_key'").fetchone()
    return int(row[0]) if row else 1


def the_one(rows: list[tuple], number: str) -> tuple | None:
    """The row of `number` among the rows (application_number first) that share its key.
    Two published numbers that differ only in separators or leading zeros share one: then
    the number must be typed as published (up to case, spaces and look-alikes), and a key
    typed otherwise finds none of them, never another family's application."""
    if len(rows) == 1:
        return rows[0]
    typed = compact(number)
    return next((row for row in rows if compact(row[0]) == typed), None)


# The rows kept at publication (sql/lookups.sql) for a number typed any way: one, unless
# published numbers share its key (`the_one`).
PUBLISHED = f"SELECT {', '.join(COLUMNS)} FROM lookups WHERE number_key = $key"
# The same with what the status rests on, in snapshots that keep it.
PUBLISHED_WITH_STATUS = f"SELECT {', '.join(COLUMNS + STATUS_COLUMNS)} FROM lookups WHERE number_key = $key"


def find(con: duckdb.DuckDBPyConnection, number: str, snapshot: store.Snapshot | None = None) -> dict | None:
    """The application a number typed any way names, as published (its `lookups` row, the
    one place every reader finds an application): application_number, region, locality,
    birth_year, registered_at, and at the snapshot's date its status, privilege and
    queue_number (None when it holds no number, Q2); None when unknown, or when its key is
    shared and it is not typed as published (`the_one`)."""
    version = snapshot.number_key if snapshot is not None else key_version(con)
    row = the_one(con.execute(PUBLISHED, {"key": key(number, version)}).fetchall(), number)
    return None if row is None else dict(zip(
        ("application_number", "region", "locality", "birth_year", "registered_at", "status", "privilege",
         "queue_number"), row))


# Who stands ahead of a numbered application in its segment (Q1), by privilege class, at a
# day other than the snapshot's (the snapshot's own are kept in `lookups`). The merged list
# (Q3: extraordinary first, then first-priority and general in the ruleset's ratio) is the order
# of queue_number (Q4), so "ahead" is simply "a smaller queue_number".
AHEAD = """
SELECT
    count(*) FILTER (WHERE privilege = 'extraordinary') AS extraordinary,
    count(*) FILTER (WHERE privilege = 'first') AS "first",
    count(*) FILTER (WHERE privilege = 'none') AS "none"
FROM ({queue})
WHERE region = $region AND locality = $locality AND birth_year = $birth_year
  AND queue_number < $queue_number
"""

# An application's state at a day other than the snapshot's and, when it is numbered, its
# numbers (NULL otherwise): one query, planned once, over the same state as the numbering.
STATE_AND_NUMBERS = f"""
WITH state AS ({numbering.sql('state_at')}), numbers AS ({numbering.sql('numbering')})
SELECT s.status, s.privilege, s.registered_at, q.queue_number, q.privileged_queue_number, q.segment_size
FROM state AS s LEFT JOIN numbers AS q USING (application_number)
WHERE s.application_number = $n
"""



def lookup(con: duckdb.DuckDBPyConnection, number: str, as_of: dt.date | None = None, *,
           snapshot: store.Snapshot | None = None, with_ahead: bool = False) -> dict | None:
    """The `lookup --json` document (interfaces.md), or None when the number is unknown
    or the application was not yet registered at the end of `as_of`. With `with_ahead`, the
    document also says who stands ahead (`ahead`: counts by privilege class, None when the
    application is not numbered). `snapshot` is the reader's description of `con`'s
    snapshot, when it has one (it saves reading it again). AfterTheData when `as_of` is
    after the snapshot's date."""
    snapshot = snapshot or store.describe(con)
    day = as_of or snapshot.as_of
    within_the_data(day, snapshot.as_of)
    if day == snapshot.as_of and "lookups" in snapshot.tables:  # kept at publication (kezek/pipeline.py)
        typed = key(number, snapshot.number_key)
        row = the_one(snapshot.lookups.rows_of(typed) if snapshot.lookups is not None  # held in memory by a server
                      else con.execute(PUBLISHED_WITH_STATUS if snapshot.status_facts else PUBLISHED,
                                       {"key": typed}).fetchall(), number)
        if row is None or row[4] >= numbering.end_of_day(day):
            return None
        doc = _document(day, *row[:10])
        if with_ahead:
            doc["ahead"] = None if doc["queue_number"] is None else dict(
                zip(("extraordinary", "first", "none"), row[10:13]))
        facts = dict(zip(STATUS_COLUMNS, row[13:])) if snapshot.status_facts else None
        return _completed(con, doc, day, snapshot, facts)
    found = find(con, number, snapshot)
    if found is None:
        return None
    application_number, region, locality, birth_year = (
        found["application_number"], found["region"], found["locality"], found["birth_year"])
    segment = (region, locality, birth_year)
    # The state at the end of the day, with the registration time in force then, and the
    # numbers when it is numbered; none: the application did not exist yet (or, in a series,
    # no list had shown it yet).
    row = con.execute(STATE_AND_NUMBERS, numbering.state_params(day, segment) | {"n": application_number}).fetchone()
    if row is None:
        return None
    status, privilege, registered_at, *numbers = row
    doc = _document(day, application_number, region, locality, birth_year, registered_at, status, privilege, *numbers)
    if with_ahead:
        doc["ahead"] = None
        if doc["queue_number"] is not None:
            counts = con.execute(
                AHEAD.format(queue=numbering.queue_sql()),
                numbering.state_params(day, segment) | dict(zip(("region", "locality", "birth_year"), segment))
                | {"queue_number": doc["queue_number"]},
            ).fetchone()
            doc["ahead"] = dict(zip(("extraordinary", "first", "none"), counts))
    return _completed(con, doc, day, snapshot)


# The kindergartens an application asked for (format 1.1), in its order of preference, each
# with the application's place in that kindergarten's own queue as the city published it:
# `positions` of that kindergarten (its kindergarten_id, or a queue_id that is the
# kindergarten's id), on the latest day up to the lookup's. Kezek computes no such place:
# the rules number the segment's queue only (Q3, Q4).
CHOICES = """
SELECT c.rank, c.kindergarten_id, k.name_kk, k.name_ru, p.queue_number, p.as_of
FROM choices AS c
LEFT JOIN kindergartens AS k USING (kindergarten_id)
LEFT JOIN (
    SELECT coalesce(kindergarten_id, queue_id) AS kindergarten_id, queue_number, as_of FROM positions
    WHERE application_number = $n AND queue_id IS NOT NULL AND as_of <= $day
    QUALIFY row_number() OVER (PARTITION BY coalesce(kindergarten_id, queue_id)
                               ORDER BY as_of DESC, queue_number, queue_id) = 1
) AS p ON p.kindergarten_id = c.kindergarten_id
WHERE c.application_number = $n
ORDER BY c.rank
"""
CHOICE_FIELDS = ("rank", "kindergarten_id", "name_kk", "name_ru", "queue_number", "as_of")


def choices(con: duckdb.DuckDBPyConnection, application_number: str, day: dt.date,
            snapshot: store.Snapshot) -> list[dict]:
    """The `choices` of the lookup document: [] when the snapshot has none (a dataset
    without choices publishes no such table)."""
    if "choices" not in snapshot.tables:
        return []
    rows = con.execute(CHOICES, {"n": application_number, "day": day}).fetchall()
    return [dict(zip(CHOICE_FIELDS, (*r[:5], r[5] and r[5].isoformat()))) for r in rows]


def _completed(con, doc: dict, day: dt.date, snapshot: store.Snapshot, facts: dict | None = None) -> dict:
    doc["choices"] = choices(con, doc["application_number"], day, snapshot)
    # No ruleset covers the region (engine/ruleset.py): Kezek numbers no one there.
    doc["rules_unknown"] = doc["region"] in snapshot.rules_unknown
    # What the status means: since when, where, and until when under the rules in force.
    doc["status_detail"] = status_detail(con, doc, day, snapshot, facts)
    return doc


def _document(day: dt.date, application_number, region, locality, birth_year, registered_at, status, privilege,
              queue_number, privileged_queue_number, segment_size) -> dict:
    return {
        "application_number": application_number,
        "as_of": day.isoformat(),
        "region": region,
        "locality": locality,
        "birth_year": birth_year,
        "registered_at": registered_at.isoformat(timespec="seconds"),
        "privilege": privilege,
        "status": status,
        "in_queue": status in NUMBERED_STATUSES,
        "queue_number": queue_number,
        "privileged_queue_number": privileged_queue_number,
        "segment_size": segment_size,
    }
