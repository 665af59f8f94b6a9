"""The causes of a queue number's moves in words a parent understands (engine/history.py's
cause keys), and the one sentence that sums up a whole history. Shared by the Lookup page
(history_panel.py) and `kezek lookup --history`: no Streamlit here."""

from __future__ import annotations

from collections import Counter

from i18n import N_, date, number, t, tn

CAUSES = {  # what moved the number, in words; the engine's cause keys (events and two more)
    "registered": N_("cause.registered"),
    "reactivated": N_("cause.reactivated"),
    "privilege_changed": N_("cause.privilege_changed"),
    "enrolled": N_("cause.enrolled"),
    "withdrawn": N_("cause.withdrawn"),
    "removed": N_("cause.removed"),
    "aged_out": N_("cause.aged_out"),
    "deactivated": N_("cause.deactivated"),
    "register_status": N_("cause.register_status"),
    "left": N_("cause.left"),  # a series: gone from the published list, reason not published
    "returned": N_("cause.returned"),
    "registration_changed": N_("cause.registration_changed"),
    "own_registration": N_("cause.own_registration"),
    "interleaving": N_("cause.interleaving"),
    "own_privilege": N_("cause.own_privilege"),
}


def cause_words(cause: str, n: int, lang: str) -> str:
    """'3 fewer ahead of you: children enrolled in a kindergarten' and the like."""
    label = t(CAUSES[cause], lang) if cause in CAUSES else t("cause.other", lang, event=cause)
    if cause in ("own_privilege", "own_registration"):
        return t("history.own", lang, change=f"{n:+d}", cause=label)
    key = N_("history.fewer") if n < 0 else N_("history.more")
    return tn(key, abs(n), lang, cause=label)


def causes_words(causes: dict[str, int], lang: str) -> str:
    """Every cause of a change, those that lowered the number first."""
    return "; ".join(cause_words(c, n, lang) for c, n in sorted(causes.items(), key=lambda x: x[1]))


def summary(found: dict, lang: str) -> str | None:
    """One sentence for a whole history document: the first and the latest number and every
    cause summed over all days ("since registration the number went from 1 274 to 802: 512
    fewer applications ahead of you — children were enrolled …"); None when it never moved."""
    numbered = [d for d in found["days"] if d["queue_number"] is not None]
    totals = Counter()
    for day in found["days"]:
        totals.update(day["causes"])
    totals = {c: n for c, n in totals.items() if n}  # moves that cancelled out moved nothing
    if not numbered or not totals:
        return None
    values = {"first": number(numbered[0]["queue_number"], lang), "last": number(numbered[-1]["queue_number"], lang),
              "causes": causes_words(totals, lang)}
    if found.get("observed_since"):  # a series: nothing before its first snapshot was seen
        return t("history.summary_observed", lang, since=date(found["observed_since"], lang), **values)
    return t("history.summary", lang, **values)
