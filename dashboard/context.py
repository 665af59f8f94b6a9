"""What every page shares: the published snapshot, the visitor's language, URL state.

The server passes the home folder in `KEZEK_HOME` (see `dashboard.server`). One `Reader`
per home and process holds one read-only connection per snapshot; each query runs on its
own cursor, because Streamlit runs sessions in threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import streamlit as st

import i18n
from dashboard import staleness
from dashboard.url_values import whole_number
from engine.store import Reader, resolve_home

R = TypeVar("R")

LANG_KEY = "lang"  # the widget's key and the URL parameter: ?lang=kk|ru|en

_readers: dict[Path, Reader] = {}
_readers_lock = threading.Lock()


def reader(home: str | Path | None = None) -> Reader:
    """The process's reader of `home` (default: $KEZEK_HOME, else ./data)."""
    path = resolve_home(home)
    found = _readers.get(path)  # the folder as named: no file-system call on every request
    if found is not None:
        return found
    with _readers_lock:
        resolved = path.resolve()
        if resolved not in _readers:
            _readers[resolved] = Reader(resolved, hold_lookups=True)  # lookups by the thousand
        if path.is_absolute():  # a relative name depends on the working folder
            _readers[path] = _readers[resolved]
        return _readers[resolved]


def query(fn: Callable[..., R], *args, **kwargs) -> R:
    """Run `fn(cursor, *args, **kwargs)` on a fresh cursor of the published snapshot.

    Raises engine.store.SnapshotUnavailable when nothing readable is published.
    """
    cur = reader().cursor()
    try:
        return fn(cur, *args, **kwargs)
    finally:
        cur.close()


@st.cache_data(max_entries=256, show_spinner=False)
def _cached(home: str, snapshot: str, name: str, args: tuple, kwargs: tuple):
    from dashboard import queries

    return query(getattr(queries, name), *args, **dict(kwargs))


def cached(fn: Callable[..., R], *args, **kwargs) -> R:
    """`query(fn, …)` remembered per published snapshot: for the aggregates every visitor
    asks for (the weekly movement, the overview). A new publication is a new snapshot id,
    so nothing stale is ever served. `fn` must be a function of `dashboard.queries`."""
    current = reader()
    return _cached(str(current.home), current.publication().snapshot, fn.__name__, args,
                   tuple(sorted(kwargs.items())))


# --- the visitor's language -------------------------------------------------------------

def browser_language() -> str | None:
    """The browser's preferred language among ours, if the browser told us."""
    try:
        found = i18n.negotiate(st.context.locale)
        if found:
            return found
        return i18n.negotiate(st.context.headers.get("Accept-Language"))
    except Exception:  # no browser context (e.g. a bare script run)
        return None


def language() -> str:
    """The language of this run: ?lang= on the first load, else the switch's choice, else
    the browser's, else Kazakh. Called once per run, before anything is drawn."""
    state = st.session_state
    if state.get(LANG_KEY) not in i18n.LANGUAGES:
        state[LANG_KEY] = (
            url_choice(LANG_KEY, i18n.LANGUAGES) or browser_language() or i18n.DEFAULT_LANGUAGE
        )
    return state[LANG_KEY]


def language_switch(lang: str) -> str:
    """The language switch; its value is kept in the URL so that a shared link keeps it."""
    st.segmented_control(
        i18n.t("language.label", lang),
        i18n.LANGUAGES,
        key=LANG_KEY,
        format_func=i18n.AUTONYMS.__getitem__,
        required=True,
        label_visibility="collapsed",
    )
    chosen = st.session_state.get(LANG_KEY) or lang
    keep_in_url(LANG_KEY, chosen)
    return chosen


# --- page state kept in the URL ---------------------------------------------------------

def url_choice(param: str, allowed: Iterable[str] | None = None) -> str | None:
    """The URL's value of `param`, if present and (when `allowed` is given) allowed."""
    value = st.query_params.get(param)
    if not value:
        return None
    if allowed is not None and value not in allowed:
        return None
    return value


def url_number(param: str, lowest: int, highest: int) -> int | None:
    """The URL's whole number `param` within [lowest, highest], else None: digits 0-9 only,
    so that '²' or '١٢' is ignored like any other stray value (dashboard.url_values)."""
    number = whole_number(url_choice(param))
    return number if number is not None and lowest <= number <= highest else None


def seed_from_url(key: str, allowed: Iterable[str] | None = None, default: str = "") -> None:
    """Give the widget `key` the URL's `?key=` value when the page is first shown."""
    if key not in st.session_state:
        st.session_state[key] = url_choice(key, allowed) or default


def keep_in_url(param: str, value: str | None) -> None:
    """Write `?param=value` into the browser's URL, or drop it when empty."""
    if value:
        if st.query_params.get(param) != value:
            st.query_params[param] = value
    elif param in st.query_params:
        del st.query_params[param]


def md(text: object) -> str:
    """Data made safe to place inside Markdown (names may contain * _ [ ] …).

    >>> md("№36 «Балапан» *2*")
    '№36 «Балапан» \\\\*2\\\\*'
    """
    out = str(text)
    for ch in "\\`*_{}[]()<>#+-.!|~$":
        out = out.replace(ch, "\\" + ch)
    return out


def select(where, label: str, options: Iterable[object], *, key: str, param: str | None = None,
           everything: str | None = None, format_func: Callable[[str], str] = str,
           default: str = "", help: str | None = None, on_change: Callable[[], None] | None = None) -> str:
    """A select box whose choice is kept in the URL as `?param=…` (default: the key).

    Options travel as text, so that a shared link can name them; with `everything`, the
    empty option means no filter and is shown with that label. A value the URL or an older
    run left behind that is no longer an option falls back to `default`.
    """
    param = param or key
    allowed = [str(o) for o in options]
    offered = ["", *allowed] if everything is not None else allowed
    if key not in st.session_state:
        st.session_state[key] = url_choice(param, allowed) or default
    if st.session_state[key] not in offered:
        st.session_state[key] = default if default in offered else (offered[0] if offered else "")
    where.selectbox(
        label,
        offered,
        key=key,
        format_func=lambda v: everything if v == "" and everything is not None else format_func(v),
        help=help,
        on_change=on_change,
    )
    value = st.session_state.get(key) or ""
    keep_in_url(param, value)
    return value


def grid(per_row: int):
    """Cells for widgets, `per_row` side by side on a desktop (stacked on a phone); a row
    is only made when a cell of it is asked for."""
    while True:
        yield from st.columns(per_row)


# --- the publication every page describes -------------------------------------------------

def about() -> dict[str, str]:
    """The snapshot's `meta` table (snapshot, as_of, published_at, title, publisher, …)."""
    from dashboard import queries

    return query(queries.meta)


def local_time(moment: str, zone: str | None):
    """An ISO date-time with offset, in the publisher's time zone (default Asia/Almaty)."""
    import datetime as dt
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    when = dt.datetime.fromisoformat(moment)
    try:
        return when.astimezone(ZoneInfo(zone or "Asia/Almaty"))
    except (ZoneInfoNotFoundError, ValueError):
        return when


def utc_offset(when) -> str:
    """'UTC+5' for a time zone 5 hours ahead of UTC; 'UTC' for none.

    >>> import datetime as dt
    >>> utc_offset(dt.datetime(2018, 8, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))))
    'UTC+5'
    >>> utc_offset(dt.datetime(2018, 8, 1, tzinfo=dt.timezone(dt.timedelta(hours=-3, minutes=-30))))
    'UTC-3:30'
    """
    offset = when.utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def published(about: dict[str, str], lang: str) -> str:
    """When the snapshot was published, in the publisher's local time: '02.08.2018 06:08 (UTC+5)'."""
    if not about.get("published_at"):
        return "—"
    return moment(about["published_at"], about.get("timezone"), lang)


def moment(when: str, zone: str | None, lang: str) -> str:
    """An ISO date-time in the publisher's local time: '02.08.2018 06:08 (UTC+5)'."""
    local = local_time(when, zone)
    return f"{i18n.date(local, lang, with_time=True)} ({utc_offset(local)})"


def freshness(meta: dict[str, str], lang: str) -> None:
    """How long ago the data were last updated, and a warning when that is longer than
    KEZEK_STALE_AFTER_DAYS: on allocation day a parent must know the number may be old."""
    since = staleness.last_update(reader().home, meta.get("published_at"))
    caption = i18n.t("page.as_of", lang, as_of=i18n.date(meta["as_of"], lang) if meta.get("as_of") else "—",
                     published=published(meta, lang))
    st.caption(caption + (f" · {staleness.age(since, lang)}" if since else ""))
    if since and staleness.is_stale(since):
        st.warning(i18n.t("freshness.stale", lang, when=moment(since.isoformat(), meta.get("timezone"), lang)),
                   icon=":material/update:")


def header(title: str, intro: str, lang: str) -> dict[str, str]:
    """The top of every page: its title, what it shows in plain words, and how fresh the
    data are (the day they describe, when they were published, how long ago the last update
    was — with a warning when that is too long ago). Returns `about()`."""
    meta = about()
    st.title(title)
    st.write(intro)
    freshness(meta, lang)
    if meta.get("observed_since"):  # a series: observed from its first snapshot, not before
        st.caption(i18n.t("page.observed_since", lang, since=i18n.date(meta["observed_since"][:10], lang)))
    if meta.get("rules_unknown"):  # no ruleset covers these regions: nothing there is judged by rules
        st.warning(i18n.t("page.rules_unknown", lang, regions=md(", ".join(json.loads(meta["rules_unknown"])))),
                   icon=":material/help:")
    return meta


# --- what pages offer: downloads and charts -----------------------------------------------

def download(table, name: str, lang: str, *, filters: Iterable[tuple[str, object]] = (), key: str | None = None,
             help: str | None = None) -> None:
    """Two buttons that download `table` as the page shows it (dashboard/downloads.py): CSV
    for data tools and a file for a spreadsheet, with the language's column names and words
    for the codes. The file name is `name` with the filters in use (`filters`: (parameter,
    value) pairs as in the page's address), the language and the data's day."""
    from dashboard import downloads

    plain = downloads.file_name(name.removesuffix(".csv"), filters, lang, about().get("as_of"))
    spreadsheet = downloads.spreadsheet_name(plain)
    people = downloads.for_people(table, lang)
    lead = f"{help} " if help else ""
    with st.container(horizontal=True):
        st.download_button(
            i18n.t("download.csv", lang), data=downloads.csv_bytes(people), file_name=plain, mime="text/csv",
            on_click="ignore", icon=":material/download:", key=key or f"download:{name}",
            help=lead + i18n.t("download.csv_help", lang, file=plain))
        st.download_button(
            i18n.t("download.spreadsheet", lang), data=downloads.csv_bytes(people, spreadsheet=True),
            file_name=spreadsheet, mime="text/csv", on_click="ignore", icon=":material/table_view:",
            key=f"{key or f'download:{name}'}:spreadsheet",
            help=lead + i18n.t("download.spreadsheet_help", lang, file=spreadsheet))


def style_figure(fig, lang: str, height: int = 340):
    """Plotly defaults for every chart: numbers written as the language writes them
    (2 233, 2,233) and the legend in a row above the plot, where on a phone it neither
    squeezes the plot nor hides the axis title."""
    fig.update_layout(
        height=height,
        margin={"l": 0, "r": 0, "t": 40, "b": 0},
        separators=i18n.separators(lang),
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left", "title": None},
    )
    return fig


# One colour per birth year on every chart of every page (Plotly's qualitative palette).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def year_colours(years: Iterable[object]) -> dict[str, str]:
    """Birth year (as text) → colour, the same year always in the same colour.

    >>> year_colours([2016, 2015])["2016"] == year_colours(["2016"])["2016"]
    True
    """
    return {str(y): PALETTE[int(y) % len(PALETTE)] for y in years}


def chart(fig, alt: str) -> None:
    """Draw a chart; `alt` says in words what it shows (for screen readers)."""
    st.plotly_chart(fig, config={"displayModeBar": False, "scrollZoom": False}, alt=alt)
