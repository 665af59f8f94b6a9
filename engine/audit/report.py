"""The `audit --json` document (interfaces.md) from a published snapshot."""

from __future__ import annotations

import json

import duckdb

from engine.audit import FINDING_TYPES


def document(con: duckdb.DuckDBPyConnection, type_: str | None = None) -> dict | None:
    """{"findings": [...], "summary": {TYPE: count}, ...}; None when the snapshot has no audit."""
    tables = {name for (name,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "findings" not in tables:
        return None
    rows = con.execute(
        """SELECT type, rule, application_number, bulletin_id, kindergarten_id, "at", evidence,
                  explanation_kk, explanation_ru, explanation_en
           FROM findings WHERE $type IS NULL OR type = $type ORDER BY finding_id""",
        {"type": type_},
    ).fetchall()
    findings = [
        {"type": t, "rule": r, "application_number": a, "bulletin_id": b, "kindergarten_id": k,
         "at": at.isoformat(timespec="seconds"), "evidence": json.loads(ev),
         "explanation": {"kk": kk, "ru": ru, "en": en}}
        for t, r, a, b, k, at, ev, kk, ru, en in rows
    ]
    counts = dict(con.execute("SELECT type, count(*) FROM findings GROUP BY type").fetchall())
    types = [type_] if type_ else list(FINDING_TYPES)
    doc = {"findings": findings, "summary": {t: counts.get(t, 0) for t in types}}
    if "legitimate" in tables:
        doc["legitimate"] = dict(con.execute("SELECT channel, count(*) FROM legitimate GROUP BY channel ORDER BY channel").fetchall())
    if "audit_position_offsets" in tables:
        doc["position_offsets"] = position_offsets(con)
    return doc


def position_offsets(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Published minus recomputed queue number → applications (position_mismatch, Q4)."""
    return {str(o): n for o, n in con.execute(
        'SELECT "offset", applications FROM audit_position_offsets ORDER BY "offset"').fetchall()}


# --- findings where they happened: for the Audit page and /api/v1/findings ----------------

# Each finding with the kindergarten it concerns (its own, else its bulletin's) and the
# region and district it happened in (the kindergarten's, else the application's region:
# a missed removal or a wrong published number concerns no kindergarten). Filters travel
# as parameters; an absent filter is NULL.
LOCATED = """
SELECT f.finding_id, f.type, f.rule, f.application_number, f.bulletin_id,
       k.kindergarten_id, k.name_kk AS kindergarten_name_kk, k.name_ru AS kindergarten_name_ru,
       coalesce(k.region, a.region) AS region, k.district,
       f."at", strftime(f."at", '%Y-%m') AS month, f.evidence,
       f.explanation_kk, f.explanation_ru, f.explanation_en
FROM findings AS f
LEFT JOIN vacancies AS v ON v.bulletin_id = f.bulletin_id
LEFT JOIN kindergartens AS k ON k.kindergarten_id = coalesce(f.kindergarten_id, v.kindergarten_id)
LEFT JOIN applications AS a ON a.application_number = f.application_number
WHERE ($type IS NULL OR f.type = $type)
  AND ($rule IS NULL OR f.rule = $rule)
  AND ($region IS NULL OR coalesce(k.region, a.region) = $region)
  AND ($district IS NULL OR k.district = $district)
  AND ($kindergarten_id IS NULL OR k.kindergarten_id = $kindergarten_id)
  AND ($month IS NULL OR strftime(f."at", '%Y-%m') = $month)
  AND (NOT $by_number OR a.application_number = $number)
  AND ($finding_id IS NULL OR f.finding_id = $finding_id)
"""

FILTERS = ("type", "rule", "region", "district", "kindergarten_id", "month", "application_number")
# `finding_id` narrows to one finding (the API's /findings/{finding_id}); not a public filter.


def _params(cur: duckdb.DuckDBPyConnection, filters: dict) -> dict:
    from engine.lookup import find

    chosen = {name: (filters.get(name) or None) for name in (*FILTERS, "finding_id")}
    typed = chosen.pop("application_number")
    # The application a number typed any way names, as a lookup finds it (engine/lookup.py):
    # a number found nowhere (NULL) matches no finding.
    found = find(cur, typed) if typed else None
    return chosen | {"by_number": bool(typed), "number": found and found["application_number"]}


def has_audit(cur: duckdb.DuckDBPyConnection) -> bool:
    return cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'findings'").fetchone()[0] > 0


def located(cur: duckdb.DuckDBPyConnection, limit: int | None = None, offset: int = 0, **filters) -> tuple[int, list[dict]]:
    """(total, findings) matching the filters, in finding_id order (time, then type)."""
    params = _params(cur, filters)
    total = cur.execute(f"SELECT count(*) FROM ({LOCATED})", params).fetchone()[0]
    page = " LIMIT $limit OFFSET $offset" if limit is not None else ""
    extra = {"limit": limit, "offset": offset} if limit is not None else {}
    result = cur.execute(f"SELECT * FROM ({LOCATED}) ORDER BY finding_id{page}", params | extra)
    names = [d[0] for d in result.description]
    return total, [_document(dict(zip(names, row))) for row in result.fetchall()]


def _document(row: dict) -> dict:
    """A finding of `LOCATED` as the API gives it: evidence parsed, explanations together."""
    row["evidence"] = json.loads(row["evidence"])
    return _explained(row)


def _explained(row: dict) -> dict:
    row["explanation"] = {lang: row.pop(f"explanation_{lang}") for lang in ("kk", "ru", "en")}
    return row


def counts(cur: duckdb.DuckDBPyConnection, by: str, **filters) -> list[tuple[str | None, int]]:
    """Findings matching the filters counted by `by` (a column of `LOCATED`), by value."""
    if by not in ("type", "rule", "region", "district", "kindergarten_id", "month"):
        raise ValueError(f"cannot count findings by {by!r}")
    return cur.execute(f"SELECT {by}, count(*) FROM ({LOCATED}) GROUP BY ALL ORDER BY {by} NULLS LAST",
                       _params(cur, filters)).fetchall()


# Findings per month on the calendar: every month from the audit's first finding to its last,
# whatever the filters (the same months for every type), so that a month without findings is
# a 0 and not a gap; with a month chosen, that month alone.
PER_MONTH = f"""
WITH calendar AS (
    SELECT strftime(unnest(range(date_trunc('month', min("at")), date_trunc('month', max("at")) + INTERVAL 1 MONTH,
                                 INTERVAL 1 MONTH)), '%Y-%m') AS month
    FROM findings
),
counted AS (SELECT month, count(*) AS findings FROM ({LOCATED}) GROUP BY month)
SELECT c.month, coalesce(n.findings, 0) AS findings
FROM calendar AS c
LEFT JOIN counted AS n USING (month)
WHERE $month IS NULL OR c.month = $month
ORDER BY c.month
"""


def per_month(cur: duckdb.DuckDBPyConnection, **filters) -> list[tuple[str, int]]:
    """(YYYY-MM, findings matching the filters) for every month of the audit's span."""
    return cur.execute(PER_MONTH, _params(cur, filters)).fetchall()


# The referrals out of queue order by design (A9), with where they happened.
LEGITIMATE = """
SELECT l."at", l.channel, l.rule, l.application_number, l.bulletin_id, l.kindergarten_id,
       k.name_kk AS kindergarten_name_kk, k.name_ru AS kindergarten_name_ru,
       coalesce(k.region, a.region) AS region, k.district,
       l.explanation_kk, l.explanation_ru, l.explanation_en, l.event_seq
FROM legitimate AS l
LEFT JOIN kindergartens AS k ON k.kindergarten_id = l.kindergarten_id
LEFT JOIN applications AS a ON a.application_number = l.application_number
WHERE ($region IS NULL OR coalesce(k.region, a.region) = $region)
  AND ($district IS NULL OR k.district = $district)
  AND ($month IS NULL OR strftime(l."at", '%Y-%m') = $month)
"""


def _where(region: str | None, district: str | None, month: str | None) -> dict:
    return {"region": region or None, "district": district or None, "month": month or None}


def legitimate(cur: duckdb.DuckDBPyConnection, region: str | None = None, district: str | None = None,
               month: str | None = None, limit: int | None = None) -> list[dict]:
    """The legitimate out-of-order referrals, oldest first (the first `limit`)."""
    page = " LIMIT $limit" if limit is not None else ""
    params = _where(region, district, month) | ({"limit": limit} if limit is not None else {})
    result = cur.execute(f"SELECT * EXCLUDE (event_seq) FROM ({LEGITIMATE}) ORDER BY \"at\", event_seq{page}", params)
    names = [d[0] for d in result.description]
    return [_explained(dict(zip(names, row))) for row in result.fetchall()]


def legitimate_counts(cur: duckdb.DuckDBPyConnection, region: str | None = None, district: str | None = None,
                      month: str | None = None) -> dict[str, int]:
    """The legitimate out-of-order referrals per channel."""
    return dict(cur.execute(f"SELECT channel, count(*) FROM ({LEGITIMATE}) GROUP BY channel ORDER BY channel",
                            _where(region, district, month)).fetchall())


def choices(cur: duckdb.DuckDBPyConnection, region: str | None = None) -> dict[str, list[str]]:
    """The values the findings' filters can take: regions, months, and the districts of
    `region` (all when None), of the findings and legitimate referrals alike."""
    both = f"""SELECT region, district, month FROM ({LOCATED})
               UNION SELECT region, district, strftime("at", '%Y-%m') FROM ({LEGITIMATE})"""

    def places(within: str | None) -> list[tuple]:
        return cur.execute(both, _params(cur, {"region": within}) | _where(within, None, None)).fetchall()

    every = places(None)
    narrowed = places(region) if region else every
    return {"region": sorted({r for r, _, _ in every if r}),
            "district": sorted({d for _, d, _ in narrowed if d}),
            "month": sorted({m for _, _, m in every if m}, reverse=True)}
