"""What an application's status means for it: since when it holds, the kindergarten it names
and, where a rule sets one, the deadline under the ruleset in force (`status_detail` of the
lookup document, interfaces.md).

`since`, `event` and the kindergarten are observed: read off the application's events (or,
without events, the register's `status_at`). `until` is computed: the rule's period counted
from the event that opened the status, with the parameter in force then (the snapshot's
`audit_rules`, the values the audit applied) and Kazakhstan's working days
(engine/workdays.py), in the audit's reading of a deadline someone may miss
(engine/audit/sql/00_macros.sql, 'latest': the day of the event is not counted). Where no
ruleset covers the region, nothing is computed.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import duckdb

from engine import numbering, store

# For each status with a deadline: the parameter that sets it and the rule that names it.
# A stop-listed application gets no offer until its stop-list ends: rule E3.
DEADLINES = {
    "notified": ("choice_window", "A2"),
    "referred": ("referral_valid", "A4"),
    "stop_list": ("stop_list_duration", "E3"),
    "inactive": ("inactive_restorable", "A2"),
}
# The rule a status without a deadline rests on, when one does.
RULES = {"enrolled": "A8", "aged_out": "E2"}

# The facts of the application's status at an instant, from its events: the run of
# status-bearing events that put it there and kept it there (no event of another status after
# them), its first event, the event that opened the period a rule counts (a later notification
# or referral starts it again) and the kindergarten or bulletin it names. One application's
# rows of `events`, which is ordered by application: a few blocks read, no join.
FACTS = """
WITH e AS (
    SELECT "at", seq, event, bulletin_id, kindergarten_id,
           count(*) FILTER (WHERE status_after <> $status)
               OVER (ORDER BY "at", seq ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) = 0 AS current
    FROM events
    WHERE application_number = $n AND "at" < $until AND status_after IS NOT NULL
)
SELECT
    min("at") FILTER (WHERE current) AS since,
    arg_min(event, ("at", seq)) FILTER (WHERE current) AS event,
    max("at") FILTER (WHERE current AND event IN ('notified', 'referral_issued', 'stop_listed',
                                                  'referral_annulled', 'deactivated')) AS opened_at,
    max("at") FILTER (WHERE current AND event = 'referral_extended') AS extended_at,   -- A4: once
    arg_max(kindergarten_id, ("at", seq)) FILTER (WHERE current AND kindergarten_id IS NOT NULL) AS kindergarten_id,
    arg_max(bulletin_id, ("at", seq)) FILTER (WHERE current AND bulletin_id IS NOT NULL) AS bulletin_id,
    count(*) FILTER (WHERE event = 'referral_annulled') AS annulments                  -- A4
FROM e
"""
# Without events, the register says since when its status holds (state_at.sql).
REGISTER = "SELECT status_at FROM applications WHERE application_number = $n AND status = $status AND status_at < $until"
# The kindergarten named: a referral's or an enrolment's, else the notified bulletin's.
PLACE = """
SELECT kindergarten_id, name_kk, name_ru FROM kindergartens
WHERE kindergarten_id = coalesce($kindergarten_id, (SELECT kindergarten_id FROM vacancies WHERE bulletin_id = $bulletin_id))
"""
# The parameters in force at an instant in a region, as the audit applied them (audit_rules).
# A region no ruleset covers has no rows: nothing is computed there.
IN_FORCE = """
SELECT parameter, value, unit, ruleset FROM audit_rules
WHERE region = $region AND valid_from <= $at AND $at < valid_until
  AND parameter IN ('choice_window', 'on_window_missed',                        -- A2
                    'referral_valid', 'extension_max', 'max_annulments',         -- A4
                    'stop_list_duration', 'inactive_restorable')                 -- A2, A4; E3 until it ends
"""


def status_detail(con: duckdb.DuckDBPyConnection, doc: dict, day: dt.date, snapshot: store.Snapshot) -> dict | None:
    """The `status_detail` of the lookup document `doc` at the end of `day`; None for a queued
    application (its number and who is ahead say what its status means, and a lookup of a
    waiting child, the common one, stays a read of memory on a server)."""
    status = doc["status"]
    if status == "queued":
        return None
    args = {"n": doc["application_number"], "status": status, "until": numbering.end_of_day(day)}
    since, event, opened_at, extended_at, kindergarten_id, bulletin_id, annulments = con.execute(FACTS, args).fetchone()
    if since is None:  # no event put it there: the register's own date, if it gives one
        row = con.execute(REGISTER, args).fetchone()
        since = row and row[0]
    place = (None, None, None)
    if kindergarten_id or bulletin_id:
        place = con.execute(PLACE, {"kindergarten_id": kindergarten_id, "bulletin_id": bulletin_id}).fetchone() or (
            kindergarten_id, None, None)  # one the register lacks: its id as named
    params = {}
    if "audit_rules" in snapshot.tables and status in DEADLINES:
        at = opened_at or since or args["until"]  # the rules in force when the status was opened
        params = {p: {"value": v, "unit": u, "ruleset": r} for p, v, u, r in con.execute(
            IN_FORCE, {"region": doc["region"], "at": at}).fetchall()}
    detail = {
        "since": since and since.isoformat(timespec="seconds"),
        "event": event,
        "kindergarten_id": place[0],
        "name_kk": place[1],
        "name_ru": place[2],
        "until": None,
        "rule": RULES.get(status),
        "ruleset": None,
        "parameter": None,
        "value": None,
        "unit": None,
        "on_window_missed": None,
        "annulments": annulments or 0,
        "max_annulments": _number(params.get("max_annulments")),
    }
    if status in DEADLINES:
        detail.update(_deadline(status, params, opened_at or since, extended_at))
    return detail


def _deadline(status: str, params: dict, start: dt.datetime | None, extended_at: dt.datetime | None) -> dict:
    """The fields of `status_detail` on the status's deadline, from the parameters in force."""
    parameter, rule = DEADLINES[status]
    out = {"rule": rule}
    if status == "notified" and "on_window_missed" in params:  # A2: what follows a missed window
        out["on_window_missed"] = params["on_window_missed"]["value"]
    found = params.get(parameter)
    if start is None or _number(found) is None:
        return out  # rules unknown, or no such rule in the ruleset in force (value `none`)
    out.update(ruleset=found["ruleset"], parameter=parameter, value=_number(found), unit=found["unit"])
    until = period_end(start, out["value"], found["unit"])
    extension = _number(params.get("extension_max"))
    if status == "referred" and extended_at is not None and extension is not None:
        # A4: extended once, by up to extension_max calendar days (the audit's reading, 06_deadlines.sql)
        until = max(until, extended_at) + dt.timedelta(days=extension)
        out.update(parameter="extension_max", value=extension, unit=params["extension_max"]["unit"])
    out["until"] = until.isoformat(timespec="seconds")
    return out


def _number(row: dict | None) -> int | None:
    """A parameter's value as a number; None when absent or `none` (no such rule)."""
    value = row and row["value"]
    return int(value) if value is not None and str(value).isdigit() else None


def period_end(t: dt.datetime, n: int, unit: str) -> dt.datetime:
    """The end (exclusive) of a period of `n` `unit` after the instant `t`, in the reading of
    audit.period_end(t, n, unit, 'latest'): the day of `t` is not counted; `hour_of_day`
    closes at that hour the same day, or the next day when `t` is past it."""
    day = t.date()
    if unit == "hour_of_day":
        close = dt.datetime.combine(day, dt.time()) + dt.timedelta(hours=n)
        return close if t <= close else close + dt.timedelta(days=1)
    if unit == "calendar_day":
        return dt.datetime.combine(day + dt.timedelta(days=n + 1), dt.time())
    return dt.datetime.combine(nth_working_day_after(day, n) + dt.timedelta(days=1), dt.time())


def nth_working_day_after(day: dt.date, n: int) -> dt.date:
    """The n-th working day of Kazakhstan strictly after `day`."""
    from engine.workdays import from_day, to_day

    return from_day(int(_calendar(day.year).after(to_day(day), n)))


@cache
def _calendar(year: int):
    """Two years of working days from `year`: every period a rule sets (at most weeks) fits."""
    from engine.workdays import WorkCalendar

    return WorkCalendar(year, year + 1)
