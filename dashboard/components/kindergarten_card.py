"""One kindergarten's card (on the register page, `?kg=ID`): contacts, groups and
programmes, its vacancy bulletins over time, and the queue pressure of its segments."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import charts, context, labels, queries
from i18n import date, decimal, number, t, tn
from engine.disclosure import SUPPRESSED


def ratio(value: float | None, lang: str) -> str:
    """Children per announced place, with one decimal as the language writes it.

    >>> ratio(2.0, "ru"), ratio(12.345, "en"), ratio(None, "kk")
    ('2,0', '12.3', '—')
    """
    if value is None or pd.isna(value):
        return "—"
    return decimal(value, lang, digits=1)


def facts(row: pd.Series, lang: str) -> None:
    place = row["locality"] if row["locality"] == row["region"] else f"{row['locality']}, {row['region']}"
    district = row["district"] if isinstance(row["district"], str) and row["district"] else "—"
    items = [
        (t("column.address", lang), row["address"] if isinstance(row["address"], str) and row["address"] else "—"),
        (t("column.district", lang), district),
        (t("column.locality", lang), place),
        (t("column.ownership", lang), labels.ownership(row["ownership"], lang)),
        (t("column.languages", lang), labels.languages(row["languages"], lang)),
        (t("column.capacity", lang), number(row["capacity"], lang) if pd.notna(row["capacity"]) else "—"),
        (t("column.phone", lang), row["phone"] if isinstance(row["phone"], str) else "—"),
        (t("column.website", lang), row["website"] if isinstance(row["website"], str) else "—"),
    ]
    st.markdown("\n".join(f"- **{label}:** {context.md(value)}" for label, value in items))


def groups(kindergarten_id: str, lang: str) -> None:
    st.markdown(f"**{t('card.groups', lang)}**")
    found = context.query(queries.groups_of, kindergarten_id)
    if found.empty:
        st.caption(t("card.no_groups", lang))
        return
    enrolled = found["enrolled"].dropna()
    counted = enrolled[enrolled != SUPPRESSED].astype("int64")
    total = number(int(counted.sum()), lang) if len(enrolled) else "—"
    if len(counted) < len(enrolled):  # an exact total would give away the count withheld as "<5"
        total = f"≥ {total}"
    st.markdown(t("card.groups_total", lang, groups=number(len(found), lang),
                  capacity=number(found["capacity"].sum(), lang), enrolled=total))
    view = found.assign(language=found["language"].map(lambda v: labels.language(v, lang)),
                        program=found["program"].fillna(""), name=found["name"].fillna(""))
    st.dataframe(view, hide_index=True, column_order=["name", "birth_year", "language", "capacity", "enrolled", "program"],
                 column_config={
                     "name": t("column.group", lang),
                     "birth_year": st.column_config.NumberColumn(t("column.birth_year", lang), format="%d"),
                     "language": t("column.language", lang),
                     "capacity": st.column_config.NumberColumn(t("column.group_capacity", lang), format="%d"),
                     "enrolled": t("column.enrolled", lang),  # text: "<5" for a small sensitive cell
                     "program": t("column.program", lang),
                 })


def bulletins(kindergarten_id: str, lang: str) -> None:
    st.markdown(f"**{t('card.bulletins', lang)}**")
    found = context.query(queries.bulletins_of, kindergarten_id)
    if found.empty:
        st.caption(t("card.no_bulletins", lang))
        return
    st.markdown(t("card.bulletins_total", lang, bulletins=number(len(found), lang),
                  seats=number(found["seats"].sum(), lang),
                  first=date(found["announced_at"].min().to_pydatetime(), lang),
                  last=date(found["announced_at"].max().to_pydatetime(), lang)))
    per_day = (found.assign(day=found["announced_at"].dt.normalize(), year=found["birth_year"].astype(str))
               .groupby(["day", "year"], as_index=False)["seats"].sum())
    fig = px.bar(per_day, x="day", y="seats", color="year",
                 color_discrete_map=context.year_colours(per_day["year"]),
                 category_orders={"year": sorted(per_day["year"].unique(), reverse=True)},
                 labels={"day": t("column.announced_at", lang), "seats": t("column.seats", lang),
                         "year": t("column.birth_year", lang)})
    charts.date_axis(fig, per_day["day"], lang)
    charts.count_axis(fig, per_day.groupby("day")["seats"].sum())  # stacked: the day's places
    context.style_figure(fig, lang, height=260)
    context.chart(fig, alt=t("card.bulletins_alt", lang))
    view = found.assign(
        announced_at=found["announced_at"].map(lambda v: date(v.to_pydatetime(), lang, with_time=True)),
        language=found["language"].map(lambda v: labels.language(v, lang)),
        group_id=found["group_id"].fillna(""),
    )
    st.dataframe(view, hide_index=True, column_config={
        "bulletin_id": t("column.bulletin", lang),
        "announced_at": t("column.announced_at", lang),
        "birth_year": st.column_config.NumberColumn(t("column.birth_year", lang), format="%d"),
        "language": t("column.language", lang),
        "seats": st.column_config.NumberColumn(t("column.seats", lang), format="%d"),
        "group_id": t("column.group", lang),
    })
    context.download(found, f"bulletins_{kindergarten_id}", lang, key="download:card-bulletins")


def pressure(row: pd.Series, lang: str) -> None:
    st.markdown(f"**{t('card.pressure', lang)}**")
    found = context.query(queries.pressure_of, row["kindergarten_id"])
    if found.empty:
        st.caption(t("card.no_pressure", lang))
        return
    place = row["locality"] if row["locality"] == row["region"] else f"{row['locality']}, {row['region']}"
    lines = []
    for r in found.itertuples():
        if r.seats:
            lines.append(tn("card.pressure_line", r.children, lang, birth_year=r.birth_year, place=context.md(place),
                            places=number(r.seats, lang),
                           ratio=ratio(r.children_per_place, lang)))
        else:
            lines.append(tn("card.pressure_no_places", r.children, lang, birth_year=r.birth_year,
                            place=context.md(place)))
    st.markdown("\n".join(f"- {line}" for line in lines))
    st.caption(t("card.pressure_note", lang))
    st.dataframe(found.assign(children_per_place=found["children_per_place"].map(lambda v: ratio(v, lang))),
                 hide_index=True, column_config={
                     "birth_year": st.column_config.NumberColumn(t("column.birth_year", lang), format="%d"),
                     "children": st.column_config.NumberColumn(t("column.children", lang), format="%d"),
                     "seats": st.column_config.NumberColumn(t("column.places_segment", lang), format="%d"),
                     "seats_here": st.column_config.NumberColumn(t("column.places_here", lang), format="%d"),
                     "children_per_place": t("column.children_per_place", lang),
                 })
    context.download(found, f"queue_pressure_{row['kindergarten_id']}", lang, key="download:card-pressure")


def own_queue(kindergarten_id: str, lang: str) -> None:
    """Format 1.1: how many applications chose it first, and its own queue as the city
    published it; each said only when the data have it, the section only when either is."""
    found = context.query(queries.own_queue, kindergarten_id)
    lines = []
    if found["chosen_first"]:
        lines.append(tn("card.chosen_first", found["chosen_first"], lang))
    if found["queue_length"]:
        lines.append(tn("card.published_queue", found["queue_length"], lang, as_of=date(found["as_of"], lang)))
    if not lines:
        return
    st.markdown(f"**{t('card.choices', lang)}**")
    st.markdown("\n".join(f"- {line}" for line in lines))
    st.caption(t("card.choices_note", lang))


def show(kindergarten_id: str, lang: str) -> None:
    """Draw the card of one kindergarten (it exists: the caller chose it from the register)."""
    row = context.query(queries.kindergartens, lang=lang, kindergarten_id=kindergarten_id).iloc[0]
    st.subheader(row["name"])
    other = row["name_ru"] if row["name"] == row["name_kk"] else row["name_kk"]
    if isinstance(other, str) and other and other != row["name"]:
        st.caption(other)
    facts(row, lang)
    groups(kindergarten_id, lang)
    bulletins(kindergarten_id, lang)
    pressure(row, lang)
    own_queue(kindergarten_id, lang)
