"""Texts of the dashboard in Kazakh, Russian and English.

Every string a visitor sees lives in the catalogs `i18n/{kk,ru,en}.json`
(flat keys, `{name}` placeholders, no ICU). Code asks for a text with a literal key,
`t("lookup.title", lang)`, so that a test can list the keys the code uses and compare them
with the catalogs. A key chosen at run time is declared with `N_("status.queued")`.

A text that puts a count next to a noun or a verb is a plural entry: its value is an object
keyed by the CLDR plural categories of the language (ru: one, few, many, other; kk and en:
one, other), each form with a `{n}` placeholder for the count, and code asks for it with
`tn("forecast.waiting", n, lang)`. Babel (CLDR) picks the form and writes numbers and dates.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import parse_pattern
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "kk"
CATALOGS = Path(__file__).parent
# The language names are the same in every catalog: each written in its own language.
AUTONYMS = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


Entry = str | dict[str, str]  # a plain text, or a plural entry: CLDR category → text


@cache
def catalog(lang: str) -> dict[str, Entry]:
    """The catalog of one language: key → text, or key → {plural category → text}."""
    return json.loads((CATALOGS / f"{lang}.json").read_text(encoding="utf-8"))


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def plural_categories(lang: str) -> frozenset[str]:
    """The CLDR plural categories the language's rule uses: the forms a plural entry has.

    >>> [sorted(plural_categories(lang)) for lang in ("kk", "ru", "en")]
    [['one', 'other'], ['few', 'many', 'one', 'other'], ['one', 'other']]
    """
    return _locale(lang).plural_form.tags | {"other"}


def plural_category(n: float, lang: str) -> str:
    """The CLDR category of the count `n` in the language.

    >>> [plural_category(n, "ru") for n in (1, 2, 5, 11, 21, 22, 111)]
    ['one', 'few', 'many', 'many', 'one', 'few', 'many']
    >>> plural_category(1, "kk"), plural_category(2, "kk"), plural_category(1, "en")
    ('one', 'other', 'one')
    """
    return _locale(lang).plural_form(n)


def forms(entry: Entry) -> list[str]:
    """The texts of a catalog entry: one for a plain text, one a form for a plural entry."""
    return list(entry.values()) if isinstance(entry, dict) else [entry]


def placeholders(entry: Entry) -> set[str]:
    """The names of the `{placeholders}` in a catalog text (in every form of a plural entry).

    >>> sorted(placeholders("{year}: {seats} бос орын"))
    ['seats', 'year']
    >>> sorted(placeholders({"one": "{n} place for {year}", "other": "{n} places for {year}"}))
    ['n', 'year']
    """
    return {name for text in forms(entry) for name in _PLACEHOLDER.findall(text)}


def _entry(key: str, lang: str) -> Entry:
    """A key missing from a catalog (which the catalog test forbids) falls back to English,
    then to the key itself, so a visitor never sees an exception for a missing text."""
    entry = catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(key)
    return catalog("en").get(key, key) if entry is None else entry


def _fill(text: str, values: dict[str, object]) -> str:
    if not values:
        return text
    return _PLACEHOLDER.sub(lambda m: str(values[m[1]]) if m[1] in values else m[0], text)


def t(key: str, lang: str, **values: object) -> str:
    """The text of `key` in `lang` with its `{placeholders}` filled in.

    >>> t("lookup.title", "en")
    'Check your place in the queue'
    """
    entry = _entry(key, lang)
    if isinstance(entry, dict):  # a plural entry asked for without its count (the catalog test forbids it)
        entry = entry["other"]
    return _fill(entry, values)


def tn(key: str, n: int, lang: str, **values: object) -> str:
    """The form of the plural entry `key` that the count `n` takes in `lang`, with `{n}`
    written as a number of the language and the other `{placeholders}` filled in.

    >>> [tn("forecast.waiting", n, "ru") for n in (1, 3, 25)]  # doctest: +NORMALIZE_WHITESPACE
    ['Впереди ещё 1 заявка ждёт предложения места.', 'Впереди ещё 3 заявки ждут предложения места.',
     'Впереди ещё 25 заявок ждут предложения места.']
    >>> tn("forecast.waiting", 1520, "en")
    '1,520 applications ahead still wait for an offer of a place.'
    """
    n = int(n)
    entry = _entry(key, lang)
    if isinstance(entry, dict):
        entry = entry.get(plural_category(n, lang), entry.get("other", key))
    return _fill(entry, {"n": number(n, lang), **values})


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
    return format_decimal(int(n), locale=_locale(lang))


def decimal(value: float, lang: str, digits: int = 1) -> str:
    """A number with a fixed count of decimals as the language writes it.

    >>> decimal(1234.56, "ru"), decimal(2, "kk"), decimal(12.345, "en")
    ('1\\xa0234,6', '2,0', '12.3')
    """
    return format_decimal(value, "#,##0." + "0" * digits if digits else "#,##0", locale=_locale(lang))


def separators(lang: str) -> str:
    """The decimal and the group separator of the language, as Plotly's `separators` reads them.

    >>> separators("ru"), separators("en")
    (',\\xa0', '.,')
    """
    return get_decimal_symbol(_locale(lang)) + get_group_symbol(_locale(lang))


# How each language writes a date, in CLDR's pattern letters: 2018-08-01 in English,
# 01.08.2018 in Kazakh and Russian; the time follows as 17:29 or 17:29:09.
_DATE = {"kk": "dd.MM.yyyy", "ru": "dd.MM.yyyy", "en": "yyyy-MM-dd"}
_STRFTIME = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def _date_format(lang: str) -> str:
    return _DATE.get(lang, _DATE[DEFAULT_LANGUAGE])


def date_pattern(lang: str) -> str:
    """How the language writes a date, as strftime and Plotly's tickformat read it: 2018-08-01
    in English, 01.08.2018 in Kazakh and Russian.

    >>> date_pattern("kk"), date_pattern("en")
    ('%d.%m.%Y', '%Y-%m-%d')
    """
    return re.sub("|".join(_STRFTIME), lambda m: _STRFTIME[m[0]], _date_format(lang))


def date(day: dt.date | dt.datetime | str, lang: str, with_time: bool = False, seconds: bool = False) -> str:
    """A date (and time) as people of the language write it, as it stands (no time zone change).

    >>> date("2018-07-31T17:29:09", "ru", with_time=True), date("2018-08-01", "en")
    ('31.07.2018 17:29', '2018-08-01')
    >>> date("2018-07-31T17:29:09", "kk", with_time=True, seconds=True)
    '31.07.2018 17:29:09'
    """
    if isinstance(day, str):
        day = dt.datetime.fromisoformat(day)
    pattern = _date_format(lang)
    if with_time and isinstance(day, dt.datetime):
        pattern += " HH:mm:ss" if seconds else " HH:mm"
    return _pattern(pattern).apply(day, _locale(lang))


@cache
def _pattern(pattern: str):
    return parse_pattern(pattern)

