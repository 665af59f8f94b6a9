"""One application's queue number day by day, and why it changed (rules Q1-Q4).

At the end of a day, an application of list L (its privilege class) at rank r in L has
(Q3, Q4) the queue number

    extraordinary:            E_ahead + 1
    first-priority, general:  E + r + min(O, slots(L, r))

where E counts the numbered extraordinary applications of the segment (E_ahead those
registered before it), O the numbered applications of the other list, and slots(L, r)
the places Q3's interleaving gives the other list before the r-th of L (the merge key of
macros.sql less r - 1, under the ratio in force in the region that day). Every count is a
sum of +1 (an application enters a list: registered, privilege changed, reactivated …)
and -1 (it leaves: enrolled, withdrawn, removed, aged out, deactivated, privilege
changed …) steps, so a day's change is split exactly:

- the steps of extraordinary applications (all of them, or those ahead for an
  extraordinary application), and of one's own list ahead, each by the event that made it;
- the other list's steps, by event, when all of that list stands ahead (O <= slots);
  otherwise the part that moved the number is `interleaving` (Q3);
- `interleaving` also for the other list's places gained or lost as one's own rank moved;
- `own_privilege` on a day one's own list changed: the whole change.

The causes of a day add up to its change; tests/test_history.py checks it on random data
and that every number equals `kezek lookup --as-of` for that day.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from engine import numbering
from engine.lookup import find, snapshot_as_of


def history(con: duckdb.DuckDBPyConnection, number: str, first: dt.date | None = None,
            last: dt.date | None = None, *, every_day: bool = False) -> dict | None:
    """The history document of interfaces.md for a number typed any way, or None if unknown;
    with `places`, the city's own places in kindergartens' queues (format 1.1), and
    `rules_unknown` where no ruleset covers the region (no `days`: nothing is numbered there).

    Days run from `first` (default: the day of registration) to `last` (default: the
    snapshot's day); the document lists the days on which the number changed or the
    application entered or left the queue (`every_day`: every day, for tests).
    """
    found = find(con, number)
    if found is None:
        return None
    application_number, region, locality, birth_year, registered_at = (
        found[k] for k in ("application_number", "region", "locality", "birth_year", "registered_at"))
    if first and last and first > last:
        raise ValueError("the first day is after the last")
    # Nothing changes before the registration or after the data end: the days computed
    # stay within them, however wide the range asked for (a year 9999 costs nothing).
    as_of = snapshot_as_of(con)
    last = min(last or as_of, as_of)
    # A series was observed from its first snapshot: no day before it is shown as if it had
    # been (the numbers there would be rebuilt from the applications still listed).
    since = observed_since(con)
    entered = (registered_at if since is None else entered_at(con, application_number, registered_at)).date()
    first = max(first or entered, entered)
    if since is not None:
        first = max(first, since)
    head = {"application_number": application_number, "observed_since": since and since.isoformat()}
    places = published_places(con, application_number, first, last)
    if region in rules_unknown(con):
        # No ruleset covers the region: Kezek numbers no one there, and a number rebuilt by
        # other rules would be an invention. What was observed are the city's own places.
        return {**head, "rules_unknown": True, "days": [], "places": places}
    if first > last:
        return {**head, "rules_unknown": False, "days": [], "places": places}
    rows = con.execute(numbering.with_spans("history"), {
        "number": application_number, "region": region, "locality": locality, "birth_year": birth_year,
        "registered_at": registered_at, "first": first, "last": last,
    }).fetchall()
    days = [
        {"date": day.isoformat(), "queue_number": queue_number, "privileged_queue_number": privileged,
         "change": change, "causes": dict(causes)}
        for day, queue_number, privileged, change, moved, causes in rows
        if every_day or change or moved or (since is not None and day == since)
    ]
    if since is not None and days and days[0]["date"] == since.isoformat():
        days[0].update(change=0, causes={})  # the first day observed: where the history starts, not a move
    return {**head, "rules_unknown": False, "days": days, "places": places}


# The places a city published for the application in each chosen kindergarten's queue
# (positions with a queue_id, format 1.1), every day it published one: observed, never
# computed. `change` against the day before it was published in that queue (NULL the first time).
PLACES = """
SELECT as_of, coalesce(kindergarten_id, queue_id) AS kindergarten_id, queue_id, queue_number,
       queue_number - lag(queue_number) OVER (PARTITION BY queue_id ORDER BY as_of) AS change
FROM positions
WHERE application_number = $n AND queue_id IS NOT NULL AND as_of <= $last
QUALIFY as_of >= $first
ORDER BY as_of, kindergarten_id, queue_id
"""


def published_places(con: duckdb.DuckDBPyConnection, number: str, first: dt.date, last: dt.date) -> list[dict]:
    if not con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'positions' "
                       "AND column_name = 'kindergarten_id'").fetchone()[0]:
        return []  # published before format 1.1's kindergarten queues
    rows = con.execute(PLACES, {"n": number, "first": first, "last": last}).fetchall()
    return [{"date": d.isoformat(), "kindergarten_id": k, "queue_id": q, "queue_number": n, "change": c}
            for d, k, q, n, c in rows]


def rules_unknown(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The regions no ruleset covers (meta `rules_unknown`)."""
    row = con.execute("SELECT value FROM meta WHERE key = 'rules_unknown'").fetchone()
    return json.loads(row[0]) if row else []


def entered_at(con: duckdb.DuckDBPyConnection, number: str, registered_at: dt.datetime) -> dt.datetime:
    """When the application entered the queue: its registration, or in a series the earliest
    registration time a list gave it, and not before a list first showed it (sql/spans.sql)."""
    earliest, first_seen = con.execute(
        "SELECT min(CAST(reason AS TIMESTAMP)) FILTER (WHERE event = 'registration_changed'), "
        "min(seen_in) FILTER (WHERE event = 'registered') FROM events WHERE application_number = $n AND derived",
        {"n": number}).fetchone()
    return max(min(registered_at, earliest or registered_at), first_seen or registered_at)


def observed_since(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The day of a series' first snapshot, or None for a publication of a status log."""
    row = con.execute("SELECT value FROM meta WHERE key = 'observed_since'").fetchone()
    return dt.datetime.fromisoformat(row[0]).date() if row else None
