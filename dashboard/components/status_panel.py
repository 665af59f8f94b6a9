"""What a status means for a parent, in plain words: since when, which kindergarten, by when
to act and what happens then (the lookup document's `status_detail`, engine/status_detail.py).
Not a page of its own: `lookup.py` draws it instead of a queue number for every status but
`queued`. The date a status began is observed; a deadline is computed by rules, and said so."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import context, labels
from i18n import N_, date, number, t, tn

MEANING = {
    "notified": N_("lookup.meaning_notified"),
    "referred": N_("lookup.meaning_referred"),
    "stop_list": N_("lookup.meaning_stop_list"),
    "inactive": N_("lookup.meaning_inactive"),
    "enrolled": N_("lookup.meaning_enrolled"),
    "withdrawn": N_("lookup.meaning_withdrawn"),
    "removed": N_("lookup.meaning_removed"),
    "aged_out": N_("lookup.meaning_aged_out"),
    "left": N_("lookup.meaning_left"),
}
UNTIL = {  # the status's deadline (engine/status_detail.py DEADLINES), in words
    "notified": N_("lookup.until_notified"),
    "referred": N_("lookup.until_referred"),
    "stop_list": N_("lookup.until_stop_list"),
    "inactive": N_("lookup.until_inactive"),
}
THEN = {  # A2: what follows a window left unanswered (on_window_missed)
    "stay_in_queue": N_("lookup.then_stay_in_queue"),
    "stop_list": N_("lookup.then_stop_list"),
    "inactive": N_("lookup.then_inactive"),
}
PERIOD = {"working_day": N_("lookup.period_working_day"), "calendar_day": N_("lookup.period_calendar_day")}
# Statuses that keep a number (Q2) but get no new offer (E3): the number is said, not as a wait.
HOLDING = ("notified", "referred", "stop_list")


def kindergarten(detail: dict, lang: str, escape=context.md) -> str:
    """The kindergarten's name in the visitor's language where published, else the other one."""
    names = (detail["name_kk"], detail["name_ru"]) if lang == "kk" else (detail["name_ru"], detail["name_kk"])
    name = next((n for n in names if n), detail["kindergarten_id"])
    return escape(name) if name else t("lookup.kindergarten_unknown", lang)


def deadline(until: str, lang: str) -> str:
    """An exclusive end as a parent reads it: 00:00 is the end of the day before."""
    end = dt.datetime.fromisoformat(until)
    if end.time() == dt.time():
        return t("lookup.end_of_day", lang, day=date(end.date() - dt.timedelta(days=1), lang))
    return t("lookup.at_time", lang, day=date(end.date(), lang), time=end.strftime("%H:%M"))


def period(detail: dict, lang: str) -> str:
    if detail["unit"] == "hour_of_day":
        return t("lookup.period_hour", lang, hour=detail["value"])
    return tn(PERIOD[detail["unit"]], detail["value"], lang) if detail["unit"] in PERIOD else str(detail["value"])


def sentences(doc: dict, lang: str, escape=context.md) -> tuple[list[str], str | None]:
    """The plain words for the status of `doc`: the sentences of the message, and the note
    on how its deadline was found (None without one). `escape` makes data safe where the
    words go: Markdown on the dashboard, plain text (escaped later as HTML) on the light page."""
    status, detail = doc["status"], doc.get("status_detail") or {}
    label = labels.status(status, lang)
    since = detail.get("since")
    out = [t("lookup.status_since", lang, status=label, since=date(since, lang, with_time=True)) if since
           else t("lookup.status_now", lang, status=label)]
    if status in MEANING:
        out.append(t(MEANING[status], lang, kindergarten=kindergarten(detail, lang, escape) if detail else ""))
    if status in HOLDING and doc["queue_number"] is not None:
        out.append(t("lookup.number_kept", lang, queue_number=number(doc["queue_number"], lang)))
    if status == "stop_list":
        out.append(t("lookup.why_annulled", lang) if detail.get("event") == "referral_annulled"
                   else t("lookup.why_unknown", lang))
    if status == "inactive":
        out.append(t("lookup.restore", lang))
    note = None
    if status in UNTIL:
        if detail.get("until"):
            out.append(t(UNTIL[status], lang, until=deadline(detail["until"], lang)))
            data_end = dt.datetime.combine(dt.date.fromisoformat(doc["as_of"]) + dt.timedelta(days=1), dt.time())
            if dt.datetime.fromisoformat(detail["until"]) < data_end:  # the data still show it, the rules ended it
                out.append(t("lookup.deadline_passed", lang, as_of=date(doc["as_of"], lang)))
            note = t("lookup.deadline_computed", lang, ruleset=detail["ruleset"], period=period(detail, lang),
                     rule=detail["rule"])
        elif doc.get("rules_unknown"):
            out.append(t("lookup.deadline_rules_unknown", lang, region=escape(doc["region"])))
        else:  # the ruleset in force has no such rule (e.g. no restoring of an inactive application)
            out.append(t("lookup.no_deadline", lang))
    if status == "notified" and detail.get("on_window_missed") in THEN:
        out.append(t(THEN[detail["on_window_missed"]], lang))
    if status == "stop_list" and detail.get("max_annulments"):
        out.append(tn("lookup.stop_list_todo", detail["max_annulments"], lang,
                      annulments=number(detail["annulments"], lang)))
    return out, note


def show(doc: dict, lang: str) -> None:
    said, note = sentences(doc, lang)
    # A referral or an enrolment is good news; a status that blocks offers is a warning.
    box = st.success if doc["status"] in ("referred", "enrolled", "notified") else st.warning
    box("\n\n".join(said), icon=":material/info:")
    if note:
        st.caption(note)
