"""The questions the dashboard asks of a published snapshot, in plain SQL.

Each function takes a DuckDB cursor on the published snapshot (read-only) and returns
plain Python values or a pandas DataFrame. Whatever a visitor types or picks travels as
a query parameter (`$name`), never inside the SQL text.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from engine import disclosure, district_months as district_table, store

META = "SELECT key, value FROM meta ORDER BY key"


def meta(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The snapshot's description: snapshot, as_of, published_at, title, publisher, …"""
    return dict(cur.execute(META).fetchall())


# The public register, narrowed by the visitor's choices; a NULL filter keeps every row.
# `name` is the name in the visitor's language, falling back to the other one; `seats`
# is the number of places its vacancy bulletins announced (the sum of their `seats`).
KINDERGARTENS = """
WITH announced AS (
    SELECT kindergarten_id, CAST(sum(seats) AS BIGINT) AS seats
    FROM vacancies
    GROUP BY kindergarten_id
)
SELECT
    k.kindergarten_id,
    coalesce(CASE WHEN $lang = 'ru' THEN k.name_ru ELSE k.name_kk END, k.name_kk, k.name_ru) AS name,
    k.name_kk,
    k.name_ru,
    k.region,
    k.district,
    k.locality,
    k.address,
    k.latitude,
    k.longitude,
    k.ownership,
    k.languages,
    k.capacity,
    k.phone,
    k.website,
    coalesce(a.seats, 0) AS seats
FROM kindergartens AS k
LEFT JOIN announced AS a USING (kindergarten_id)
WHERE ($name IS NULL
       OR contains(lower(coalesce(k.name_kk, '')), lower($name))
       OR contains(lower(coalesce(k.name_ru, '')), lower($name)))
  AND ($region IS NULL OR k.region = $region)
  AND ($locality IS NULL OR k.locality = $locality)
  AND ($district IS NULL OR k.district = $district)
  AND ($language IS NULL OR list_contains(string_split(k.languages, '|'), $language))
  AND ($ownership IS NULL OR k.ownership = $ownership)
  AND (NOT $with_places OR a.seats > 0)
  AND ($id IS NULL OR k.kindergarten_id = $id)
ORDER BY name, k.kindergarten_id
"""


def kindergartens(
    cur: duckdb.DuckDBPyConnection,
    *,
    lang: str,
    name: str | None = None,
    region: str | None = None,
    locality: str | None = None,
    district: str | None = None,
    language: str | None = None,
    ownership: str | None = None,
    with_places: bool = False,
    kindergarten_id: str | None = None,
) -> pd.DataFrame:
    """Kindergartens whose Kazakh or Russian name contains `name` (any case), in `region`,
    `locality` and `district`, teaching in `language`, of kind `ownership`; with
    `with_places`, only those whose bulletins announced places."""
    params = {
        "lang": lang,
        "name": (name or "").strip() or None,
        "region": region or None,
        "locality": locality or None,
        "district": district or None,
        "language": language or None,
        "ownership": ownership or None,
        "with_places": bool(with_places),
        "id": kindergarten_id or None,
    }
    return cur.execute(KINDERGARTENS, params).df()


REGIONS = "SELECT DISTINCT region FROM kindergartens ORDER BY region"

# Localities (and districts) of the chosen region only, so that a choice leads somewhere.
LOCALITIES = """
SELECT DISTINCT locality FROM kindergartens
WHERE locality IS NOT NULL AND ($region IS NULL OR region = $region)
ORDER BY locality
"""

DISTRICTS = """
SELECT DISTINCT district FROM kindergartens
WHERE district IS NOT NULL AND district <> ''
  AND ($region IS NULL OR region = $region)
  AND ($locality IS NULL OR locality = $locality)
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


def register_choices(cur: duckdb.DuckDBPyConnection, region: str | None = None,
                     locality: str | None = None) -> dict[str, list[str]]:
    """The values the register's filters can take, as found in the snapshot; localities
    within `region`, districts within `region` and `locality`."""
    narrow = {"region": region or None, "locality": locality or None}
    return {
        "region": [r[0] for r in cur.execute(REGIONS).fetchall()],
        "locality": [r[0] for r in cur.execute(LOCALITIES, {"region": narrow["region"]}).fetchall()],
        "district": [r[0] for r in cur.execute(DISTRICTS, narrow).fetchall()],
        "language": [r[0] for r in cur.execute(LANGUAGES).fetchall()],
        "ownership": [r[0] for r in cur.execute(OWNERSHIPS).fetchall()],
    }


KINDERGARTEN_NAMES = """
SELECT kindergarten_id,
       coalesce(CASE WHEN $lang = 'ru' THEN name_ru ELSE name_kk END, name_kk, name_ru) AS name
FROM kindergartens
ORDER BY name, kindergarten_id
"""


def kindergarten_names(cur: duckdb.DuckDBPyConnection, lang: str) -> dict[str, str]:
    """id → name in the visitor's language, for every kindergarten, in name order."""
    return dict(cur.execute(KINDERGARTEN_NAMES, {"lang": lang}).fetchall())


# `enrolled` as text: "<5" where a small count would single out children in a group for
# special educational needs (engine/disclosure.py).
GROUPS_OF = f"""
SELECT group_id, name, birth_year, language, capacity, {disclosure.enrolled_sql()} AS enrolled, program
FROM groups
WHERE kindergarten_id = $id
ORDER BY birth_year DESC, language, group_id
"""


def groups_of(cur: duckdb.DuckDBPyConnection, kindergarten_id: str) -> pd.DataFrame:
    """The groups of one kindergarten: birth year, language, capacity, programme."""
    return cur.execute(GROUPS_OF, {"id": kindergarten_id}).df()


# Format 1.1: the applications that chose a kindergarten first (`choices`), and its own
# queue as the city published it (`positions` of that kindergarten — its kindergarten_id,
# or a queue_id that is its id — on the latest day that lists it): the applications with a
# place in it, in any of its queues (a city may keep one per group type and language). A
# snapshot without choices, or older than queue_id, has neither.
CHOSEN_FIRST = "SELECT count(*) FROM choices WHERE kindergarten_id = $id AND rank = 1"
OWN_QUEUE = """
WITH own AS (
    SELECT as_of, application_number FROM positions
    WHERE coalesce(kindergarten_id, queue_id) = $id AND queue_id IS NOT NULL
)
SELECT count(DISTINCT application_number), max(as_of) FROM own
WHERE as_of = (SELECT max(as_of) FROM own)
"""


def own_queue(cur: duckdb.DuckDBPyConnection, kindergarten_id: str) -> dict:
    """{chosen_first, queue_length, as_of}: applications whose first choice it is, and the
    length of its own published queue on the day `as_of` (0 and None when the data have none)."""
    chosen = cur.execute(CHOSEN_FIRST, {"id": kindergarten_id}).fetchone()[0] if store.has_table(cur, "choices") else 0
    has_queues = cur.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'positions' "
                             "AND column_name = 'kindergarten_id'").fetchone()[0]
    length, as_of = cur.execute(OWN_QUEUE, {"id": kindergarten_id}).fetchone() if has_queues else (0, None)
    return {"chosen_first": chosen, "queue_length": length, "as_of": as_of}


BULLETINS_OF = """
SELECT bulletin_id, announced_at, birth_year, language, seats, group_id
FROM vacancies
WHERE kindergarten_id = $id
ORDER BY announced_at, bulletin_id
"""


def bulletins_of(cur: duckdb.DuckDBPyConnection, kindergarten_id: str) -> pd.DataFrame:
    """The vacancy bulletins of one kindergarten, oldest first."""
    return cur.execute(BULLETINS_OF, {"id": kindergarten_id}).df()


# Queue pressure of a kindergarten's segments (Q1: region, locality, birth year): the
# children waiting in each segment it takes children of (its groups and bulletins), against
# the places announced in that segment by every kindergarten and by this one.
PRESSURE_OF = """
WITH kg AS (
    SELECT kindergarten_id, region, locality FROM kindergartens WHERE kindergarten_id = $id
),
years AS (
    SELECT birth_year FROM groups WHERE kindergarten_id = $id
    UNION
    SELECT birth_year FROM vacancies WHERE kindergarten_id = $id
),
waiting AS (
    SELECT q.birth_year, count(*) AS children
    FROM queue AS q JOIN kg ON q.region = kg.region AND q.locality = kg.locality
    GROUP BY q.birth_year
),
announced AS (
    SELECT v.birth_year,
           CAST(sum(v.seats) AS BIGINT) AS seats,
           CAST(coalesce(sum(v.seats) FILTER (WHERE v.kindergarten_id = $id), 0) AS BIGINT) AS seats_here
    FROM vacancies AS v
    JOIN kindergartens AS k USING (kindergarten_id)
    JOIN kg ON k.region = kg.region AND k.locality = kg.locality
    GROUP BY v.birth_year
)
SELECT
    y.birth_year,
    coalesce(w.children, 0) AS children,
    coalesce(a.seats, 0) AS seats,
    coalesce(a.seats_here, 0) AS seats_here,
    CASE WHEN coalesce(a.seats, 0) > 0 THEN coalesce(w.children, 0) / a.seats END AS children_per_place
FROM years AS y
LEFT JOIN waiting AS w USING (birth_year)
LEFT JOIN announced AS a USING (birth_year)
ORDER BY y.birth_year DESC
"""


def pressure_of(cur: duckdb.DuckDBPyConnection, kindergarten_id: str) -> pd.DataFrame:
    """Per birth year the kindergarten takes: children waiting in its segment, places
    announced in the segment (all kindergartens, this one), children per announced place."""
    return cur.execute(PRESSURE_OF, {"id": kindergarten_id}).df()


# Vacancy bulletins ("бюллетень свободных мест") with the place of their kindergarten,
# narrowed by the visitor's choices; a NULL filter keeps every row.
BULLETINS = """
SELECT v.bulletin_id, v.kindergarten_id, v.announced_at, v.birth_year, v.language, v.seats,
       k.region, k.locality, coalesce(k.district, '') AS district
FROM vacancies AS v
JOIN kindergartens AS k USING (kindergarten_id)
WHERE ($region IS NULL OR k.region = $region)
  AND ($district IS NULL OR k.district = $district)
  AND ($language IS NULL OR v.language = $language)
"""


def _bulletin_filters(region=None, district=None, language=None) -> dict:
    return {"region": region or None, "district": district or None, "language": language or None}


# Places announced per birth year of the children who may take them, youngest first: the
# table as an akimat publishes it ("2015 жылы туған балалар үшін 1240 бос орын").
VACANCIES_BY_BIRTH_YEAR = f"""
SELECT
    birth_year,
    CAST(sum(seats) AS BIGINT) AS seats,  -- a whole number of places, not a float
    count(*) AS bulletins,
    count(DISTINCT kindergarten_id) AS kindergartens
FROM ({BULLETINS})
GROUP BY birth_year
ORDER BY birth_year DESC
"""


def vacancies_by_birth_year(cur: duckdb.DuckDBPyConnection, **filters) -> pd.DataFrame:
    return cur.execute(VACANCIES_BY_BIRTH_YEAR, _bulletin_filters(**filters)).df()


VACANCIES_BY_DISTRICT = f"""
SELECT district, language, birth_year, CAST(sum(seats) AS BIGINT) AS seats, count(*) AS bulletins
FROM ({BULLETINS})
GROUP BY district, language, birth_year
ORDER BY district, language, birth_year DESC
"""


def vacancies_by_district(cur: duckdb.DuckDBPyConnection, **filters) -> pd.DataFrame:
    """Places per district, language of instruction and birth year."""
    return cur.execute(VACANCIES_BY_DISTRICT, _bulletin_filters(**filters)).df()


# Weeks run Monday to Sunday; a week is named by its Monday.
VACANCIES_BY_WEEK = f"""
SELECT CAST(date_trunc('week', announced_at) AS DATE) AS week, birth_year,
       CAST(sum(seats) AS BIGINT) AS seats, count(*) AS bulletins
FROM ({BULLETINS})
GROUP BY week, birth_year
ORDER BY week, birth_year DESC
"""


def vacancies_by_week(cur: duckdb.DuckDBPyConnection, **filters) -> pd.DataFrame:
    """Places announced per week (named by its Monday) and birth year."""
    return cur.execute(VACANCIES_BY_WEEK, _bulletin_filters(**filters)).df()


VACANCY_PERIOD = f"SELECT min(announced_at), max(announced_at) FROM ({BULLETINS})"


def vacancy_period(cur: duckdb.DuckDBPyConnection, **filters):
    """First and last announcement of the bulletins in the snapshot (None, None if none)."""
    return cur.execute(VACANCY_PERIOD, _bulletin_filters(**filters)).fetchone()


VACANCY_CHOICES = """
SELECT DISTINCT k.region, coalesce(k.district, '') AS district, v.language
FROM vacancies AS v JOIN kindergartens AS k USING (kindergarten_id)
"""


def vacancy_choices(cur: duckdb.DuckDBPyConnection, region: str | None = None) -> dict[str, list[str]]:
    """Regions, districts (within `region`) and languages that have bulletins."""
    rows = cur.execute(VACANCY_CHOICES).fetchall()
    return {
        "region": sorted({r for r, _, _ in rows}),
        "district": sorted({d for r, d, _ in rows if d and (not region or r == region)}),
        "language": sorted({lang for _, _, lang in rows}),
    }


# --- what every page shows: the publication and its freshness ---------------------------

FRESHNESS = """
SELECT
    (SELECT max(registered_at) FROM applications) AS last_application,
    (SELECT max("at") FROM events) AS last_event,
    (SELECT max(announced_at) FROM vacancies) AS last_bulletin
"""


def freshness(cur: duckdb.DuckDBPyConnection) -> dict:
    """The newest record of each kind in the snapshot (None when a table is empty)."""
    row = cur.execute(FRESHNESS).fetchone()
    return dict(zip(("last_application", "last_event", "last_bulletin"), row))


# Regions and localities that have applications or kindergartens, for the filters.
PLACES = """
SELECT DISTINCT region, locality FROM (
    SELECT region, locality FROM applications
    UNION ALL
    SELECT region, locality FROM kindergartens
)
WHERE region IS NOT NULL
ORDER BY region, locality
"""


def settlements(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every (region, locality) pair of the snapshot."""
    return [tuple(r) for r in cur.execute(PLACES).fetchall()]


# --- overview ---------------------------------------------------------------------------

# Q1: the queue is kept per (region, locality, birth year); this counts the numbered
# applications (Q2) of the published queue, per region and birth year.
QUEUE_BY_REGION_AND_BIRTH_YEAR = """
SELECT region, birth_year, count(*) AS children
FROM queue
WHERE ($region IS NULL OR region = $region)
GROUP BY region, birth_year
ORDER BY region, birth_year DESC
"""


def queue_by_region_and_birth_year(cur: duckdb.DuckDBPyConnection, region: str | None = None) -> pd.DataFrame:
    return cur.execute(QUEUE_BY_REGION_AND_BIRTH_YEAR, {"region": region or None}).df()


# Places announced, referrals issued and enrolments since the first day of the month and of
# the year of `day` (the publication's date), up to the end of that day.
ACTIVITY = """
WITH bounds AS (
    SELECT CAST(date_trunc('month', CAST($day AS DATE)) AS TIMESTAMP) AS month_start,
           CAST(date_trunc('year', CAST($day AS DATE)) AS TIMESTAMP) AS year_start,
           CAST($day AS DATE) + INTERVAL 1 DAY AS until
),
announced AS (
    SELECT v.announced_at AS "at", v.seats
    FROM vacancies AS v JOIN kindergartens AS k USING (kindergarten_id)
    WHERE $region IS NULL OR k.region = $region
),
happened AS (
    SELECT e."at", e.event
    FROM events AS e JOIN applications AS a USING (application_number)
    WHERE e.event IN ('referral_issued', 'enrolled')
      AND ($region IS NULL OR a.region = $region)
)
SELECT 'month' AS period,
       (SELECT coalesce(sum(seats), 0) FROM announced, bounds WHERE "at" >= month_start AND "at" < until) AS seats,
       (SELECT count(*) FROM happened, bounds
         WHERE event = 'referral_issued' AND "at" >= month_start AND "at" < until) AS referrals,
       (SELECT count(*) FROM happened, bounds
         WHERE event = 'enrolled' AND "at" >= month_start AND "at" < until) AS enrolments
UNION ALL
SELECT 'year',
       (SELECT coalesce(sum(seats), 0) FROM announced, bounds WHERE "at" >= year_start AND "at" < until),
       (SELECT count(*) FROM happened, bounds
         WHERE event = 'referral_issued' AND "at" >= year_start AND "at" < until),
       (SELECT count(*) FROM happened, bounds
         WHERE event = 'enrolled' AND "at" >= year_start AND "at" < until)
"""


def activity(cur: duckdb.DuckDBPyConnection, day, region: str | None = None) -> pd.DataFrame:
    """Rows `month` and `year`: places announced, referrals issued, enrolments."""
    out = cur.execute(ACTIVITY, {"day": day, "region": region or None}).df()
    return out.astype({"seats": "int64", "referrals": "int64", "enrolments": "int64"})


# --- the public queue -----------------------------------------------------------------

QUEUE_PER_PAGE = 50  # rows per page of the public queue

SEGMENTS = """
SELECT region, locality, birth_year, count(*) AS children
FROM queue
GROUP BY region, locality, birth_year
ORDER BY region, locality, birth_year DESC
"""


def segments(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every queue (Q1: region, locality, birth year) with the children numbered in it."""
    return cur.execute(SEGMENTS).df()


# The columns a portal lists; birth dates and privilege categories are never shown.
QUEUE_COLUMNS = """queue_number, application_number, registered_at, privilege,
    privileged_queue_number, status"""

QUEUE_PAGE = f"""
SELECT {QUEUE_COLUMNS}
FROM queue
WHERE region = $region AND locality = $locality AND birth_year = $birth_year
ORDER BY queue_number
LIMIT $limit OFFSET $offset
"""


def queue_page(cur: duckdb.DuckDBPyConnection, region: str, locality: str, birth_year: int,
               page: int, per_page: int) -> pd.DataFrame:
    """One page (1-based) of a segment's queue, in queue order."""
    params = {"region": region, "locality": locality, "birth_year": int(birth_year),
              "limit": int(per_page), "offset": (int(page) - 1) * int(per_page)}
    return cur.execute(QUEUE_PAGE, params).df()


# The open-data `queue` table's columns (interfaces.md, `kezek export`), for one segment.
QUEUE_SEGMENT = """
SELECT application_number, region, locality, birth_year, registered_at, privilege, status,
       queue_number, privileged_queue_number
FROM queue
WHERE region = $region AND locality = $locality AND birth_year = $birth_year
ORDER BY queue_number
"""


def queue_segment(cur: duckdb.DuckDBPyConnection, region: str, locality: str, birth_year: int) -> pd.DataFrame:
    return cur.execute(QUEUE_SEGMENT, {"region": region, "locality": locality,
                                       "birth_year": int(birth_year)}).df()


# A number typed any way (case, spaces, Latin look-alikes) is matched on `number_key`.
# --- queue movement -----------------------------------------------------------------------

# The queue's length at the end of every week, per birth year: the publication's own
# `segment_movement` (engine/sql/segment_movement.sql, computed once at publication with the
# numbering's spans, Q2), summed over the region's or locality's segments.
QUEUE_LENGTH_BY_WEEK = """
SELECT CAST(week AS TIMESTAMP) AS week, birth_year, CAST(sum(queue_length) AS BIGINT) AS children
FROM segment_movement
WHERE week >= CAST($start AS DATE) AND week < CAST($until AS DATE)
  AND ($region IS NULL OR region = $region)
  AND ($locality IS NULL OR locality = $locality)
GROUP BY week, birth_year
HAVING sum(queue_length) > 0
ORDER BY week, birth_year DESC
"""


def _weeks(day, weeks: int | None, cur: duckdb.DuckDBPyConnection) -> dict:
    """$start (a Monday) and $until (the end of `day`) for `weeks` weeks up to `day`;
    weeks=None: from the week of the first application."""
    import datetime as dt

    day = dt.date.fromisoformat(str(day)[:10])
    monday = day - dt.timedelta(days=day.weekday())
    if weeks:
        start = monday - dt.timedelta(weeks=int(weeks) - 1)
    else:
        first = cur.execute("SELECT CAST(min(registered_at) AS DATE) FROM applications").fetchone()[0]
        first = first or day
        start = first - dt.timedelta(days=first.weekday())
    return {"start": dt.datetime.combine(start, dt.time()),
            "until": dt.datetime.combine(day + dt.timedelta(days=1), dt.time())}


def queue_length_by_week(cur: duckdb.DuckDBPyConnection, day, weeks: int | None = 52,
                         region: str | None = None, locality: str | None = None) -> pd.DataFrame:
    """Children numbered at the end of each week (named by its Monday), per birth year."""
    params = _weeks(day, weeks, cur) | {"region": region or None, "locality": locality or None}
    return cur.execute(QUEUE_LENGTH_BY_WEEK, params).df()


# What moved the queue each week, from `segment_movement`: applications registered,
# notifications of a place, referrals issued (every channel) and enrolments; a week in which
# nothing happened is a row of zeros.
FLOWS_BY_WEEK = """
WITH weeks AS (
    SELECT CAST(w AS DATE) AS week FROM range($start, $until, INTERVAL 7 DAY) AS r(w)
),
moved AS (
    SELECT week,
           sum(new_applications) AS new_applications,
           sum(notifications) AS notifications,
           sum(referrals_priority + referrals_free_choice + referrals_staff_child
               + referrals_private_state_order) AS referrals,
           sum(enrolments) AS enrolments
    FROM segment_movement
    WHERE ($region IS NULL OR region = $region)
      AND ($locality IS NULL OR locality = $locality)
    GROUP BY week
)
SELECT CAST(w.week AS TIMESTAMP) AS week,
       CAST(coalesce(m.new_applications, 0) AS BIGINT) AS new_applications,
       CAST(coalesce(m.notifications, 0) AS BIGINT) AS notifications,
       CAST(coalesce(m.referrals, 0) AS BIGINT) AS referrals,
       CAST(coalesce(m.enrolments, 0) AS BIGINT) AS enrolments
FROM weeks AS w LEFT JOIN moved AS m USING (week)
ORDER BY w.week
"""


def flows_by_week(cur: duckdb.DuckDBPyConnection, day, weeks: int | None = 52,
                  region: str | None = None, locality: str | None = None) -> pd.DataFrame:
    """Per week (named by its Monday): new applications, notifications, referrals, enrolments."""
    params = _weeks(day, weeks, cur) | {"region": region or None, "locality": locality or None}
    return cur.execute(FLOWS_BY_WEEK, params).df()


# --- about the data -----------------------------------------------------------------------

SOURCES = """
SELECT file, table_name, rows, sha256, dropped_columns
FROM sources
ORDER BY table_name, file
"""


def order_comparison(cur: duckdb.DuckDBPyConnection, regions: tuple[str, ...]) -> pd.DataFrame:
    """How each published queue of `regions` compares with simple orders (a snapshot
    published before it has none)."""
    if not store.has_table(cur, "order_comparison"):
        return pd.DataFrame(columns=["region", "queue", "as_of", "order_name", "applications", "rank_correlation",
                                     "consecutive_in_order"])
    return cur.execute("SELECT * FROM order_comparison WHERE list_contains($regions, region) "
                       "ORDER BY region, queue, order_name", {"regions": list(regions)}).df()


def rules_applied(cur: duckdb.DuckDBPyConnection, day) -> pd.DataFrame:
    """Every parameter of the rules the publication applied on `day` (the audit's table of
    rules in force, from the same rulesets as the numbering), per region."""
    return cur.execute(
        "SELECT region, ruleset, parameter, value, unit, CAST(valid_from AS DATE) AS valid_from, source "
        "FROM audit_rules WHERE valid_from <= $day AND $day < valid_until ORDER BY region, parameter",
        {"day": day}).df()


def q3_ratio(cur: duckdb.DuckDBPyConnection, region: str, day) -> tuple[int, int] | None:
    """Q3's ratio (first-priority, general) the numbers of `region` followed at the end of `day`."""
    return cur.execute(
        "SELECT ratio_first, ratio_general FROM numbering_rules WHERE region = $region "
        "AND valid_from < $day + INTERVAL 1 DAY AND $day + INTERVAL 1 DAY <= valid_until",
        {"region": region, "day": day}).fetchone()


def sources(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The files this snapshot was built from, with their SHA-256 and dropped columns."""
    return cur.execute(SOURCES).df()


TABLE_ROWS = """
SELECT 'kindergartens' AS table_name, count(*) AS rows FROM kindergartens
UNION ALL SELECT 'groups', count(*) FROM groups
UNION ALL SELECT 'vacancies', count(*) FROM vacancies
UNION ALL SELECT 'applications', count(*) FROM applications
UNION ALL SELECT 'events', count(*) FROM events
UNION ALL SELECT 'queue', count(*) FROM queue
"""


def table_rows(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rows of each published table."""
    return cur.execute(TABLE_ROWS).df()


def has_events(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the snapshot holds a status log (the optional `events` table)."""
    return bool(cur.execute("SELECT EXISTS (SELECT 1 FROM events)").fetchone()[0])


def forecast_backtest(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """How often this publication's forecasts, made from its own earlier history, came true
    (engine/forecast.py); empty for a snapshot published before forecasts existed."""
    if not store.has_table(cur, "forecast_backtest"):
        return pd.DataFrame()
    return cur.execute("SELECT * FROM forecast_backtest ORDER BY horizon_weeks").df()


def queue_birth_years(cur: duckdb.DuckDBPyConnection, region: str, locality: str) -> list[int]:
    """The birth years with a published queue in one settlement, youngest first."""
    return [y for (y,) in cur.execute(
        "SELECT DISTINCT birth_year FROM queue WHERE region = $region AND locality IS NOT DISTINCT FROM $locality "
        "ORDER BY birth_year DESC", {"region": region, "locality": locality}).fetchall()]


# How far the front of each queue reached (engine/sql/segment_movement.sql): per week and
# birth year of one settlement, the latest registration among the applications referred in
# queue order that week (A1). Weeks without such referrals are left out.
FRONT_BY_WEEK = """
SELECT week, birth_year, front_registered_at AS front
FROM segment_movement
WHERE week >= CAST($start AS DATE) AND week < CAST($until AS DATE)
  AND front_registered_at IS NOT NULL
  AND region = $region AND locality IS NOT DISTINCT FROM $locality
ORDER BY birth_year, week
"""


def front_by_week(cur: duckdb.DuckDBPyConnection, day, weeks: int | None, region: str, locality: str) -> pd.DataFrame:
    """Per week (named by its Monday) and birth year: the registration the front reached."""
    return cur.execute(FRONT_BY_WEEK, _weeks(day, weeks, cur) | {"region": region, "locality": locality}).df()


# --- districts over time ------------------------------------------------------------------

def district_months(cur: duckdb.DuckDBPyConnection, day, months: int | None = 12, region: str | None = None,
                    locality: str | None = None) -> pd.DataFrame:
    """Per district and month: places announced, bulletins, referrals, findings
    (engine/sql/district_months.sql; findings NULL where no ruleset covers the month)."""
    return district_table.by_district(cur, _day(day), months, region, locality)


def queue_per_place(cur: duckdb.DuckDBPyConnection, day, months: int | None = 12, region: str | None = None,
                    locality: str | None = None) -> pd.DataFrame:
    """Per settlement and month: applications waiting at its start (Q2), places announced,
    waiting per place (engine/sql/queue_per_place.sql)."""
    return district_table.queue_per_place(cur, _day(day), months, region, locality)


def _day(day):
    import datetime as dt

    return dt.date.fromisoformat(str(day)[:10])
