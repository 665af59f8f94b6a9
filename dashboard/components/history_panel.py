"""The Lookup page's answer to "why did my number change?": the number day by day as a
chart, and each change split into its causes in words (engine/history.py). Not a page of
its own: `lookup.py` draws it under the number."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import charts, context
from dashboard.components.causes import causes_words, summary
from i18n import date, number, t
from engine.history import history

DAY = "history:day"  # widget key; URL parameter ?day=YYYY-MM-DD: the change explained


def explain(day: dict, lang: str) -> str:
    """One sentence: on that day the number went from A to B, because …"""
    before = day["queue_number"] - day["change"]
    return t("history.why", lang, day=date(day["date"], lang), before=number(before, lang),
             after=number(day["queue_number"], lang), causes=causes_words(day["causes"], lang))


def show(doc: dict, lang: str) -> None:
    """The history of the looked-up application, up to the lookup's day."""
    import datetime as dt

    found = context.query(history, doc["application_number"], None, dt.date.fromisoformat(doc["as_of"]))
    if found.get("rules_unknown"):  # nothing numbered by rules: the city's own places instead
        places(found["places"], doc, lang)
        return
    st.subheader(t("history.title", lang))
    numbered = [d for d in found["days"] if d["queue_number"] is not None]
    if len(numbered) < 1:
        st.caption(t("history.none", lang))
        return
    said = summary(found, lang)
    if said:  # the whole history in one sentence, before the day by day
        st.markdown(said)
    chart = pd.DataFrame({"day": [d["date"] for d in numbered] + [doc["as_of"]],
                          "queue_number": [d["queue_number"] for d in numbered] + [numbered[-1]["queue_number"]]})
    fig = px.line(chart, x="day", y="queue_number", line_shape="hv", markers=True,
                  labels={"day": t("column.date", lang), "queue_number": t("column.queue_number", lang)})
    charts.date_axis(fig, chart["day"], lang)
    charts.count_axis(fig, chart["queue_number"], from_zero=False)  # a number's moves, not its size
    context.style_figure(fig, lang, height=260)
    context.chart(fig, alt=t("history.chart_alt", lang))
    changes = {d["date"]: d for d in reversed(found["days"]) if d["change"]}  # newest first
    if not changes:
        st.caption(t("history.unchanged", lang))
        return
    chosen = context.select(st, t("history.day", lang), list(changes), key=DAY, param="day",
                            format_func=lambda v: date(v, lang))
    st.info(explain(changes[chosen], lang), icon=":material/help:")
    table = pd.DataFrame([{
        "date": date(d["date"], lang), "queue_number": d["queue_number"], "change": d["change"],
        "causes": causes_words(d["causes"], lang),
    } for d in changes.values()])
    st.dataframe(table, hide_index=True, column_config={
        "date": t("column.date", lang),
        "queue_number": st.column_config.NumberColumn(t("column.queue_number", lang), format="%d"),
        "change": st.column_config.NumberColumn(t("column.change", lang), format="%+d"),
        "causes": t("column.causes", lang),
    })
    every = pd.DataFrame([{"date": d["date"], "queue_number": d["queue_number"],
                           "privileged_queue_number": d["privileged_queue_number"], "change": d["change"],
                           **{f"cause_{c}": n for c, n in d["causes"].items()}} for d in found["days"]])
    causes = [c for c in every.columns if c.startswith("cause_")]
    every[causes] = every[causes].fillna(0).astype(int)  # 0: that cause did not move the number that day
    context.download(every.astype({"queue_number": "Int64", "privileged_queue_number": "Int64"}),
                     "queue_number_history", lang)


def places(rows: list[dict], doc: dict, lang: str) -> None:
    """The places the city published for the application in each chosen kindergarten's queue,
    day by day (observed, never computed): a line per queue, and the days a place changed."""
    st.subheader(t("history.places_title", lang))
    if not rows:
        st.caption(t("history.places_none", lang))
        return
    names = {c["kindergarten_id"]: next((n for n in ((c["name_kk"], c["name_ru"]) if lang == "kk" else
                                                     (c["name_ru"], c["name_kk"])) if n), c["kindergarten_id"])
             for c in doc.get("choices", [])}
    table = pd.DataFrame(rows)
    table["kindergarten"] = [names.get(k, k) for k in table["kindergarten_id"]]
    fig = px.line(table, x="date", y="queue_number", color="queue_id", line_shape="hv", markers=True,
                  hover_name="kindergarten",
                  labels={"date": t("column.date", lang), "queue_number": t("column.published_place", lang),
                          "queue_id": t("column.kindergarten_queue", lang)})
    charts.date_axis(fig, table["date"], lang)
    charts.count_axis(fig, table["queue_number"], from_zero=False)
    fig.update_layout(legend={"orientation": "h", "y": -0.3})
    context.style_figure(fig, lang, height=320)
    context.chart(fig, alt=t("history.places_alt", lang))
    moved = table[table["change"].notna() & (table["change"] != 0)].iloc[::-1]  # newest first
    if moved.empty:
        st.caption(t("history.places_unchanged", lang))
    else:
        st.dataframe(pd.DataFrame({"date": [date(d, lang) for d in moved["date"]], "kindergarten": moved["kindergarten"],
                                   "queue_number": moved["queue_number"], "change": moved["change"].astype(int)}),
                     hide_index=True, column_config={
                         "date": t("column.date", lang), "kindergarten": t("column.kindergarten", lang),
                         "queue_number": st.column_config.NumberColumn(t("column.published_place", lang), format="%d"),
                         "change": st.column_config.NumberColumn(t("column.change", lang), format="%+d")})
    st.caption(t("history.places_note", lang))
    context.download(table[["date", "kindergarten_id", "queue_id", "queue_number", "change"]]
                     .astype({"change": "Int64"}), "published_places_history", lang)
