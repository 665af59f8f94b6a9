"""An application's recent history (engine/history.py), made once per snapshot for the light
page and the feed, and for a first visit made in the background.

A history replays the application's segment day by day since its registration: a tenth of a
second or more at the national preset, so two cores make about ten a second. On allocation day
most visits to `/n/{number}` are first visits: the light page answers each at once with what
needs no replay and asks here for the history, which a worker thread (dashboard/background.py)
makes; the page shows the last changes from the next visit on, and says so meanwhile. A feed,
whose readers come back every few minutes anyway, waits for its history as before; both keep
it here, trimmed to what they show.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dashboard import background
from dashboard.lru import LRU
from engine.history import history

ENTRIES = 50  # a feed's entries: a reader keeps what it has seen; the newest changes are the news
LAST_CHANGES = 5  # the light page's: a phone screen's worth; the dashboard has them all
# Histories kept: a trimmed one is a few KB, so 20 000 are under 100 MB.
MAX_HISTORIES = 20_000

_kept = LRU(MAX_HISTORIES)


def trimmed(doc: dict) -> dict:
    """What the light page and the feed read of a history document: the last ENTRIES days and
    the one before them (whether a day entered the queue depends on the day before), the last
    changed numbers, the last moved places (where the rules are unknown)."""
    changed = [d for d in doc["days"] if d["change"] and d["queue_number"] is not None]
    return {
        "application_number": doc["application_number"],
        "rules_unknown": doc["rules_unknown"],
        "days": doc["days"][-(ENTRIES + 1):],
        "changes": changed[-LAST_CHANGES:][::-1],  # newest first
        "places": [p for p in doc["places"] if p["change"] != 0][-ENTRIES:],
    }


def known(snapshot: str, application_number: str) -> dict | None:
    """The recent history if it is made already, else None (nothing is computed)."""
    return _kept.get((snapshot, application_number))


def recent(cur: duckdb.DuckDBPyConnection, snapshot: str, application_number: str) -> dict:
    """The recent history, made now if it is not made yet (on `cur`, a cursor of `snapshot`)."""
    found = known(snapshot, application_number)
    if found is None:
        found = trimmed(history(cur, application_number))
        _kept.put((snapshot, application_number), found)
    return found


def ask(home: Path, snapshot: str, application_number: str) -> None:
    """Have the recent history made in the background (dashboard/background.py)."""
    background.worker.ask(home, snapshot, ("history", application_number),
                          lambda cur: recent(cur, snapshot, application_number))
