"""The questions the dashboard asks of a published snapshot, in plain SQL.

Each function takes a DuckDB cursor on the published snapshot (read-only) and returns
plain Python values or a pandas DataFrame. Whatever a visitor types or picks travels as
a query parameter (`$name`), never inside the SQL text.
"""

from __future__ import annotations

import duckdb
import pandas as pd

META = "SELECT key, value FROM meta ORDER BY key"


def meta(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The snapshot's description: snapshot, as_of, published_at, title, publisher, …"""
    return dict(cur.execute(META).fetchall())


# The public register, narrowed by the visitor's choices; a NULL filter keeps every row.
# `name` is the name in the visitor's language, falling back to the other one.
KINDERGARTENS = """
SELECT
    kindergarten_id,
    coalesce(CASE WHEN $lang = 'ru' THEN name_ru ELSE name_kk END, name_kk, name_ru) AS name,
    name_kk,
    name_ru,
    region,
    district,
    locality,
    address,
    latitude,
    longitude,
    ownership,
    languages,
    capacity,
    phone,
    website
FROM kindergartens
WHERE ($name IS NULL
       OR contains(lower(coalesce(name_kk, '')), lower($name))
       OR contains(lower(coalesce(name_ru, '')), lower($name)))
  AND ($district IS NULL OR district = $district)
  AND ($language IS NULL OR list_contains(string_split(languages, '|'), $language))
  AND ($ownership IS NULL OR ownership = $ownership)
ORDER BY name, kindergarten_id
"""


def kindergartens(
    cur: duckdb.DuckDBPyConnection,
    *,
    lang: str,
    name: str | None = None,
    district: str | None = None,
    language: str | None = None,
    ownership: str | None = None,
) -> pd.DataFrame:
    """Kindergartens whose Kazakh or Russian name contains `name` (any case), in
    `district`, teaching in `language`, of kind `ownership`."""
    params = {
        "lang": lang,
        "name": (name or "").strip() or None,
        "district": district or None,
        "language": language or None,
        "ownership": ownership or None,
    }
    return cur.execute(KINDERGARTENS, params).df()


DISTRICTS = """
SELECT DISTINCT district FROM kindergartens
WHERE district IS NOT NULL AND district <> ''
ORDER BY district
"""

# `languages` holds codes separated by '|', e.g. 'kk|ru'.
LANGUAGES = """
SELECT DISTINCT trim(code) AS language
FROM (SELECT unnest(string_split(languages, '|')) AS code FROM kindergartens)
WHERE trim(code) <> ''
ORDER BY language
"""

OWNERSHIPS = "SELECT DISTINCT ownership FROM kindergartens ORDER BY ownership"


def register_choices(cur: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The values the register's filters can take, as found in the snapshot."""
    return {
        "district": [r[0] for r in cur.execute(DISTRICTS).fetchall()],
        "language": [r[0] for r in cur.execute(LANGUAGES).fetchall()],
        "ownership": [r[0] for r in cur.execute(OWNERSHIPS).fetchall()],
    }


# Places announced in vacancy bulletins ("бюллетень свободных мест"), per birth year of
# the children who may take them, youngest children first.
VACANCIES_BY_BIRTH_YEAR = """
SELECT
    birth_year,
    CAST(sum(seats) AS BIGINT) AS seats,  -- a whole number of places, not a float
    count(*) AS bulletins,
    count(DISTINCT kindergarten_id) AS kindergartens
FROM vacancies
GROUP BY birth_year
ORDER BY birth_year DESC
"""


def vacancies_by_birth_year(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return cur.execute(VACANCIES_BY_BIRTH_YEAR).df()


VACANCY_PERIOD = "SELECT min(announced_at), max(announced_at) FROM vacancies"


def vacancy_period(cur: duckdb.DuckDBPyConnection):
    """First and last announcement of the bulletins in the snapshot (None, None if none)."""
    return cur.execute(VACANCY_PERIOD).fetchone()
