"""The Lookup page's answer to "when will my turn come?": a date range (10th, 50th, 90th
percentile) and the assumptions it rests on, in words (engine/forecast.py). Not a page of
its own: `lookup.py` draws it under the number's history."""

from __future__ import annotations

import streamlit as st

from dashboard import context
from i18n import date, t, tn
from engine.forecast import MODEL, WAITING, forecast


def show(doc: dict, lang: str) -> None:
    # No forecast for an application that gets no offers (E3: the stop-list) or has no number:
    # a date would read as a promise the rules do not make.
    if not doc["in_queue"] or doc["queue_number"] is None or doc["status"] == "stop_list":
        return
    st.subheader(t("forecast.title", lang))
    if doc["status"] not in WAITING:  # notified or referred: a place is already on offer
        st.info(t("forecast.has_offer", lang))
        return
    found = context.query(forecast, doc["application_number"])
    if not found["waiting"]:
        return
    p10, p50, p90 = (found[k] and date(found[k], lang) for k in ("p10", "p50", "p90"))
    years = found["horizon_years"]
    if not found["enough_history"]:
        st.info(tn("forecast.too_little_history", found["history_weeks"], lang, needed=MODEL.min_history),
                icon=":material/hourglass_empty:")
        return
    if p50 is None:
        st.warning(tn("forecast.not_within", years, lang), icon=":material/hourglass_empty:")
    elif p90 is None:
        st.info(tn("forecast.range_open", years, lang, p10=p10, p50=p50), icon=":material/event:")
    else:
        st.info(t("forecast.range", lang, p10=p10, p50=p50, p90=p90), icon=":material/event:")
    lines = [tn("forecast.waiting", found["waiting_ahead"], lang),
             tn("forecast.offers", found["offers_next_year"], lang),
             tn("forecast.leavers", found["leavers_ahead_next_year"], lang)]
    if doc["privilege"] == "none":
        lines.append(tn("forecast.insertions", found["insertions_ahead_next_year"], lang))
    st.markdown(f"**{t('forecast.assumptions', lang)}**\n\n" + "\n".join(f"- {line}" for line in lines))
    st.caption(t("forecast.caveat", lang))
