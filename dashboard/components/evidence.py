"""A finding's evidence as a small table a reader can scan: each item by its name in the
page's language, each value in words — statuses, privileges, events and channels by the
portals' names, dates as the language writes them, the applications passed over as their
numbers — never the audit's keys or a JSON text (engine/audit/sql writes the evidence)."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from dashboard import labels
from dashboard.components.status_panel import period
from i18n import N_, date, decimal, number, t

# The evidence's items, in the order the audit writes them within a finding.
ITEM = {
    "act": N_("evidence.act"),
    "age_years": N_("evidence.age_years"),
    "announced_at": N_("evidence.announced_at"),
    "annulled_at": N_("evidence.annulled_at"),
    "annulments": N_("evidence.annulments"),
    "applications_between": N_("evidence.applications_between"),
    "arrivals_ahead": N_("evidence.arrivals_ahead"),
    "as_of": N_("evidence.as_of"),
    "as_of_before": N_("evidence.as_of_before"),
    "block_rule": N_("evidence.block_rule"),
    "block_since": N_("evidence.block_since"),
    "block_until": N_("evidence.block_until"),
    "bulletin_kindergarten_id": N_("evidence.bulletin_kindergarten_id"),
    "channel": N_("evidence.channel"),
    "checked_at": N_("evidence.checked_at"),
    "confirmed_at": N_("evidence.confirmed_at"),
    "days_before": N_("evidence.days_before"),
    "days_moved": N_("evidence.days_moved"),
    "deadline": N_("evidence.deadline"),
    "departures_ahead": N_("evidence.departures_ahead"),
    "ended_at": N_("evidence.ended_at"),
    "ended_by": N_("evidence.ended_by"),
    "event": N_("evidence.event"),
    "extended_at": N_("evidence.extended_at"),
    "first_priority_ahead_of_turn": N_("evidence.first_priority_ahead_of_turn"),
    "first_priority_offers": N_("evidence.first_priority_offers"),
    "general_waiting": N_("evidence.general_waiting"),
    "issued_at": N_("evidence.issued_at"),
    "last_event_at": N_("evidence.last_event_at"),
    "listed_registered_later": N_("evidence.listed_registered_later"),
    "min_age": N_("evidence.min_age"),
    "notified_at": N_("evidence.notified_at"),
    "offers": N_("evidence.offers"),
    "offset": N_("evidence.offset"),
    "ownership": N_("evidence.ownership"),
    "passed_over": N_("evidence.passed_over"),
    "passed_over_count": N_("evidence.passed_over_count"),
    "previous_snapshot": N_("evidence.previous_snapshot"),
    "privilege": N_("evidence.privilege"),
    "problem": N_("evidence.problem"),
    "published": N_("evidence.published"),
    "published_before": N_("evidence.published_before"),
    "published_privileged": N_("evidence.published_privileged"),
    "queue_number": N_("evidence.queue_number"),
    "ratio": N_("evidence.ratio"),
    "recomputed": N_("evidence.recomputed"),
    "recomputed_privileged": N_("evidence.recomputed_privileged"),
    "referrals": N_("evidence.referrals"),
    "referrals_holding_seats": N_("evidence.referrals_holding_seats"),
    "registered_after": N_("evidence.registered_after"),
    "registered_at": N_("evidence.registered_at"),
    "registered_before": N_("evidence.registered_before"),
    "seats": N_("evidence.seats"),
    "seen_in": N_("evidence.seen_in"),
    "status": N_("evidence.status"),
    "status_at": N_("evidence.status_at"),
    "status_before": N_("evidence.status_before"),
    "status_from_events": N_("evidence.status_from_events"),
    "unexplained": N_("evidence.unexplained"),
    "valid": N_("evidence.valid"),
    "window": N_("evidence.window"),
    "window_closed_at": N_("evidence.window_closed_at"),
    "window_closes_at": N_("evidence.window_closes_at"),
}
EVENT = {  # engine/schema.py EVENT_STATUS, and the events a series derives
    "registered": N_("event.registered"),
    "stop_list_ended": N_("event.stop_list_ended"),
    "reactivated": N_("event.reactivated"),
    "referral_cancelled": N_("event.referral_cancelled"),
    "interest_confirmed": N_("event.interest_confirmed"),
    "notified": N_("event.notified"),
    "referral_issued": N_("event.referral_issued"),
    "referral_extended": N_("event.referral_extended"),
    "privilege_confirmed": N_("event.privilege_confirmed"),
    "referral_annulled": N_("event.referral_annulled"),
    "stop_listed": N_("event.stop_listed"),
    "deactivated": N_("event.deactivated"),
    "enrolled": N_("event.enrolled"),
    "withdrawn": N_("event.withdrawn"),
    "removed": N_("event.removed"),
    "aged_out": N_("event.aged_out"),
    "left": N_("event.left"),
    "returned": N_("event.returned"),
    "privilege_changed": N_("event.privilege_changed"),
    "registration_changed": N_("event.registration_changed"),
}
PROBLEM = {  # the records that contradict themselves (engine/audit/sql/07_records.sql)
    "event_before_registration": N_("problem.event_before_registration"),
    "event_after_exit": N_("problem.event_after_exit"),
    "status_unexplained": N_("problem.status_unexplained"),
    "referral_kindergarten_mismatch": N_("problem.referral_kindergarten_mismatch"),
    "offer_before_announcement": N_("problem.offer_before_announcement"),
}
ACT = {"offer": N_("act.offer"), "referral": N_("act.referral")}
# A value that is a period in a unit: the unit is said with it ("15 рабочих дней"), not apart.
WITH_UNIT = {"window": "window_unit", "valid": "valid_unit"}
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def word(table: dict[str, str], code: str, lang: str) -> str:
    return t(table[code], lang) if code in table else code  # a code we have no word for, as it is


def value(key: str, v: object, lang: str) -> str:
    """One value of the evidence in words."""
    if v is None:
        return "—"
    if isinstance(v, list):
        return "; ".join(value(key, x, lang) for x in v)
    if isinstance(v, dict):  # an application passed over, waiting, or holding a place
        said = [value(k, x, lang) for k, x in v.items() if k != "application_number"]
        return f"{v.get('application_number', '')} ({', '.join(said)})" if said else str(v.get("application_number"))
    if isinstance(v, int):
        return f"№{number(v, lang)}" if key == "queue_number" else number(v, lang)
    if isinstance(v, float):
        return decimal(v, lang)
    text = str(v)
    if key in ("status", "status_before", "status_from_events"):
        return labels.status(text, lang)
    if key == "privilege":
        return labels.privilege(text, lang)
    if key == "ownership":
        return labels.ownership(text, lang)
    if key == "channel":
        return labels.channel(text, lang)
    if key in ("event", "ended_by"):
        return word(EVENT, text, lang)
    if key == "problem":
        return word(PROBLEM, text, lang)
    if key == "act":
        return word(ACT, text, lang)
    if MOMENT.match(text):
        return date(dt.datetime.fromisoformat(text), lang, with_time=True)
    if DAY.match(text):
        return date(dt.date.fromisoformat(text), lang)
    return text


def rows(evidence: dict, lang: str) -> pd.DataFrame:
    """The evidence as two columns, item and value, in the audit's order."""
    units = set(WITH_UNIT.values())
    out = []
    for key, v in evidence.items():
        if key in units:
            continue
        if key in WITH_UNIT and isinstance(v, int) and evidence.get(WITH_UNIT[key]):
            shown = period({"unit": evidence[WITH_UNIT[key]], "value": v}, lang)
        else:
            shown = value(key, v, lang)
        out.append({"item": word(ITEM, key, lang), "value": shown})
    return pd.DataFrame(out, columns=["item", "value"])
