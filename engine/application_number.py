"""Application numbers as people type them (open-data-format.md).

A parent copies the number from the portal, reads it aloud to a relative, or types it on a
phone: `уо 2015 3712 1`, `UO-2015-003712-1` and `УО.2015.003712.1` are the same number. The
number's *key* (`normalise`) keeps only what tells numbers apart:
- case, and Latin look-alike letters (`UO` is `УО`);
- its parts: runs of letters and runs of digits, whatever separates them (spaces, dashes,
  dots, slashes, underscores, any run of them, or nothing between a letter and a digit);
- the value of each run of digits: leading zeros do not count (`3712` is `003712`).
The key is stored beside every number at publication (`number_key`, `normalise_sql`: the
same function in DuckDB, set-based) so that matching is an equality.

What a number must look like to be asked for at all is checked on its *compact* form (no
spaces, upper case, look-alikes as Cyrillic: `compact`), and two published numbers must
differ in it: it is what a parent types "as published" (kezek/pipeline.py).
"""

from __future__ import annotations

import re

# Latin letters that people type for the Cyrillic ones on the portals' numbers.
LOOK_ALIKES = {
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О",
    "P": "Р", "T": "Т", "X": "Х", "Y": "У", "U": "У", "I": "І",
}
MAX_LENGTH = 64
WELL_FORMED = r"[0-9A-ZА-ЯЁӘҒҚҢӨҰҮҺІ./_\-]+"  # a compact number, whole (also DuckDB's regexp_full_match)
# The keys of a publication (meta `number_key`): 1, compact forms (before 2026-12); 2, the
# forgiving keys of this module. A reader keys what is typed as its snapshot's numbers were.
KEY_VERSION = 2

# Spelled out rather than `\s`: Python's `\s` knows Unicode spaces, DuckDB's (RE2) only
# ASCII ones, and both sides must split a number identically. A phone puts no-break spaces
# (U+00A0, U+202F) where a parent typed none.
SPACES = " \t\n\r\f\v\u00a0\u2007\u2009\u202f"
SEPARATORS = SPACES + "./_-"
_SEPARATOR_CLASS = SPACES + r"./_\-"
PART = f"[0-9]+|[^0-9{_SEPARATOR_CLASS}]+"  # a run of digits, or of anything else but separators
_ALLOWED = re.compile(f"^{WELL_FORMED}$")
_SPACE = re.compile(f"[{SPACES}]+")
_PART = re.compile(PART)
_TABLE = str.maketrans(LOOK_ALIKES)


def compact(number: str) -> str:
    """The number without spaces, in upper case, look-alikes as Cyrillic: the form that must
    be well formed, and the form in which two published numbers must differ.

    >>> compact(' uo.2018. 000016.1 ')
    'УО.2018.000016.1'
    """
    return _SPACE.sub("", number).upper().translate(_TABLE)


def normalise(number: str) -> str:
    """The key a number is found by: its parts joined by dots, digits without leading zeros.

    >>> normalise(' uo 2018-000016.1 '), normalise('УО.2018.16.1'), normalise('yo2018//016__1')
    ('УО.2018.16.1', 'УО.2018.16.1', 'УО.2018.16.1')
    """
    return ".".join(_value(part) for part in _PART.findall(number.upper().translate(_TABLE)))


def _value(part: str) -> str:
    return (part.lstrip("0") or "0") if part[0] in "0123456789" else part  # a run of digits: its value


def is_well_formed(number: str) -> bool:
    """A number people could have been given: letters, digits, dots, dashes, slashes.

    >>> is_well_formed("УО.2018.000016.1"), is_well_formed("1' OR '1'='1")
    (True, False)
    """
    typed = compact(number)
    return 0 < len(typed) <= MAX_LENGTH and bool(_ALLOWED.match(typed))


def _translate_sql(expression: str) -> str:
    latin = "".join(LOOK_ALIKES)
    cyrillic = "".join(LOOK_ALIKES.values())
    return f"translate(upper({expression}), '{latin}', '{cyrillic}')"


def compact_sql(column: str) -> str:
    """`compact` as a DuckDB expression over `column`."""
    return _translate_sql(f"regexp_replace({column}, '[{SPACES}]+', '', 'g')")


# The portal's shape, УО.2017.000003.1: upper-case Cyrillic letters, then dotted runs of digits.
PORTAL_SHAPE = r"[А-ЯЁӘҒҚҢӨҰҮҺІ]+(\.[0-9]+)*"


def normalise_sql(column: str) -> str:
    """`normalise` as a DuckDB expression over `column` (set-based: no Python per row). Most
    numbers already have the portal's shape: their key only drops each run's leading zeros,
    which one replace does at a fifth of the cost of splitting every number into its parts."""
    parts = f"regexp_extract_all({_translate_sql(column)}, '{PART}')"
    value = "CASE WHEN regexp_full_match(p, '[0-9]+') THEN coalesce(nullif(ltrim(p, '0'), ''), '0') ELSE p END"
    return (f"CASE WHEN regexp_full_match({column}, '{PORTAL_SHAPE}') "
            rf"THEN regexp_replace({column}, '\.0+([0-9])', '.\1', 'g') "
            f"ELSE array_to_string(list_transform({parts}, lambda p: {value}), '.') END")
