"""How a publication's application numbers are written, for a lookup that found nothing.

A parent whose number is not found is told the shape the numbers have (`УО.YYYY.NNNNNN.N`),
never an example: any example could be a real family's number. The shape is derived once,
at publication, from every published number (meta `number_pattern`): each digit becomes
`#`, and a run of four digits that is a year in every number becomes `{year}`; letters and
separators stay as published. Neither `#` nor `{` can be in a number (application_number.py,
WELL_FORMED), so no pattern is a number. When the numbers do not share one shape there is
no pattern, and the readers describe numbers in general words.
"""

from __future__ import annotations

import re

import duckdb

DIGIT, YEAR = "#", "{year}"
YEARS = (1990, 2100)  # a run of four digits outside these is a serial number, not a year
_RUN = re.compile(r"#+")


def derive(con: duckdb.DuckDBPyConnection, applications: str) -> str | None:
    """The one shape of every number in `applications` (a table), or None."""
    # One shape when the least and the greatest are the same: no hash of a million shapes.
    least, greatest = con.execute(
        f"SELECT min(s), max(s) FROM (SELECT translate(application_number, '0123456789', '{DIGIT * 10}') AS s "
        f"FROM {applications})"
    ).fetchone()
    if least is None or least != greatest or DIGIT not in least:  # without digits the shape would be the number
        return None
    # Every number has the shape, so a run of four digits is at the same place in each.
    fours = [m.start() + 1 for m in _RUN.finditer(least) if len(m.group()) == 4]
    years = set()
    if fours:
        checks = ", ".join(f"bool_and(CAST(substr(application_number, {at}, 4) AS INTEGER) "
                           f"BETWEEN {YEARS[0]} AND {YEARS[1]})" for at in fours)
        flags = con.execute(f"SELECT {checks} FROM {applications}").fetchone()
        years = {at for at, flag in zip(fours, flags) if flag}
    return _RUN.sub(lambda m: YEAR if m.start() + 1 in years else m.group(), least)


def render(pattern: str, year: str, digit: str = "N") -> str:
    """The pattern as a reader sees it: `year` is the language's letters for a year.

    >>> render("УО.{year}.######.#", "ГГГГ")
    'УО.ГГГГ.NNNNNN.N'
    """
    return pattern.replace(YEAR, year).replace(DIGIT, digit)
