"""The public queue: one segment's list as the portals show it, paged, searchable by number.

Shown: queue number, application number, registration date and time, privilege class,
number by privileged category, status. Never shown: birth dates, names, privilege
categories (the published `queue` table holds none of them).
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import context, labels, queries
from i18n import date, number, t, tn
from engine.application_number import MAX_LENGTH, is_well_formed
from engine.lookup import find

PER_PAGE = queries.QUEUE_PER_PAGE
# Widget keys; the URL parameters are the part after the colon: ?region=…&locality=…
REGION, LOCALITY, YEAR, PAGE, NUMBER = (f"queue:{p}" for p in ("region", "locality", "birth_year", "page", "number"))
FOUND = "queue:found"  # the number the page last jumped to, so that paging away from it sticks


def first_visit() -> None:
    """The searched number and the page from the URL on the first visit."""
    state = st.session_state
    if NUMBER not in state:
        state[NUMBER] = context.url_choice("number") or ""
    if PAGE not in state:  # a page past the last is brought back once the segment is known
        state[PAGE] = context.url_number("page", 1, 2**62) or 1


def jump_to_number(typed: str) -> dict | None:
    """Find `typed`; when it is numbered, show its segment at its page. Returns what was found."""
    found = context.query(find, typed) if is_well_formed(typed) else None
    state = st.session_state
    if state.get(FOUND) != typed:  # a new search: go where it is
        state[FOUND] = typed
        if found and found["queue_number"] is not None:
            state[REGION], state[LOCALITY] = found["region"], found["locality"]
            state[YEAR] = str(found["birth_year"])
            state[PAGE] = (found["queue_number"] - 1) // PER_PAGE + 1
    return found


def new_segment() -> None:
    st.session_state[PAGE] = 1


def turn(by: int) -> None:
    st.session_state[PAGE] = int(st.session_state.get(PAGE) or 1) + by


def segment_filters(segments: pd.DataFrame, lang: str) -> tuple[str, str, str]:
    """Region, locality and birth year; the largest queue is shown by default."""
    largest = segments.sort_values(["children", "region", "locality", "birth_year"],
                                   ascending=[False, True, True, False]).iloc[0]
    several = segments[["region", "locality"]].drop_duplicates().shape[0] > 1
    # A city's own site has one settlement: then only the birth year is worth a choice.
    columns = iter(st.columns(3) if several else [st.container()])
    regions = sorted(segments["region"].unique())
    region = regions[0]
    if several:
        region = context.select(next(columns), t("filter.region", lang), regions, key=REGION, param="region",
                                default=largest["region"], on_change=new_segment)
    here = segments[segments["region"] == region]
    localities = sorted(here["locality"].unique())
    locality = localities[0]
    if several:
        local_default = largest["locality"] if largest["region"] == region else localities[0]
        locality = context.select(next(columns), t("filter.locality", lang), localities, key=LOCALITY,
                                  param="locality", default=local_default, on_change=new_segment)
    here = here[here["locality"] == locality]
    years = [str(y) for y in sorted(here["birth_year"], reverse=True)]
    biggest_year = str(here.sort_values(["children", "birth_year"], ascending=False)["birth_year"].iloc[0])
    year = context.select(next(columns), t("filter.birth_year", lang), years, key=YEAR, param="birth_year",
                          default=biggest_year, on_change=new_segment)
    return region, locality, year


def search(lang: str) -> str:
    st.text_input(t("queue.search", lang), key=NUMBER, max_chars=MAX_LENGTH,
                  placeholder=t("lookup.number_placeholder", lang), autocomplete="off",
                  help=t("queue.search_help", lang))
    typed = (st.session_state.get(NUMBER) or "").strip()
    context.keep_in_url("number", typed)
    return typed


def say_where(found: dict | None, typed: str, lang: str, segment: tuple[str, str, str]) -> str | None:
    """A sentence about the searched number; returns its application number when it is on
    the segment shown."""
    if not typed:
        return None
    if found is None:
        st.info(t("queue.not_found", lang, number=context.md(typed)))
        return None
    if found["queue_number"] is None:
        st.warning(t("queue.not_numbered", lang, number=context.md(found["application_number"]),
                     status=labels.status(found["status"], lang)))
        return None
    page = (found["queue_number"] - 1) // PER_PAGE + 1
    if (found["region"], found["locality"], str(found["birth_year"])) != segment:  # the visitor moved on
        st.info(t("queue.found_elsewhere", lang, number=context.md(found["application_number"]),
                  queue_number=number(found["queue_number"], lang), page=number(page, lang),
                  birth_year=found["birth_year"], place=context.md(place(found["region"], found["locality"]))))
        return None
    st.success(t("queue.found", lang, number=context.md(found["application_number"]),
                 queue_number=number(found["queue_number"], lang), page=number(page, lang)))
    return found["application_number"]


def table(rows: pd.DataFrame, lang: str, mark: str | None) -> None:
    view = pd.DataFrame({
        "queue_number": rows["queue_number"],
        "application_number": rows["application_number"],
        "registered_at": rows["registered_at"].map(lambda v: date(v.to_pydatetime(), lang, with_time=True,
                                                                    seconds=True)),
        "privilege": rows["privilege"].map(lambda v: labels.privilege(v, lang)),
        "status": rows["status"].map(lambda v: labels.status(v, lang)),
        # last: its name is long, and the status matters more on a narrow screen
        "privileged_queue_number": rows["privileged_queue_number"].map(lambda n: str(n) if n else "—"),
    })
    shown = view
    if mark is not None and mark in set(view["application_number"]):
        shown = view.style.apply(
            lambda row: ["font-weight: bold; background-color: #fff3b0"] * len(row)
            if row["application_number"] == mark else [""] * len(row), axis=1)
    st.dataframe(
        shown,
        hide_index=True,
        height=min(35 * (len(view) + 1) + 3, 1800),
        column_config={
            "queue_number": st.column_config.NumberColumn(t("column.queue_number", lang), format="%d"),
            "application_number": t("column.application_number", lang),
            "registered_at": t("column.registered_at", lang),
            "privilege": t("column.privilege", lang),
            "privileged_queue_number": t("column.privileged_queue_number", lang),
            "status": t("column.status", lang),
        },
    )


def main() -> None:
    lang = context.language()
    context.header(t("queue.title", lang), t("queue.intro", lang), lang)
    segments = context.query(queries.segments)
    if segments.empty:
        st.info(t("queue.empty", lang))
        return
    first_visit()
    typed = (st.session_state.get(NUMBER) or "").strip()
    found = jump_to_number(typed) if typed else None
    if not typed:
        st.session_state.pop(FOUND, None)

    typed = search(lang)
    region, locality, year = segment_filters(segments, lang)
    size = int(segments[(segments["region"] == region) & (segments["locality"] == locality)
                        & (segments["birth_year"] == int(year))]["children"].iloc[0])
    mark = say_where(found, typed, lang, (region, locality, year))

    pages = max(1, math.ceil(size / PER_PAGE))
    if not 1 <= int(st.session_state.get(PAGE) or 1) <= pages:
        st.session_state[PAGE] = min(max(1, int(st.session_state.get(PAGE) or 1)), pages)
    st.number_input(t("queue.page", lang, pages=number(pages, lang)), min_value=1, max_value=pages,
                    step=1, key=PAGE)
    page = int(st.session_state[PAGE])
    context.keep_in_url("page", str(page) if page > 1 else "")
    first, last = (page - 1) * PER_PAGE + 1, min(page * PER_PAGE, size)
    st.markdown(t("queue.rows", lang, first=number(first, lang), last=number(last, lang),
                  size=number(size, lang), birth_year=year, place=context.md(place(region, locality))))
    rows = context.query(queries.queue_page, region, locality, int(year), page, PER_PAGE)
    table(rows, lang, mark)
    if pages > 1:  # on a phone the page box is fifty rows up
        back, forward = st.columns(2)
        back.button(t("queue.previous", lang), key="queue:previous", disabled=page <= 1, on_click=turn, args=(-1,),
                    icon=":material/chevron_left:", width="stretch")
        forward.button(t("queue.next", lang), key="queue:next", disabled=page >= pages, on_click=turn, args=(1,),
                       icon=":material/chevron_right:", icon_position="right", width="stretch")
    whole = context.query(queries.queue_segment, region, locality, int(year))
    context.download(whole, "queue", lang, key="download:queue",
                     filters=[("region", region), ("locality", locality if locality != region else ""),
                              ("birth_year", year)],
                     help=tn("queue.download_help", size, lang))


def place(region: str, locality: str) -> str:
    return locality if locality == region else f"{locality}, {region}"


if __name__ == "__main__":  # Streamlit runs a page as __main__; importing it draws nothing
    main()
