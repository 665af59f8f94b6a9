"""Overview, the landing page: the queue per birth year and region, this month's and this
year's places, referrals and enrolments, and how fresh the data are."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import charts, context, queries, staleness
from engine.application_number import MAX_LENGTH
from i18n import date, number, t

REGION = "overview:region"  # widget key; the URL parameter is ?region=
NUMBER = "overview:app"  # the number box's widget key


def legacy_lookup_link() -> None:
    """Links to `/?app=NUMBER` (the lookup was the landing page once) still open the lookup."""
    if st.query_params.get("app"):
        st.switch_page("views/lookup.py", query_params=st.query_params.to_dict())


def number_box(lang: str) -> None:
    """The number box, first: most visitors come to find their child's place, and on a phone
    the statistics below would hide the way to it. Checking opens the lookup (`/lookup?app=…`)."""
    with st.form("overview:lookup", enter_to_submit=True):
        st.subheader(t("lookup.title", lang), anchor=False)
        st.text_input(t("lookup.number_label", lang), key=NUMBER, max_chars=MAX_LENGTH,
                      placeholder=t("lookup.number_placeholder", lang), autocomplete="off")
        checked = st.form_submit_button(t("lookup.submit", lang), type="primary")
    typed = (st.session_state.get(NUMBER) or "").strip()
    if checked and typed:
        st.switch_page("views/lookup.py", query_params={"app": typed, "lang": lang})


def region_filter(lang: str) -> str:
    regions = sorted({region for region, _ in context.query(queries.settlements)})
    if len(regions) < 2:
        return ""
    return context.select(st, t("filter.region", lang), regions, key=REGION, param="region",
                          everything=t("filter.all", lang))


def queue_charts(per_year: pd.DataFrame, lang: str) -> None:
    """Children per birth year, and per region when there are several (a stacked bar of
    twenty regions would be unreadable)."""
    totals = per_year.groupby("birth_year", as_index=False)["children"].sum()
    totals = totals.assign(year=totals["birth_year"].astype(str))
    fig = px.bar(
        totals,
        x="year",
        y="children",
        text=totals["children"].map(lambda n: number(n, lang)),
        labels={"year": t("column.birth_year", lang), "children": t("column.children", lang)},
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=sorted(totals["year"]))
    charts.count_axis(fig, totals["children"])
    fig.update_traces(textposition="outside", cliponaxis=False)
    context.style_figure(fig, lang, height=320)
    context.chart(fig, alt=t("overview.chart_alt", lang))
    if per_year["region"].nunique() < 2:
        return
    regions = per_year.groupby("region", as_index=False)["children"].sum().sort_values("children")
    fig = px.bar(
        regions,
        x="children",
        y="region",
        orientation="h",
        text=regions["children"].map(lambda n: number(n, lang)),
        labels={"region": t("column.region", lang), "children": t("column.children", lang)},
    )
    charts.count_axis(fig, regions["children"], axis="x")
    fig.update_xaxes(range=[0, regions["children"].max() * 1.18])  # room for the labels
    fig.update_yaxes(title=None)
    fig.update_traces(textposition="outside", cliponaxis=False)
    context.style_figure(fig, lang, height=80 + 26 * len(regions))
    context.chart(fig, alt=t("overview.region_alt", lang))


def pivot(per_year: pd.DataFrame) -> pd.DataFrame:
    """A row per region, a column per birth year (youngest first) and the total."""
    wide = per_year.pivot_table(index="region", columns="birth_year", values="children", aggfunc="sum",
                                fill_value=0)
    wide = wide[sorted(wide.columns, reverse=True)]
    wide["total"] = wide.sum(axis=1)
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()


def activity_table(activity: pd.DataFrame, lang: str, day: dt.date) -> None:
    month, year = (activity.set_index("period").loc[p] for p in ("month", "year"))
    month_start, year_start = day.replace(day=1), day.replace(month=1, day=1)
    rows = [
        (t("overview.places", lang), month["seats"], year["seats"]),
        (t("overview.referrals", lang), month["referrals"], year["referrals"]),
        (t("overview.enrolments", lang), month["enrolments"], year["enrolments"]),
    ]
    lines = [
        f"| | {t('overview.this_month', lang, day=date(month_start, lang))} "
        f"| {t('overview.this_year', lang, day=date(year_start, lang))} |",
        "|:--|--:|--:|",
    ]
    lines += [f"| {label} | **{number(m, lang)}** | **{number(y, lang)}** |" for label, m, y in rows]
    st.markdown("\n".join(lines))


def freshness(meta: dict[str, str], lang: str) -> None:
    newest = context.query(queries.freshness)

    def when(value) -> str:
        return date(value, lang, with_time=True) if value is not None else "—"

    since = staleness.last_update(context.reader().home, meta.get("published_at"))
    rows = [
        (t("overview.as_of", lang), date(meta["as_of"], lang)),
        (t("overview.published", lang), context.published(meta, lang)),
        (t("overview.last_update", lang), context.moment(since.isoformat(), meta.get("timezone"), lang)
         if since else "—"),  # later than the publication when a run found the sources unchanged
        (t("overview.last_application", lang), when(newest["last_application"])),
        (t("overview.last_event", lang), when(newest["last_event"])),
        (t("overview.last_bulletin", lang), when(newest["last_bulletin"])),
    ]
    st.markdown("\n".join(f"- {label}: **{context.md(value)}**" for label, value in rows))


def main() -> None:
    legacy_lookup_link()
    lang = context.language()
    number_box(lang)
    meta = context.header(t("overview.title", lang), t("overview.intro", lang), lang)
    region = region_filter(lang)
    day = dt.date.fromisoformat(meta["as_of"])

    per_year = context.cached(queries.queue_by_region_and_birth_year, region)
    total = int(per_year["children"].sum()) if not per_year.empty else 0
    st.metric(t("overview.in_queue", lang), number(total, lang))
    if per_year.empty:
        st.info(t("overview.no_queue", lang))
    else:
        st.subheader(t("overview.by_birth_year", lang))
        queue_charts(per_year, lang)
        table = pivot(per_year)
        st.dataframe(
            table,
            hide_index=True,
            column_config={
                "region": t("column.region", lang),
                **{c: st.column_config.NumberColumn(c, format="%d") for c in table.columns[1:-1]},
                "total": st.column_config.NumberColumn(t("column.total", lang), format="%d"),
            },
        )
        context.download(per_year, "queue_by_region_and_birth_year", lang, filters=[("region", region)])

    st.subheader(t("overview.activity", lang))
    activity = context.cached(queries.activity, day, region)
    activity_table(activity, lang, day)
    periods = {"month": t("overview.this_month", lang, day=date(day.replace(day=1), lang)),
               "year": t("overview.this_year", lang, day=date(day.replace(month=1, day=1), lang))}
    context.download(activity.assign(period=activity["period"].map(periods)), "activity", lang,
                     filters=[("region", region)])

    st.subheader(t("overview.freshness", lang))
    freshness(meta, lang)
    st.page_link("views/about.py", label=t("overview.more", lang), icon=":material/info:")


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
