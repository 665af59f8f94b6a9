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
import threading
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

# The facts of one application's status at an instant (sql/status_facts.sql): a publication
# keeps them for every application at its own day (`lookups`); at another day, or in a snapshot
# published before they were kept, they are read from the application's own events.
ONE = "SELECT $n AS application_number, $status AS status"
FACTS = ("since", "event", "opened_at", "extended_at", "kindergarten_id", "name_kk", "name_ru", "annulments")
# The parameters in force at an instant in a region, as the audit applied them (audit_rules).
# A region no ruleset covers has no rows: nothing is computed there.
# Read once per snapshot (a few hundred rows at the national preset) and chosen in memory.
IN_FORCE = """
SELECT region, valid_from, valid_until, parameter, value, unit, ruleset FROM audit_rules
WHERE parameter IN ('choice_window', 'on_window_missed',                        -- A2
                    'referral_valid', 'extension_max', 'max_annulments',         -- A4
                    'stop_list_duration', 'inactive_restorable')                 -- A2, A4; E3 until it ends
ORDER BY region, parameter, valid_from, ruleset
"""
_rules: dict[str, list[tuple]] = {}  # per snapshot id; a snapshot is immutable
_rules_lock = threading.Lock()


def in_force(con: duckdb.DuckDBPyConnection, snapshot: store.Snapshot, region: str, at: dt.datetime) -> dict:
    """The parameters in force in `region` at the instant `at`, as the audit applied them."""
    rows = _rules.get(snapshot.snapshot)
    if rows is None:
        rows = con.execute(IN_FORCE).fetchall()
        with _rules_lock:
            if len(_rules) >= 4:  # old publications' rules
                _rules.clear()
            _rules[snapshot.snapshot] = rows
    return {p: {"value": v, "unit": u, "ruleset": r} for reg, start, end, p, v, u, r in rows
            if reg == region and start is not None and end is not None and start <= at < end}  # NULL: never


def status_detail(con: duckdb.DuckDBPyConnection, doc: dict, day: dt.date, snapshot: store.Snapshot,
                  kept: dict | None = None) -> dict | None:
    """The `status_detail` of the lookup document `doc` at the end of `day`; None for a queued
    application (its number and who is ahead say what its status means, and a lookup of a
    waiting child, the common one, stays a read of memory on a server). `kept`: the facts the
    publication kept for it (`lookups`' status_* columns), else they are read from its events."""
    status = doc["status"]
    if status == "queued":
        return None
    args = {"n": doc["application_number"], "status": status, "until": numbering.end_of_day(day)}
    if kept is not None:
        facts = {name: kept[f"status_{name}"] for name in FACTS}
    else:
        facts = dict(zip(FACTS, con.execute(numbering.status_facts_sql(ONE, one=True), args).fetchone()[1:]))
    since, event, opened_at, extended_at, annulments = (
        facts[k] for k in ("since", "event", "opened_at", "extended_at", "annulments"))
    place = (facts["kindergarten_id"], facts["name_kk"], facts["name_ru"])
    params = {}
    if "audit_rules" in snapshot.tables and status in DEADLINES:
        at = opened_at or since or args["until"]  # the rules in force when the status was opened
        params = in_force(con, snapshot, doc["region"], at)
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
