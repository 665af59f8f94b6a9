"""Districts over time, for journalists: per district of the kindergartens and month, the
places announced (published), the referrals issued (observed) and the audit's findings
(computed by rules); per settlement and month, the queue per announced place — the queue is
kept per settlement (Q1), a district has none of its own.

The view lives in the URL: ?region=…&locality=…&district=…&measure=places|referrals|findings
&months=12|24|all
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import charts, context, queries
from i18n import N_, decimal, t

REGION, LOCALITY, DISTRICT = "districts:region", "districts:locality", "districts:district"
MEASURE, MONTHS = "districts:measure", "districts:months"
NOTHING = "—"  # a figure that does not exist: nothing judged, no places to divide by
MOST_LINES = 20  # districts one chart can tell apart; a country's are chosen by region first
PERIODS = {"12": N_("districts.months_12"), "24": N_("districts.months_24"), "all": N_("districts.months_all")}
# What the chart shows, and whether the figure is published, observed or computed by rules.
MEASURES = {"places": N_("column.seats"), "referrals": N_("movement.referrals"), "findings": N_("column.findings")}
NOTES = {"places": N_("districts.places_note"), "referrals": N_("districts.referrals_note"),
         "findings": N_("districts.findings_note")}
COLUMNS = {"places": N_("column.seats"), "bulletins": N_("column.bulletins"), "referrals": N_("movement.referrals"),
           "findings": N_("column.findings"), "waiting": N_("districts.waiting"),
           "waiting_per_place": N_("districts.waiting_per_place")}


def area(lang: str) -> tuple[str, str, int | None]:
    """Region and settlement (when the data hold more than one) and the period."""
    settlements = context.query(queries.settlements)
    everything = t("filter.all", lang)
    cells = context.grid(3)
    region = locality = ""
    if len({r for r, _ in settlements}) > 1:
        region = context.select(next(cells), t("filter.region", lang), sorted({r for r, _ in settlements}),
                                key=REGION, param="region", everything=everything)
    localities = sorted({loc for r, loc in settlements if loc and (not region or r == region)})
    if len(localities) > 1:
        locality = context.select(next(cells), t("filter.locality", lang), localities, key=LOCALITY,
                                  param="locality", everything=everything)
    period = context.select(next(cells), t("movement.period", lang), list(PERIODS), key=MONTHS, param="months",
                            default="12", format_func=lambda v: t(PERIODS[v], lang))
    return region, locality, None if period == "all" else int(period)


def district_name(code: str, lang: str) -> str:
    return code or t("vacancies.no_district", lang)


def month_axis(fig, months) -> None:
    """One tick per month, in calendar order, months without anything included."""
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=sorted(set(months)))


def districts_chart(shown: pd.DataFrame, measure: str, lang: str) -> None:
    if len(shown.groupby(["region", "locality", "district"])) > MOST_LINES:
        st.info(t("districts.too_many", lang))
        return
    chart = shown.assign(name=shown["district"].map(lambda d: district_name(d, lang)))
    if chart["locality"].nunique() > 1:
        chart["name"] = chart["locality"] + " · " + chart["name"]
    chart = chart.dropna(subset=[measure]).astype({measure: "int64"})
    fig = px.line(chart, x="month", y=measure, color="name", markers=True,
                  labels={"month": t("audit.month", lang), measure: t(MEASURES[measure], lang), "name": ""})
    month_axis(fig, shown["month"])
    charts.count_axis(fig, chart[measure])
    context.style_figure(fig, lang, height=360)
    context.chart(fig, alt=t("districts.chart_alt", lang, measure=t(MEASURES[measure], lang)))


def districts_table(shown: pd.DataFrame, filters, lang: str) -> None:
    """The table and its downloads, named with the `filters` in use ((parameter, value) pairs)."""
    several = shown["locality"].nunique() > 1
    # A month nobody judged reads "—": not a zero, and not the grid's English "None".
    view = shown.assign(district=shown["district"].map(lambda d: district_name(d, lang)),
                        findings=shown["findings"].map(lambda n: NOTHING if pd.isna(n) else str(n)))
    st.dataframe(view, hide_index=True,
                 column_config={
                     "region": t("column.region", lang) if shown["region"].nunique() > 1 else None,
                     "locality": t("column.locality", lang) if several else None,
                     "district": t("column.district", lang),
                     "month": t("audit.month", lang),
                     **{k: st.column_config.NumberColumn(t(COLUMNS[k], lang), format="%d")
                        for k in ("places", "bulletins", "referrals")},
                     "findings": st.column_config.TextColumn(t(COLUMNS["findings"], lang), alignment="right"),
                 })
    context.download(shown, "districts_by_month", lang, filters=filters)


def by_district(day: dt.date, months: int | None, region: str, locality: str, lang: str) -> None:
    st.subheader(t("districts.by_district_title", lang))
    table = context.cached(queries.district_months, day, months, region, locality)
    if table.empty:
        st.info(t("districts.none", lang))
        return
    cells = context.grid(2)
    # The kindergartens the register places in no district are listed under "All" only: their
    # empty name is the empty choice.
    district = context.select(next(cells), t("filter.district", lang), sorted(set(table["district"]) - {""}),
                              key=DISTRICT, param="district", everything=t("filter.all", lang))
    measure = context.select(next(cells), t("districts.measure", lang), list(MEASURES), key=MEASURE,
                             param="measure", default="places", format_func=lambda m: t(MEASURES[m], lang))
    shown = table[table["district"] == district] if district else table
    st.caption(t(NOTES[measure], lang))
    if shown["findings"].isna().any():
        st.caption(t("districts.findings_unknown", lang))
    districts_chart(shown, measure, lang)
    districts_table(shown, {"region": region, "locality": locality, "district": district, "months": months}.items(),
                    lang)


def queue_per_place(day: dt.date, months: int | None, region: str, locality: str, lang: str) -> None:
    st.subheader(t("districts.queue_title", lang))
    st.caption(t("districts.queue_note", lang))
    table = context.cached(queries.queue_per_place, day, months, region, locality)
    if table.empty:
        st.info(t("districts.none", lang))
        return
    if table["waiting_per_place"].isna().all():
        st.info(t("districts.no_places", lang))
    else:
        several = table["locality"].nunique() > 1
        # Every month on the axis; a month without places has no bar (no ratio), not a zero.
        fig = px.bar(table, x="month", y="waiting_per_place", color="locality" if several else None,
                     barmode="group",
                     text=table["waiting_per_place"].map(lambda v: "" if pd.isna(v) else decimal(v, lang)),
                     labels={"month": t("audit.month", lang), "locality": "",
                             "waiting_per_place": t(COLUMNS["waiting_per_place"], lang)})
        month_axis(fig, table["month"])
        fig.update_yaxes(rangemode="tozero")
        fig.update_traces(textposition="outside", cliponaxis=False)
        context.style_figure(fig, lang, height=320)
        context.chart(fig, alt=t("districts.queue_alt", lang))
    view = table.assign(waiting_per_place=table["waiting_per_place"].map(
        lambda v: NOTHING if pd.isna(v) else decimal(v, lang)))
    st.dataframe(view, hide_index=True, column_config={
        "region": t("column.region", lang) if table["region"].nunique() > 1 else None,
        "locality": t("column.locality", lang),
        "month": t("audit.month", lang),
        **{k: st.column_config.NumberColumn(t(COLUMNS[k], lang), format="%d")
           for k in ("waiting", "places", "bulletins")},
        "waiting_per_place": st.column_config.TextColumn(t(COLUMNS["waiting_per_place"], lang), alignment="right"),
    })
    context.download(table, "queue_per_place_by_month", lang,
                     filters={"region": region, "locality": locality, "months": months}.items())


def main() -> None:
    lang = context.language()
    meta = context.header(t("districts.title", lang), t("districts.intro", lang), lang)
    day = dt.date.fromisoformat(meta["as_of"])
    region, locality, months = area(lang)
    by_district(day, months, region, locality, lang)
    queue_per_place(day, months, region, locality, lang)


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
