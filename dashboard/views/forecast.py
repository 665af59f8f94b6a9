"""The Lookup page's answer to "when will my turn come?": a date range (10th, 50th, 90th
percentile) and the assumptions it rests on, in words (engine/forecast.py). Not a page of
its own: `lookup.py` draws it under the number's history."""

from __future__ import annotations

import streamlit as st

from dashboard import context
from i18n import date, number, t
from engine.forecast import MODEL, WAITING, forecast


def show(doc: dict, lang: str) -> None:
    if not doc["in_queue"] or doc["queue_number"] is None:
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
        st.info(t("forecast.too_little_history", lang, weeks=found["history_weeks"], needed=MODEL.min_history),
                icon=":material/hourglass_empty:")
        return
    if p50 is None:
        st.warning(t("forecast.not_within", lang, years=years), icon=":material/hourglass_empty:")
    elif p90 is None:
        st.info(t("forecast.range_open", lang, p10=p10, p50=p50, years=years), icon=":material/event:")
    else:
        st.info(t("forecast.range", lang, p10=p10, p50=p50, p90=p90), icon=":material/event:")
    lines = [t("forecast.waiting", lang, n=number(found["waiting_ahead"], lang)),
             t("forecast.offers", lang, n=number(found["offers_next_year"], lang)),
             t("forecast.leavers", lang, n=number(found["leavers_ahead_next_year"], lang))]
    if doc["privilege"] == "none":
        lines.append(t("forecast.insertions", lang, n=number(found["insertions_ahead_next_year"], lang)))
    st.markdown(f"**{t('forecast.assumptions', lang)}**\n\n" + "\n".join(f"- {line}" for line in lines))
    st.caption(t("forecast.caveat", lang))
