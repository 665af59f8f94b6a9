"""Application numbers as people type them (open-data-format.md).

Lookup trims and removes inner spaces, ignores case and treats Latin look-alike letters as
the Cyrillic ones, so `uo.2018.000016.1` finds `УО.2018.000016.1`. The same normalisation
is stored beside every number (`number_key`) so that matching is an index-free equality.
"""

from __future__ import annotations

import re

# Latin letters that people type for the Cyrillic ones on the portals' numbers.
LOOK_ALIKES = {
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О",
    "P": "Р", "T": "Т", "X": "Х", "Y": "У", "U": "У", "I": "І",
}
MAX_LENGTH = 64
WELL_FORMED = r"[0-9A-ZА-ЯЁӘҒҚҢӨҰҮҺІ./_\-]+"  # a normalised number, whole (also DuckDB's regexp_full_match)
_ALLOWED = re.compile(f"^{WELL_FORMED}$")
_SPACE = re.compile(r"\s+")
_TABLE = str.maketrans(LOOK_ALIKES)


def normalise(number: str) -> str:
    """>>> normalise(' uo.2018. 000016.1 ')
    'УО.2018.000016.1'
    """
    return _SPACE.sub("", number).upper().translate(_TABLE)


def is_well_formed(number: str) -> bool:
    """A number people could have been given: letters, digits, dots, dashes, slashes.

    >>> is_well_formed("УО.2018.000016.1"), is_well_formed("1' OR '1'='1")
    (True, False)
    """
    key = normalise(number)
    return 0 < len(key) <= MAX_LENGTH and bool(_ALLOWED.match(key))


def normalise_sql(column: str) -> str:
    """The same normalisation as a DuckDB expression over `column`."""
    latin = "".join(LOOK_ALIKES)
    cyrillic = "".join(LOOK_ALIKES.values())
    return f"translate(upper(regexp_replace({column}, '\\s+', '', 'g')), '{latin}', '{cyrillic}')"
