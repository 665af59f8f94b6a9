"""Russian and Kazakh headers and labels (vocabulary.toml) mapped to canonical names."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

from engine.schema import TABLES

# Which label domain of vocabulary.toml the values of a canonical column come from.
VALUE_DOMAIN = {
    "privilege": "privilege",
    "status": "status",
    "language": "language",
    "languages": "language",
    "ownership": "ownership",
}


def header_key(header: str) -> str:
    """Case- and whitespace-insensitive form of a header or label."""
    return re.sub(r"\s+", " ", str(header).replace("\ufeff", "")).strip().casefold()


@cache
def _labels() -> dict:
    return tomllib.loads(resources.files("ingest").joinpath("vocabulary.toml").read_text(encoding="utf-8"))


@cache
def column_synonyms() -> dict[str, str]:
    """header key → canonical column name."""
    out: dict[str, str] = {header_key(c): c for t in TABLES.values() for c in t.column_names}
    for canonical, names in _labels()["columns"].items():
        out[header_key(canonical)] = canonical
        for name in names:
            out.setdefault(header_key(name), canonical)
    return out


@cache
def value_labels(domain: str) -> dict[str, str]:
    """label key → canonical value for a domain (privilege, status, language, ownership)."""
    out: dict[str, str] = {}
    for canonical, names in _labels()["values"].get(domain, {}).items():
        out[header_key(canonical)] = canonical
        for name in names:
            out[header_key(name)] = canonical
    return out


def accepted_headers(canonical: str) -> list[str]:
    return [canonical, *_labels()["columns"].get(canonical, [])]


def labels_of(domain: str, value: str) -> list[str]:
    """The labels of a canonical value as vocabulary.toml writes them (Russian and Kazakh)."""
    return list(_labels()["values"].get(domain, {}).get(value, []))
