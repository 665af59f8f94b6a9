"""The public register of kindergartens: search, filters kept in the URL, table, map, CSV."""

from __future__ import annotations

import math

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import context, labels, queries
from dashboard.i18n import number, t

# Widget keys, which are also the URL parameters: ?q=…&district=…&language=kk&ownership=state
SEARCH, DISTRICT, LANGUAGE, OWNERSHIP = "q", "district", "language", "ownership"
FILTERS = (DISTRICT, LANGUAGE, OWNERSHIP)
MAP_TAB = "kindergartens_tab"


def filters(lang: str, choices: dict[str, list[str]]) -> dict[str, str]:
    """Draw the search box and the filters; return what the visitor chose."""
    for key in FILTERS:
        context.seed_from_url(key, choices[key])
    context.seed_from_url(SEARCH)
    st.text_input(t("kindergartens.search", lang), key=SEARCH, max_chars=100,
                  placeholder=t("kindergartens.search_placeholder", lang))
    active = any(st.session_state.get(k) for k in FILTERS)
    with st.expander(t("kindergartens.filters", lang), expanded=active, icon=":material/filter_list:"):
        everything = t("filter.all", lang)
        left, middle, right = st.columns(3)  # side by side on a desktop, stacked on a phone
        left.selectbox(t("kindergartens.district", lang), ["", *choices[DISTRICT]], key=DISTRICT,
                       format_func=lambda v: v or everything)
        middle.selectbox(t("kindergartens.language", lang), ["", *choices[LANGUAGE]], key=LANGUAGE,
                         format_func=lambda v: labels.language(v, lang) if v else everything)
        right.selectbox(t("kindergartens.ownership", lang), ["", *choices[OWNERSHIP]], key=OWNERSHIP,
                        format_func=lambda v: labels.ownership(v, lang) if v else everything)
    chosen = {key: (st.session_state.get(key) or "").strip() for key in (SEARCH, *FILTERS)}
    for key, value in chosen.items():
        context.keep_in_url(key, value)
    return chosen


def table(shown: pd.DataFrame, lang: str) -> None:
    view = shown.assign(
        ownership=shown["ownership"].map(lambda v: labels.ownership(v, lang)),
        languages=shown["languages"].map(lambda v: labels.languages(v, lang)),
    ).fillna({"district": "", "address": "", "phone": ""})  # an empty cell, not "None"
    st.dataframe(
        view,
        hide_index=True,
        column_order=["name", "district", "address", "ownership", "languages", "capacity", "phone"],
        column_config={
            "name": t("column.name", lang),
            "district": t("column.district", lang),
            "address": t("column.address", lang),
            "ownership": t("column.ownership", lang),
            "languages": t("column.languages", lang),
            "capacity": st.column_config.NumberColumn(t("column.capacity", lang), format="%d"),
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


def main() -> None:
    lang = context.language()
    st.title(t("kindergartens.title", lang))
    st.write(t("kindergartens.intro", lang))
    choices = context.query(queries.register_choices)
    chosen = filters(lang, choices)
    shown = context.query(queries.kindergartens, lang=lang, name=chosen[SEARCH],
                          district=chosen[DISTRICT], language=chosen[LANGUAGE],
                          ownership=chosen[OWNERSHIP])
    st.markdown(t("kindergartens.count", lang, count=number(len(shown), lang)))
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
    st.download_button(
        t("download.csv", lang),
        data=shown.drop(columns=["name"]).to_csv(index=False).encode("utf-8-sig"),
        file_name="kindergartens.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        help=t("download.kindergartens_help", lang),
    )


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
