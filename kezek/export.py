"""`kezek export`: the published tables as open data (CSV and Parquet).

The canonical tables go out with personal data removed (birth year instead of birth date,
no privilege category per application) and `queue` is the public queue list of
interfaces.md. Output is deterministic for one snapshot: fixed column order, rows ordered
by each table's key.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from engine.schema import TABLES

FORMATS = ("csv", "parquet")

QUEUE_COLUMNS = (
    "application_number", "region", "locality", "birth_year", "registered_at",
    "privilege", "status", "queue_number", "privileged_queue_number",
)


def _columns(name: str) -> tuple[list[str], list[str]]:
    """Published columns and the order of rows of each exported table."""
    if name == "queue":
        return list(QUEUE_COLUMNS), ["region", "locality", "birth_year", "queue_number"]
    spec = TABLES[name]
    columns = [c.name for c in spec.columns if not c.personal and c.name != "privilege_category"]
    if name == "applications":
        columns.insert(columns.index("locality") + 1, "birth_year")
    order = list(spec.primary_key) or ["application_number", '"at"', "seq"]
    return columns, order


EXPORTED = ("kindergartens", "groups", "vacancies", "applications", "events", "positions", "queue")


def export(con: duckdb.DuckDBPyConnection, out: Path, formats: list[str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written, resources = [], []
    for name in EXPORTED:
        columns, order = _columns(name)
        select = ", ".join(f'"{c}"' for c in columns)
        query = f"SELECT {select} FROM {name} ORDER BY {', '.join(order)}"
        for fmt in formats:
            path = out / f"{name}.{fmt}"
            options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
            con.execute(f"COPY ({query}) TO '{path}' ({options})")
            written.append(path)
            resources.append({"name": f"{name}-{fmt}", "path": path.name, "format": fmt})
    package = {
        "profile": "data-package",
        "name": "kezek",
        "title": dict(con.execute("SELECT key, value FROM meta").fetchall()).get("title", "Kezek"),
        "resources": resources,
    }
    (out / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8")
    return written
