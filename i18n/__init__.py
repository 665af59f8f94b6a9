"""Texts of the dashboard in Kazakh, Russian and English.

Every string a visitor sees lives in the catalogs `i18n/{kk,ru,en}.json`
(flat keys, `{name}` placeholders, no ICU). Code asks for a text with a literal key,
`t("lookup.title", lang)`, so that a test can list the keys the code uses and compare them
with the catalogs. A key chosen at run time is declared with `N_("status.queued")`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from pathlib import Path

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "kk"
CATALOGS = Path(__file__).parent
# The language names are the same in every catalog: each written in its own language.
AUTONYMS = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@cache
def catalog(lang: str) -> dict[str, str]:
    """The catalog of one language: key → text."""
    return json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    """The names of the `{placeholders}` in a catalog text.

    >>> sorted(placeholders("{year}: {seats} бос орын"))
    ['seats', 'year']
    """
    return set(_PLACEHOLDER.findall(text))


def t(key: str, lang: str, **values: object) -> str:
    """The text of `key` in `lang` with its `{placeholders}` filled in.

    A key missing from a catalog (which the catalog test forbids) falls back to English,
    then to the key itself, so a visitor never sees an exception for a missing text.
    """
    text = catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(key)
    if text is None:
        text = catalog("en").get(key, key)
    if not values:
        return text
    return _PLACEHOLDER.sub(lambda m: str(values[m[1]]) if m[1] in values else m[0], text)


def N_(key: str) -> str:
    """Mark a catalog key that is looked up later, e.g. a label per status (gettext's N_)."""
    return key


def negotiate(accept: str | None) -> str | None:
    """The first of our languages in an Accept-Language header or a browser locale.

    >>> negotiate("ru-RU,ru;q=0.9,en-US;q=0.8"), negotiate("de, en;q=0.5"), negotiate("kk-KZ")
    ('ru', 'en', 'kk')
    >>> negotiate("kz"), negotiate("fr"), negotiate(None)
    ('kk', None, None)
    """
    if not accept:
        return None
    ranked = []
    for position, part in enumerate(accept.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        primary = tag.strip().lower().replace("_", "-").split("-")[0]
        primary = {"kz": "kk"}.get(primary, primary)  # a common mistake for Kazakh
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else None


def number(n: int, lang: str) -> str:
    """A count as people of the language write it (a year is not a count: use str()).

    >>> number(1520, "kk"), number(1520, "ru"), number(1520, "en"), number(7, "kk")
    ('1\\xa0520', '1\\xa0520', '1,520', '7')
    """
    text = f"{int(n):,}"
    return text if lang == "en" else text.replace(",", "\u00a0")


def date_pattern(lang: str) -> str:
    """How the language writes a date, as strftime and Plotly's tickformat read it: 2018-08-01
    in English, 01.08.2018 in Kazakh and Russian."""
    return "%Y-%m-%d" if lang == "en" else "%d.%m.%Y"


def date(day: dt.date | dt.datetime | str, lang: str, with_time: bool = False, seconds: bool = False) -> str:
    """A date (and time) as people of the language write it.

    >>> date("2018-07-31T17:29:09", "ru", with_time=True), date("2018-08-01", "en")
    ('31.07.2018 17:29', '2018-08-01')
    >>> date("2018-07-31T17:29:09", "kk", with_time=True, seconds=True)
    '31.07.2018 17:29:09'
    """
    if isinstance(day, str):
        day = dt.datetime.fromisoformat(day)
    pattern = date_pattern(lang)
    if with_time and isinstance(day, dt.datetime):
        pattern += " %H:%M:%S" if seconds else " %H:%M"
    return day.strftime(pattern)
