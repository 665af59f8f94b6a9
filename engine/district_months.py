"""Districts over time: per district and month the places announced, the referrals and the
audit's findings (sql/district_months.sql), and per settlement and month the queue per
announced place (sql/queue_per_place.sql). Read from a published snapshot when asked.

The queue is kept per settlement (Q1), not per district; a district's kindergartens announce
places and receive referrals, and the audit's findings concern them.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from engine import numbering, segment_movement

# Where a snapshot holds no audit, no finding is counted and no month is judged.
NO_FINDINGS = "(SELECT NULL::TIMESTAMP AS \"at\", NULL::VARCHAR AS bulletin_id, NULL::VARCHAR AS kindergarten_id WHERE false)"
NO_RULES = "(SELECT NULL::VARCHAR AS region, NULL::TIMESTAMP AS valid_from, NULL::TIMESTAMP AS valid_until WHERE false)"


def first_month(day: dt.date, months: int | None, earliest: dt.date | None) -> dt.date:
    """The first month shown: `months` months up to the month of `day`, not before the month
    of `earliest` (the first activity); months=None: from `earliest`.

    >>> first_month(dt.date(2017, 6, 5), 12, dt.date(2017, 1, 5))
    datetime.date(2017, 1, 1)
    >>> first_month(dt.date(2017, 6, 5), 3, dt.date(2016, 1, 5))
    datetime.date(2017, 4, 1)
    >>> first_month(dt.date(2017, 6, 5), None, None)
    datetime.date(2017, 6, 1)
    """
    last = day.replace(day=1)
    start = last
    if months:
        index = last.year * 12 + last.month - 1 - (int(months) - 1)
        start = dt.date(index // 12, index % 12 + 1, 1)
    floor = earliest.replace(day=1) if earliest else last
    return max(start, floor) if months else min(floor, last)


# The first day anything a district shows happened: a bulletin, a referral, a finding.
EARLIEST = """
SELECT CAST(least((SELECT min(announced_at) FROM vacancies),
                  (SELECT min("at") FROM events WHERE event = 'referral_issued')) AS DATE)
"""


def earliest(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    return con.execute(EARLIEST).fetchone()[0]


def _params(day: dt.date, months: int | None, region: str | None, locality: str | None,
            con: duckdb.DuckDBPyConnection) -> dict:
    first = first_month(day, months, earliest(con))
    return {"first": dt.datetime.combine(first, dt.time()), "until": numbering.end_of_day(day),
            "region": region or None, "settlement": locality or None}


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $t", {"t": table}).fetchone()[0] > 0


def by_district(con: duckdb.DuckDBPyConnection, day: dt.date, months: int | None = 12,
                region: str | None = None, locality: str | None = None) -> pd.DataFrame:
    """Rows (region, locality, district, month 'YYYY-MM', places, bulletins, referrals,
    findings) for every district of the area and every month; findings NULL where unjudged."""
    audited = _has(con, "findings") and _has(con, "audit_rules")
    query = numbering.sql("district_months").replace("{findings}", "findings" if audited else NO_FINDINGS) \
        .replace("{audit_rules}", "audit_rules" if audited else NO_RULES)
    out = con.execute(query, _params(day, months, region, locality, con)).df()
    return out.astype({"places": "int64", "bulletins": "int64", "referrals": "int64", "findings": "Int64"})


def queue_per_place(con: duckdb.DuckDBPyConnection, day: dt.date, months: int | None = 12,
                    region: str | None = None, locality: str | None = None) -> pd.DataFrame:
    """Rows (region, locality, month 'YYYY-MM', waiting, places, bulletins, waiting_per_place)
    for every settlement of the area and every month."""
    params = _params(day, months, region, locality, con)
    if _has(con, "queue_months"):  # computed at publication
        queue_months = "SELECT * FROM queue_months"
    else:  # a snapshot published before it: counted now, from the spans of the whole region
        queue_months = segment_movement.queue_months_sql()
        params |= {"locality": None, "birth_year": None}
    out = con.execute(numbering.sql("queue_per_place").replace("{queue_months}", queue_months), params).df()
    return out.astype({"waiting": "int64", "places": "int64", "bulletins": "int64"})
