"""Vacancies: places announced in the bulletins, per birth year of the children (as the
akimat publishes them), by district and language, and week by week."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import charts, context, labels, queries
from i18n import date, number, t, tn

# Widget keys; the URL parameters are the part after the colon: ?district=…&language=kk
REGION, DISTRICT, LANGUAGE = "vacancies:region", "vacancies:district", "vacancies:language"


def filters(lang: str) -> dict[str, str]:
    everything = t("filter.all", lang)
    choices = context.query(queries.vacancy_choices)
    active = any(context.url_choice(k) or st.session_state.get(f"vacancies:{k}")
                 for k in ("region", "district", "language"))
    with st.expander(t("vacancies.filters", lang), expanded=bool(active), icon=":material/filter_list:"):
        left, middle, right = st.columns(3)
        region = ""
        if len(choices["region"]) > 1:
            region = context.select(left, t("filter.region", lang), choices["region"], key=REGION,
                                    param="region", everything=everything)
        choices = context.query(queries.vacancy_choices, region)
        district = context.select(middle, t("filter.district", lang), choices["district"], key=DISTRICT,
                                  param="district", everything=everything)
        language = context.select(right, t("filter.language", lang), choices["language"], key=LANGUAGE,
                                  param="language", everything=everything,
                                  format_func=lambda v: labels.language(v, lang))
    return {"region": region, "district": district, "language": language}


def per_birth_year(per_year: pd.DataFrame, filters: dict[str, str], lang: str) -> None:
    chart = per_year.assign(year=per_year["birth_year"].astype(str))
    fig = px.bar(
        chart,
        x="year",
        y="seats",
        text=chart["seats"].map(lambda n: number(n, lang)),
        labels={"year": t("column.birth_year", lang), "seats": t("column.seats", lang)},
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=sorted(chart["year"]))
    fig.update_traces(textposition="outside", cliponaxis=False)
    charts.count_axis(fig, chart["seats"])
    context.style_figure(fig, lang)
    context.chart(fig, alt=t("vacancies.chart_alt", lang))

    # The table as the akimat published it: "2015 жылы туған балалар үшін 1240 бос орын".
    lines = [t("vacancies.for_year", lang, birth_year=row.birth_year, seats=number(row.seats, lang))
             for row in per_year.itertuples()]
    lines.append(tn("vacancies.in_all", per_year["seats"].sum(), lang))
    st.markdown("\n".join(f"- {line}" for line in lines[:-1]) + f"\n\n**{lines[-1]}**")
    st.dataframe(
        per_year,
        hide_index=True,
        column_config={
            "birth_year": st.column_config.NumberColumn(t("column.birth_year", lang), format="%d"),
            "seats": st.column_config.NumberColumn(t("column.seats", lang), format="%d"),
            "bulletins": st.column_config.NumberColumn(t("column.bulletins", lang), format="%d"),
            "kindergartens": st.column_config.NumberColumn(t("column.kindergartens", lang), format="%d"),
        },
    )
    context.download(per_year, "vacancies_by_birth_year", lang, filters=filters.items())


def pivot(long: pd.DataFrame, index: str) -> pd.DataFrame:
    """Places with a row per `index` value and a column per birth year (youngest first)."""
    wide = long.pivot_table(index=index, columns="birth_year", values="seats", aggfunc="sum", fill_value=0)
    wide = wide[sorted(wide.columns, reverse=True)]
    wide["total"] = wide.sum(axis=1)
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()


def by_district_and_language(filters: dict[str, str], lang: str) -> None:
    st.subheader(t("vacancies.by_district", lang))
    long = context.query(queries.vacancies_by_district, **filters)
    districts = long.assign(district=long["district"].replace("", t("vacancies.no_district", lang)))
    per_district = districts.groupby(["district", "language"], as_index=False)["seats"].sum()
    per_district["language"] = per_district["language"].map(lambda v: labels.language(v, lang))
    fig = px.bar(per_district, y="district", x="seats", color="language", orientation="h",
                 text=per_district["seats"].map(lambda n: number(n, lang)),
                 labels={"district": t("column.district", lang), "seats": t("column.seats", lang),
                         "language": t("column.language", lang)})
    fig.update_yaxes(categoryorder="category descending", title=None)
    charts.count_axis(fig, per_district.groupby("district")["seats"].sum(), axis="x")  # stacked by language
    context.style_figure(fig, lang, height=max(220, 60 + 40 * per_district["district"].nunique()))
    context.chart(fig, alt=t("vacancies.district_alt", lang))
    total = t("column.total", lang)
    year_columns = {str(y): st.column_config.NumberColumn(str(y), format="%d")
                    for y in long["birth_year"].unique()}
    st.dataframe(pivot(districts, "district"), hide_index=True, column_config={
        "district": t("column.district", lang), **year_columns,
        "total": st.column_config.NumberColumn(total, format="%d")})
    languages = long.assign(language=long["language"].map(lambda v: labels.language(v, lang)))
    st.dataframe(pivot(languages, "language"), hide_index=True, column_config={
        "language": t("column.language", lang), **year_columns,
        "total": st.column_config.NumberColumn(total, format="%d")})
    context.download(long, "vacancies_by_district_and_language", lang, filters=filters.items())


def by_week(filters: dict[str, str], lang: str) -> None:
    st.subheader(t("vacancies.by_week", lang))
    weekly = context.query(queries.vacancies_by_week, **filters)
    chart = weekly.assign(year=weekly["birth_year"].astype(str)).sort_values(["birth_year", "week"])
    fig = px.bar(chart, x="week", y="seats", color="year",
                 color_discrete_map=context.year_colours(chart["year"]),
                 category_orders={"year": sorted(chart["year"].unique(), reverse=True)},
                 labels={"week": t("column.week", lang), "seats": t("column.seats", lang),
                         "year": t("column.birth_year", lang)})
    charts.date_axis(fig, chart["week"], lang)
    charts.count_axis(fig, chart.groupby("week")["seats"].sum())  # stacked: the week's places
    context.style_figure(fig, lang)
    context.chart(fig, alt=t("vacancies.week_alt", lang))
    view = weekly.assign(week=weekly["week"].map(lambda w: date(w.date(), lang)))
    st.dataframe(view, hide_index=True, column_config={
        "week": t("column.week", lang),
        "birth_year": st.column_config.NumberColumn(t("column.birth_year", lang), format="%d"),
        "seats": st.column_config.NumberColumn(t("column.seats", lang), format="%d"),
        "bulletins": st.column_config.NumberColumn(t("column.bulletins", lang), format="%d"),
    })
    context.download(weekly.assign(week=weekly["week"].dt.date), "vacancies_by_week", lang,
                     filters=filters.items())


def main() -> None:
    lang = context.language()
    context.header(t("vacancies.title", lang), t("vacancies.intro", lang), lang)
    chosen = filters(lang)
    per_year = context.query(queries.vacancies_by_birth_year, **chosen)
    if per_year.empty:
        st.info(t("vacancies.none", lang))
        return
    first, last = context.query(queries.vacancy_period, **chosen)
    st.caption(t("vacancies.period", lang, first=date(first, lang), last=date(last, lang)))
    st.metric(t("vacancies.total", lang), number(per_year["seats"].sum(), lang))
    per_birth_year(per_year, chosen, lang)
    by_district_and_language(chosen, lang)
    by_week(chosen, lang)


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
