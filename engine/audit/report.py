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
        doc["position_offsets"] = {str(o): n for o, n in con.execute(
            'SELECT "offset", applications FROM audit_position_offsets ORDER BY "offset"').fetchall()}
    return doc
