"""What every page shares: the published snapshot, the visitor's language, URL state.

The server passes the home folder in `KEZEK_HOME` (see `dashboard.server`). One `Reader`
per home and process holds one read-only connection per snapshot; each query runs on its
own cursor, because Streamlit runs sessions in threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import streamlit as st

from dashboard import i18n
from engine.store import Reader, resolve_home

R = TypeVar("R")

LANG_KEY = "lang"  # the widget's key and the URL parameter: ?lang=kk|ru|en

_readers: dict[Path, Reader] = {}
_readers_lock = threading.Lock()


def reader(home: str | Path | None = None) -> Reader:
    """The process's reader of `home` (default: $KEZEK_HOME, else ./data)."""
    path = resolve_home(home).resolve()
    with _readers_lock:
        if path not in _readers:
            _readers[path] = Reader(path)
        return _readers[path]


def query(fn: Callable[..., R], *args, **kwargs) -> R:
    """Run `fn(cursor, *args, **kwargs)` on a fresh cursor of the published snapshot.

    Raises engine.store.SnapshotUnavailable when nothing readable is published.
    """
    cur = reader().cursor()
    try:
        return fn(cur, *args, **kwargs)
    finally:
        cur.close()


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
