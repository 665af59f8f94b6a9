"""A plain, slow reading of the rules, for checking the engine on small data.

Written from the text of open-data-format.md ("State of an application at an instant")
and queue-rules.md (Q1–Q4) without looking at the engine's SQL.
"""

from __future__ import annotations

import datetime as dt

STATUS_OF_EVENT = {
    "registered": "queued", "stop_list_ended": "queued", "reactivated": "queued",
    "referral_cancelled": "queued", "interest_confirmed": "queued", "notified": "notified",
    "referral_issued": "referred", "referral_extended": "referred", "privilege_confirmed": "referred",
    "referral_annulled": "stop_list", "stop_listed": "stop_list", "deactivated": "inactive",
    "enrolled": "enrolled", "withdrawn": "withdrawn", "removed": "removed", "aged_out": "aged_out",
}
NUMBERED = {"queued", "notified", "referred", "stop_list"}


def state(app: dict, events: list[dict], day: dt.date):
    """(status, privilege) at the end of `day`, or None before registration.
    `events` are this application's, in file order."""
    until = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
    if app["registered_at"] >= until:
        return None
    past = [(e["at"], i, e) for i, e in enumerate(events) if e["at"] < until]
    past.sort(key=lambda x: (x[0], x[1]))
    status = None
    for _, _, e in past:
        if e["event"] in STATUS_OF_EVENT:
            status = STATUS_OF_EVENT[e["event"]]
    if status is None:
        status_at = app.get("status_at")
        status = app["status"] if status_at is None or status_at < until else "queued"
    privilege = None
    for _, _, e in past:
        if e["event"] in ("registered", "privilege_changed") and e.get("privilege"):
            privilege = e["privilege"]
    if privilege is None:
        changed = any(e["event"] == "privilege_changed" for e in events)
        privilege = "none" if changed else app["privilege"]
    return status, privilege


def queue(apps: list[dict], events: list[dict], day: dt.date) -> dict[str, tuple[int, int, int]]:
    """application_number → (queue_number, privileged_queue_number, segment_size)."""
    by_app: dict[str, list[dict]] = {}
    for e in events:
        by_app.setdefault(e["application_number"], []).append(e)
    segments: dict[tuple, dict[str, list]] = {}
    for app in apps:
        s = state(app, by_app.get(app["application_number"], []), day)
        if s is None or s[0] not in NUMBERED:
            continue
        key = (app["region"], app.get("locality") or app["region"], app["birth_date"].year)
        lists = segments.setdefault(key, {"extraordinary": [], "first": [], "none": []})
        lists[s[1]].append(app)
    out = {}
    for lists in segments.values():
        for name in lists:
            lists[name].sort(key=lambda a: (a["registered_at"], a["application_number"]))
        order = list(lists["extraordinary"])
        p, g = list(lists["first"]), list(lists["none"])
        while p or g:  # Q3: P, G, G, G, … ; the rest of a list once the other is exhausted
            if p:
                order.append(p.pop(0))
            for _ in range(3):
                if g:
                    order.append(g.pop(0))
        privileged = 0
        for n, app in enumerate(order, start=1):
            is_privileged = app in lists["extraordinary"] or app in lists["first"]
            privileged += is_privileged
            out[app["application_number"]] = (n, privileged if is_privileged else 0, len(order))
    return out
