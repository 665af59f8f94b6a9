"""The public register of kindergartens: search, filters kept in the URL, table, map, CSV,
and a card per kindergarten (`?kg=ID`): groups, bulletins over time, queue pressure."""

from __future__ import annotations

import math

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import context, labels, queries
from i18n import number, t
from dashboard.components import kindergarten_card

# Widget keys, which are also the URL parameters:
# ?q=…&region=…&locality=…&district=…&language=kk&ownership=state&has_vacancies=1&kg=ID
SEARCH, REGION, LOCALITY, DISTRICT, LANGUAGE, OWNERSHIP = "q", "region", "locality", "district", "language", "ownership"
PLACES, CARD = "has_vacancies", "kg"
FILTERS = (REGION, LOCALITY, DISTRICT, LANGUAGE, OWNERSHIP)
MAP_TAB = "kindergartens_tab"


def filters(lang: str) -> dict[str, str]:
    """Draw the search box and the filters; return what the visitor chose."""
    context.seed_from_url(SEARCH)
    if PLACES not in st.session_state:
        st.session_state[PLACES] = context.url_choice(PLACES) == "1"
    st.text_input(t("kindergartens.search", lang), key=SEARCH, max_chars=100,
                  placeholder=t("kindergartens.search_placeholder", lang))
    active = any(st.session_state.get(k) or context.url_choice(k) for k in (*FILTERS, PLACES))
    everything = t("filter.all", lang)
    with st.expander(t("kindergartens.filters", lang), expanded=bool(active), icon=":material/filter_list:"):
        # Three side by side on a desktop, stacked on a phone. Each choice narrows the next
        # one's options (the districts of the chosen settlement …); a choice between one
        # region or one settlement only is no choice and is not shown.
        cells = context.grid(3)
        choices = context.query(queries.register_choices)
        if len(choices[REGION]) > 1:
            context.select(next(cells), t("filter.region", lang), choices[REGION], key=REGION,
                           everything=everything)
        region = st.session_state.get(REGION) or ""
        choices = context.query(queries.register_choices, region)
        if len(choices[LOCALITY]) > 1:
            context.select(next(cells), t("filter.locality", lang), choices[LOCALITY], key=LOCALITY,
                           everything=everything)
        locality = st.session_state.get(LOCALITY) or ""
        choices = context.query(queries.register_choices, region, locality)
        context.select(next(cells), t("kindergartens.district", lang), choices[DISTRICT], key=DISTRICT,
                       everything=everything)
        context.select(next(cells), t("kindergartens.language", lang), choices[LANGUAGE], key=LANGUAGE,
                       everything=everything, format_func=lambda v: labels.language(v, lang))
        context.select(next(cells), t("kindergartens.ownership", lang), choices[OWNERSHIP], key=OWNERSHIP,
                       everything=everything, format_func=lambda v: labels.ownership(v, lang))
        next(cells).checkbox(t("kindergartens.with_places", lang), key=PLACES,
                             help=t("kindergartens.with_places_help", lang))
    chosen = {key: (st.session_state.get(key) or "").strip() for key in (SEARCH, *FILTERS)}
    context.keep_in_url(SEARCH, chosen[SEARCH])
    chosen[PLACES] = bool(st.session_state.get(PLACES))
    context.keep_in_url(PLACES, "1" if chosen[PLACES] else "")
    return chosen


def table(shown: pd.DataFrame, lang: str) -> None:
    view = shown.assign(
        ownership=shown["ownership"].map(lambda v: labels.ownership(v, lang)),
        languages=shown["languages"].map(lambda v: labels.languages(v, lang)),
    ).fillna({"district": "", "address": "", "phone": ""})  # an empty cell, not "None"
    several = shown["locality"].nunique() > 1
    st.dataframe(
        view,
        hide_index=True,
        column_order=["name", *(["locality"] if several else []), "district", "address", "ownership",
                      "languages", "capacity", "seats", "phone"],
        column_config={
            "name": t("column.name", lang),
            "locality": t("column.locality", lang),
            "district": t("column.district", lang),
            "address": t("column.address", lang),
            "ownership": t("column.ownership", lang),
            "languages": t("column.languages", lang),
            "capacity": st.column_config.NumberColumn(t("column.capacity", lang), format="%d"),
            "seats": st.column_config.NumberColumn(t("column.announced", lang), format="%d",
                                                       help=t("kindergartens.announced_help", lang)),
            "phone": t("column.phone", lang),
        },
    )


def view_of(lat: pd.Series, lon: pd.Series, width: int = 340, height: int = 460) -> dict:
    """Centre and zoom that fit every point (Web Mercator, MapLibre's 512-pixel tiles);
    Plotly leaves the map at 0°, 0° otherwise."""
    def y(deg):
        return math.log(math.tan(math.pi / 4 + math.radians(deg) / 2))

    span_x = (lon.max() - lon.min()) / 360 * 1.5  # a margin around the outermost points
    span_y = (y(lat.max()) - y(lat.min())) / (2 * math.pi) * 1.5
    zooms = [math.log2(size / 512 / span) for size, span in ((width, span_x), (height, span_y)) if span > 0]
    zoom = min(zooms, default=13)
    return {"center": {"lat": float(lat.max() + lat.min()) / 2, "lon": float(lon.max() + lon.min()) / 2},
            "zoom": max(2.0, min(float(zoom), 15.0))}


def map_of(shown: pd.DataFrame, lang: str) -> None:
    placed = shown.dropna(subset=["latitude", "longitude"])
    if placed.empty:
        st.info(t("kindergartens.no_coordinates", lang))
        return
    placed = placed.assign(kind=placed["ownership"].map(lambda v: labels.ownership(v, lang)))
    # MapLibre with OpenStreetMap raster tiles: no token; offline the tiles stay blank but
    # the points, drawn by the browser, still show.
    fig = px.scatter_map(
        placed,
        lat="latitude",
        lon="longitude",
        color="kind",
        hover_name="name",
        hover_data={"address": True, "kind": False, "latitude": False, "longitude": False},
        labels={"kind": t("column.ownership", lang), "address": t("column.address", lang)},
        map_style="open-street-map",
        height=460,
        **view_of(placed["latitude"], placed["longitude"]),
    )
    fig.update_traces(marker={"size": 11})
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0},
                      legend={"orientation": "h", "y": -0.02, "yanchor": "top", "title": None})
    st.plotly_chart(fig, config={"displaylogo": False, "scrollZoom": False})
    missing = len(shown) - len(placed)
    if missing:
        st.caption(t("kindergartens.unplaced", lang, count=number(missing, lang)))


def choose(shown: pd.DataFrame, lang: str) -> str:
    """The kindergarten whose card is open (`?kg=ID`), chosen among those shown."""
    names = context.query(queries.kindergarten_names, lang)
    context.seed_from_url(CARD, names)
    current = st.session_state.get(CARD) or ""
    if current not in names:
        current = st.session_state[CARD] = ""
    options = ["", *shown["kindergarten_id"]]
    if current and current not in options:  # a shared card stays open whatever the filters
        options.append(current)
    st.selectbox(t("kindergartens.card", lang), options, key=CARD,
                 format_func=lambda v: names.get(v, v) if v else t("kindergartens.card_none", lang),
                 help=t("kindergartens.card_help", lang))
    chosen = st.session_state.get(CARD) or ""
    context.keep_in_url(CARD, chosen)
    return chosen


def main() -> None:
    lang = context.language()
    context.header(t("kindergartens.title", lang), t("kindergartens.intro", lang), lang)
    chosen = filters(lang)
    shown = context.query(queries.kindergartens, lang=lang, name=chosen[SEARCH], region=chosen[REGION],
                          locality=chosen[LOCALITY], district=chosen[DISTRICT], language=chosen[LANGUAGE],
                          ownership=chosen[OWNERSHIP], with_places=chosen[PLACES])
    st.markdown(t("kindergartens.count", lang, count=number(len(shown), lang)))
    card = choose(shown, lang)
    if card:
        with st.container(border=True):
            kindergarten_card.show(card, lang)
    if shown.empty:
        st.info(t("kindergartens.none", lang))
        return
    as_table, as_map = st.tabs([t("tab.table", lang), t("tab.map", lang)], key=MAP_TAB,
                               on_change="rerun")
    with as_table:
        table(shown, lang)
    with as_map:
        if as_map.open is not False:  # draw the map only when it is looked at
            map_of(shown, lang)
    context.download(shown.drop(columns=["name", "seats"]), "kindergartens", lang,
                     filters=[*((key, chosen[key]) for key in (SEARCH, *FILTERS)),
                              (PLACES, "1" if chosen[PLACES] else "")])


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
