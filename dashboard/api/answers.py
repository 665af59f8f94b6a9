"""The questions the HTTP API asks of the published snapshot, in plain SQL.

The register and the vacancy statistics are the dashboard's own queries
(`dashboard.queries`), narrowed and paged here; everything a client sends travels as a
query parameter (`$name`), never inside the SQL text. Each function takes a DuckDB cursor
on the published snapshot and returns plain Python values.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from dashboard import queries
from engine import numbering
from engine.disclosure import SUPPRESSED


def rows(cur: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[dict]:
    result = cur.execute(sql, params or {})
    names = [d[0] for d in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def page(cur: duckdb.DuckDBPyConnection, sql: str, params: dict, order: str, limit: int, offset: int):
    """(total, rows of one page) of `sql`, in `order` (which ends with a unique key)."""
    total = cur.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    items = rows(cur, f"SELECT * FROM ({sql}) ORDER BY {order} LIMIT $limit OFFSET $offset",
                 params | {"limit": limit, "offset": offset})
    return total, items


# --- kindergartens -----------------------------------------------------------------------------

# The dashboard's register (name, region, locality, district, language and ownership
# filters; `announced` places), with the number of bulletins, narrowed by vacancies.
KINDERGARTENS = f"""
WITH register AS ({queries.KINDERGARTENS}),
offers AS (SELECT kindergarten_id, count(*) AS bulletins FROM vacancies GROUP BY kindergarten_id)
SELECT r.* EXCLUDE (name, seats), coalesce(o.bulletins, 0) AS bulletins, r.seats
FROM register AS r
LEFT JOIN offers AS o USING (kindergarten_id)
WHERE ($has_vacancies IS NULL OR (o.bulletins IS NOT NULL) = $has_vacancies)
"""


def kindergarten_filters(q=None, region=None, district=None, locality=None, language=None,
                         ownership=None, has_vacancies=None, kindergarten_id=None) -> dict:
    return {
        "lang": "kk",  # the register's `name` column, dropped here: both names are served
        "name": (q or "").strip() or None,
        "region": region, "district": district, "locality": locality,
        "language": language, "ownership": ownership, "id": kindergarten_id,
        "with_places": False, "has_vacancies": has_vacancies,
    }


def kindergartens(cur, *, limit: int, offset: int, **filters):
    return page(cur, KINDERGARTENS, kindergarten_filters(**filters), "kindergarten_id", limit, offset)


def kindergarten(cur, kindergarten_id: str) -> dict | None:
    found = rows(cur, KINDERGARTENS, kindergarten_filters(kindergarten_id=kindergarten_id))
    if not found:
        return None
    doc = found[0]
    doc["groups"] = [  # a count as a number; a withheld small count stays "<5" (engine/disclosure.py)
        g | {"enrolled": g["enrolled"] if g["enrolled"] in (None, SUPPRESSED) else int(g["enrolled"])}
        for g in rows(cur, queries.GROUPS_OF, {"id": kindergarten_id})
    ]
    doc["vacancies"] = rows(
        cur,
        f"SELECT * FROM ({VACANCIES}) WHERE kindergarten_id = $id ORDER BY announced_at, bulletin_id",
        vacancy_filters() | {"id": kindergarten_id},
    )
    return doc


# --- vacancies --------------------------------------------------------------------------------

# The dashboard's bulletins (region, district, language filters) with their group, narrowed
# by birth year, kindergarten and day of announcement (`$until` is exclusive: the day after
# `to`).
VACANCIES = f"""
SELECT b.bulletin_id, b.kindergarten_id, b.announced_at, b.birth_year, b.language, b.seats,
       v.group_id, b.region, nullif(b.district, '') AS district, b.locality
FROM ({queries.BULLETINS}) AS b
JOIN vacancies AS v USING (bulletin_id)
WHERE ($birth_year IS NULL OR b.birth_year = $birth_year)
  AND ($kindergarten_id IS NULL OR b.kindergarten_id = $kindergarten_id)
  AND ($from IS NULL OR b.announced_at >= $from)
  AND ($until IS NULL OR b.announced_at < $until)
"""


def vacancy_filters(region=None, birth_year=None, district=None, language=None, kindergarten_id=None,
                    from_: dt.date | None = None, to: dt.date | None = None) -> dict:
    return {
        "region": region, "birth_year": birth_year, "district": district, "language": language,
        "kindergarten_id": kindergarten_id,
        "from": dt.datetime.combine(from_, dt.time()) if from_ else None,
        "until": numbering.end_of_day(to) if to else None,
    }


def vacancies(cur, *, limit: int, offset: int, **filters):
    return page(cur, VACANCIES, vacancy_filters(**filters), "announced_at, bulletin_id", limit, offset)


def vacancies_by_birth_year(cur, *, region=None, district=None, language=None) -> list[dict]:
    """The dashboard's table of places per birth year, youngest first."""
    table = queries.vacancies_by_birth_year(cur, region=region, district=district, language=language)
    return table.to_dict(orient="records")


# --- the queue ------------------------------------------------------------------------------------

# The public queue list of one segment (Q1) as published in the snapshot's `queue` table.
QUEUE = """
SELECT queue_number, application_number, registered_at, privilege, status, privileged_queue_number
FROM queue
WHERE region = $region AND locality = $locality AND birth_year = $birth_year
"""


def queue(cur, *, region: str, locality: str, birth_year: int, limit: int, offset: int):
    return page(cur, QUEUE, {"region": region, "locality": locality, "birth_year": birth_year},
                "queue_number", limit, offset)


# Queue length per segment (Q1) and privilege class, from the published `queue` table.
QUEUE_BY_SEGMENT = """
SELECT
    region,
    locality,
    birth_year,
    count(*) AS segment_size,
    count(*) FILTER (WHERE privilege = 'extraordinary') AS extraordinary,
    count(*) FILTER (WHERE privilege = 'first') AS "first",
    count(*) FILTER (WHERE privilege = 'none') AS "none"
FROM queue
WHERE ($region IS NULL OR region = $region)
  AND ($locality IS NULL OR locality = $locality)
  AND ($birth_year IS NULL OR birth_year = $birth_year)
GROUP BY region, locality, birth_year
ORDER BY region, locality, birth_year
"""


def queue_by_segment(cur, *, region=None, locality=None, birth_year=None) -> list[dict]:
    return rows(cur, QUEUE_BY_SEGMENT, {"region": region, "locality": locality, "birth_year": birth_year})


# --- how each queue moved -----------------------------------------------------------------------

SEGMENT_MOVEMENT = """
SELECT * FROM segment_movement
WHERE ($region IS NULL OR region = $region)
  AND ($locality IS NULL OR locality = $locality)
  AND ($birth_year IS NULL OR birth_year = $birth_year)
  AND ($first IS NULL OR week >= CAST(date_trunc('week', CAST($first AS DATE)) AS DATE))
  AND ($last IS NULL OR week <= $last)
"""


def segment_movement(cur: duckdb.DuckDBPyConnection, *, region=None, locality=None, birth_year=None, first=None,
                     last=None, limit: int, offset: int):
    """(total, one page) of the weeks of the segments asked for."""
    params = {"region": region, "locality": locality, "birth_year": birth_year, "first": first, "last": last}
    return page(cur, SEGMENT_MOVEMENT, params, "region, locality, birth_year, week", limit, offset)


# --- districts over time (the Districts page's tables) --------------------------------------------

def _records(table) -> list[dict]:
    """A table's rows as plain values, a missing one as None (JSON null)."""
    return table.astype(object).where(table.notna(), None).to_dict("records")


def districts_by_month(cur: duckdb.DuckDBPyConnection, as_of: dt.date, *, region=None, locality=None, district=None,
                       months=None) -> list[dict]:
    table = queries.district_months(cur, as_of, months, region, locality)
    return _records(table[table["district"] == district] if district is not None else table)


def queue_per_place(cur: duckdb.DuckDBPyConnection, as_of: dt.date, *, region=None, locality=None,
                    months=None) -> list[dict]:
    return _records(queries.queue_per_place(cur, as_of, months, region, locality))
