"""Vacancies: places announced in the bulletins, per birth year of the children."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from dashboard import context, queries
from dashboard.i18n import date, number, t


def main() -> None:
    lang = context.language()
    st.title(t("vacancies.title", lang))
    st.write(t("vacancies.intro", lang))
    per_year = context.query(queries.vacancies_by_birth_year)
    if per_year.empty:
        st.info(t("vacancies.none", lang))
        return
    first, last = context.query(queries.vacancy_period)
    st.caption(t("vacancies.period", lang, first=date(first, lang), last=date(last, lang)))
    st.metric(t("vacancies.total", lang), number(per_year["seats"].sum(), lang))

    chart = per_year.assign(year=per_year["birth_year"].astype(str))
    fig = px.bar(
        chart,
        x="year",
        y="seats",
        text=chart["seats"].map(lambda n: number(n, lang)),
        labels={"year": t("column.birth_year", lang), "seats": t("column.seats", lang)},
        height=340,
    )
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=sorted(chart["year"]))
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_yaxes(tickformat=",d")
    # Decimal and thousands separators as the language writes them: 2 233, 2,233.
    fig.update_layout(margin={"l": 0, "r": 0, "t": 20, "b": 0},
                      separators=".," if lang == "en" else ",\u00a0")
    st.plotly_chart(fig, config={"displayModeBar": False, "scrollZoom": False})

    st.markdown("\n".join(
        "- " + t("vacancies.for_year", lang, birth_year=row.birth_year, seats=number(row.seats, lang))
        for row in per_year.itertuples()
    ))
    st.dataframe(
        per_year,
        hide_index=True,
        column_config={
            "birth_year": st.column_config.NumberColumn(t("column.birth_year", lang), format="%d"),
            "seats": st.column_config.NumberColumn(t("column.seats", lang), format="plain"),
            "bulletins": st.column_config.NumberColumn(t("column.bulletins", lang), format="plain"),
            "kindergartens": st.column_config.NumberColumn(t("column.kindergartens", lang),
                                                           format="plain"),
        },
    )
    st.download_button(
        t("download.csv", lang),
        data=per_year.to_csv(index=False).encode("utf-8-sig"),
        file_name="vacancies_by_birth_year.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
    )


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
