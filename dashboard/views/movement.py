"""Queue movement: the queue's length per birth year week by week, and what moved it
(new applications, notifications of a place, referrals, enrolments)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import charts, context, queries
from i18n import N_, date, number, t, tn
from engine.what_if import what_if

REGION, LOCALITY, WEEKS = "movement:region", "movement:locality", "movement:weeks"
WHAT_IF_YEAR, WHAT_IF_PLACES = "movement:what_if_year", "movement:what_if_places"
MOST_PLACES = 100_000  # places the what-if tool takes at once
PERIODS = {"13": N_("movement.weeks_13"), "26": N_("movement.weeks_26"), "52": N_("movement.weeks_52"),
           "all": N_("movement.weeks_all")}
FLOWS = {
    "new_applications": N_("movement.new_applications"),
    "notifications": N_("movement.notifications"),
    "referrals": N_("movement.referrals"),
    "enrolments": N_("movement.enrolments"),
}


def filters(lang: str) -> tuple[str, str, int | None]:
    """Region and settlement (when the data hold more than one) and the period."""
    settlements = context.query(queries.settlements)
    regions = sorted({r for r, _ in settlements})
    everything = t("filter.all", lang)
    columns = iter(st.columns(3 if len(settlements) > 1 else 2))
    region = locality = ""
    if len(settlements) > 1:
        region = context.select(next(columns), t("filter.region", lang), regions, key=REGION, param="region",
                                everything=everything)
        localities = sorted({loc for r, loc in settlements if not region or r == region})
        locality = context.select(next(columns), t("filter.locality", lang), localities, key=LOCALITY,
                                  param="locality", everything=everything)
    period = context.select(next(columns), t("movement.period", lang), list(PERIODS), key=WEEKS,
                            param="weeks", default="52", format_func=lambda v: t(PERIODS[v], lang))
    return region, locality, None if period == "all" else int(period)


def week_label(week, lang: str) -> str:
    return date(pd.Timestamp(week).date(), lang)


def length_chart(length: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Line per birth year; returns the table behind it (a row per week, a column per year)."""
    wide = (length.pivot(index="week", columns="birth_year", values="children")
            .fillna(0).astype("int64").sort_index(axis=1, ascending=False))
    chart = length.assign(year=length["birth_year"].astype(str))
    fig = px.line(
        chart.sort_values(["birth_year", "week"]),
        x="week",
        y="children",
        color="year",
        color_discrete_map=context.year_colours(chart["year"]),
        category_orders={"year": sorted(chart["year"].unique(), reverse=True)},
        markers=len(wide) <= 30,
        labels={"week": t("column.week", lang), "children": t("column.children", lang),
                "year": t("column.birth_year", lang)},
    )
    charts.count_axis(fig, chart["children"])
    charts.date_axis(fig, chart["week"], lang)
    context.style_figure(fig, lang, height=360)
    context.chart(fig, alt=t("movement.length_alt", lang))
    return wide


def flows_chart(flows: pd.DataFrame, lang: str) -> None:
    long = flows.melt(id_vars="week", value_vars=list(FLOWS), var_name="kind", value_name="count")
    long["kind"] = long["kind"].map(lambda k: t(FLOWS[k], lang))
    fig = px.line(
        long,
        x="week",
        y="count",
        color="kind",
        markers=len(flows) <= 30,
        labels={"week": t("column.week", lang), "count": t("column.count", lang), "kind": ""},
    )
    charts.count_axis(fig, long["count"])
    charts.date_axis(fig, long["week"], lang)
    context.style_figure(fig, lang, height=360)
    context.chart(fig, alt=t("movement.flows_alt", lang))


def summary(length: pd.DataFrame, flows: pd.DataFrame, lang: str, day: dt.date) -> None:
    """The last whole week in words (the publication's own week is usually cut short):
    what happened and how long the queue was at its end."""
    whole = len(flows) > 1 and day.weekday() != 6  # Sunday ends a week
    last = flows.iloc[-2] if whole else flows.iloc[-1]
    monday = pd.Timestamp(last["week"]).date()
    end = min(monday + dt.timedelta(days=6), day)
    at_end = length[length["week"] == pd.Timestamp(monday)] if not length.empty else length
    total = int(at_end["children"].sum()) if not at_end.empty else 0
    st.markdown(t(
        "movement.summary", lang,
        week=date(monday, lang), day=date(end, lang),
        new_applications=number(last["new_applications"], lang),
        notifications=number(last["notifications"], lang),
        referrals=number(last["referrals"], lang),
        enrolments=number(last["enrolments"], lang),
        children=number(total, lang),
    ))


def one_place(region: str, locality: str, lang: str) -> tuple[str, str] | None:
    """The settlement chosen, or the only one in the data; None (and a word asking to
    choose one) when there are several."""
    if region and locality:
        return region, locality
    settlements = context.query(queries.settlements)
    if len(settlements) == 1:
        return settlements[0]
    st.info(t("movement.what_if_choose_place", lang))
    return None


def front_chart(day: dt.date, weeks: int | None, region: str, locality: str, lang: str) -> None:
    """How far the front of each birth year's queue reached, week by week (A1)."""
    st.subheader(t("movement.front_title", lang))
    st.caption(t("movement.front_note", lang))
    place = one_place(region, locality, lang)
    if place is None:
        return
    front = context.cached(queries.front_by_week, day, weeks, *place)
    if front.empty:
        st.info(t("movement.front_none", lang))
        return
    chart = front.assign(year=front["birth_year"].astype(str))
    fig = px.line(chart, x="week", y="front", color="year", markers=True,
                  color_discrete_map=context.year_colours(chart["year"]),
                  category_orders={"year": sorted(chart["year"].unique(), reverse=True)},
                  labels={"week": t("column.week", lang), "front": t("column.front", lang),
                          "year": t("column.birth_year", lang)})
    charts.date_axis(fig, chart["week"], lang)
    charts.date_axis(fig, chart["front"], lang, axis="y")
    context.style_figure(fig, lang, height=360)
    context.chart(fig, alt=t("movement.front_alt", lang))
    context.download(front.assign(week=front["week"].dt.date), "front_by_week", lang,
                     filters=[("region", place[0]), ("locality", place[1]), ("weeks", weeks or "all")])


def what_if_tool(region: str, locality: str, lang: str) -> None:
    """N more places for one birth year in one settlement: who would get them (A1) and how
    far the front of the queue would move."""
    st.subheader(t("movement.what_if_title", lang))
    st.caption(t("movement.what_if_intro", lang))
    place = one_place(region, locality, lang)
    if place is None:
        return
    region, locality = place
    years = context.query(queries.queue_birth_years, region, locality)
    if not years:
        st.info(t("movement.no_queue", lang))
        return
    left, right = st.columns(2)
    year = context.select(left, t("column.birth_year", lang), years, key=WHAT_IF_YEAR, param="what_if_year",
                          default=str(years[0]))
    if WHAT_IF_PLACES not in st.session_state:  # the widget refuses a value outside its bounds
        st.session_state[WHAT_IF_PLACES] = context.url_number("what_if_places", 1, MOST_PLACES) or 100
    seats = right.number_input(t("movement.what_if_places", lang), min_value=1, max_value=MOST_PLACES, step=10,
                               key=WHAT_IF_PLACES)
    context.keep_in_url("what_if_places", str(int(seats)))
    result = context.query(what_if, region, locality, int(year), int(seats))
    placed = tn("movement.what_if_placed", result["placed"], lang,
                extraordinary=number(result["extraordinary"], lang), first=number(result["first"], lang),
                general=number(result["general"], lang))
    st.markdown(tn("movement.what_if_result", int(seats), lang, birth_year=year, place=context.md(locality),
                   placed=placed))
    if result["front_after"] is not None:
        st.markdown(t("movement.what_if_front", lang, before=number(result["front_before"], lang),
                      after=number(result["front_after"], lang)))
    if result["general_reached"] is not None:
        st.markdown(t("movement.what_if_general", lang, day=date(result["general_reached"], lang)))
    if result["placed"] < int(seats):
        st.markdown(tn("movement.what_if_free", result["waiting"], lang,
                       free=tn("movement.what_if_free_places", int(seats) - result["placed"], lang)))
    st.caption(t("movement.what_if_note", lang))


def main() -> None:
    lang = context.language()
    meta = context.header(t("movement.title", lang), t("movement.intro", lang), lang)
    day = dt.date.fromisoformat(meta["as_of"])
    region, locality, weeks = filters(lang)
    chosen = [("region", region), ("locality", locality), ("weeks", weeks or "all")]
    length = context.cached(queries.queue_length_by_week, day, weeks, region, locality)
    flows = context.cached(queries.flows_by_week, day, weeks, region, locality)
    if flows.empty:
        st.info(t("movement.none", lang))
        return
    summary(length, flows, lang, day)
    if not context.query(queries.has_events):
        st.info(t("movement.no_events", lang))

    st.subheader(t("movement.length_title", lang))
    st.caption(t("movement.length_note", lang))
    if length.empty:
        st.info(t("movement.no_queue", lang))
    else:
        wide = length_chart(length, lang)
        with st.expander(t("chart.as_table", lang), icon=":material/table:"):
            table = wide.reset_index()
            table.columns = [str(c) for c in table.columns]
            table["week"] = table["week"].map(lambda w: week_label(w, lang))
            st.dataframe(table.iloc[::-1], hide_index=True,
                         column_config={"week": t("column.week", lang)})
        context.download(length.assign(week=length["week"].dt.date), "queue_length_by_week", lang,
                         filters=chosen)

    st.subheader(t("movement.flows_title", lang))
    flows_chart(flows, lang)
    if day.weekday() != 6:  # the publication's own week has not ended yet
        monday = day - dt.timedelta(days=day.weekday())
        st.caption(t("movement.partial_week", lang, week=date(monday, lang), day=date(day, lang)))
    with st.expander(t("chart.as_table", lang), icon=":material/table:"):
        table = flows.assign(week=flows["week"].map(lambda w: week_label(w, lang))).iloc[::-1]
        st.dataframe(table, hide_index=True, column_config={
            "week": t("column.week", lang),
            **{k: st.column_config.NumberColumn(t(v, lang), format="%d") for k, v in FLOWS.items()},
        })
    context.download(flows.assign(week=flows["week"].dt.date), "flows_by_week", lang, filters=chosen)
    front_chart(day, weeks, region, locality, lang)
    what_if_tool(region, locality, lang)


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
