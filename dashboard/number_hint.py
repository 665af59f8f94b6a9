"""What a reader is told when a number finds nothing, in the reader's language: how the
publication's numbers are written (engine/number_pattern.py), and to type the number as the
portal's application log writes it (two published numbers that differ only in separators or
leading zeros are found only so: engine/lookup.py, `the_one`). Never an example number: any
example could be a real family's. Used by the Lookup page, the API and `kezek lookup`."""

from __future__ import annotations

from collections.abc import Callable

from engine.number_pattern import render
from i18n import t


def pattern(published: str | None, lang: str) -> str | None:
    """The snapshot's `number_pattern` as the language writes it (`УО.ГГГГ.NNNNNN.N`), or None."""
    return render(published, t("number.year", lang)) if published else None


def code(shown: str) -> str:
    """A pattern as Markdown code: shown as typed, monospaced (no backtick can be in it)."""
    return f"`{shown}`"


def hint(published: str | None, lang: str, quote: Callable[[str], str] = str) -> str:
    """The sentences that follow "not found"; `quote` escapes the pattern for its medium."""
    shown = pattern(published, lang)
    return t("number.hint", lang, pattern=quote(shown)) if shown else t("number.hint_any", lang)
