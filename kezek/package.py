"""datapackage.json (Frictionless Data Package, v1) for an export: a Table Schema per
resource from engine/resources.py, titles and descriptions in Kazakh, Russian and English
from the dashboard's catalogs, the licence, and the ingested files with their SHA-256."""

from __future__ import annotations

from pathlib import Path

import duckdb

from i18n import LANGUAGES, t
from engine.schema import FORMAT_VERSION, Column
from engine.resources import FIELD_TYPE, RESOURCES, Resource

LICENSES = {  # SPDX id → where its text is
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
}


def texts(key: str, **values) -> dict[str, str]:
    """A catalog entry in every language."""
    return {lang: t(key, lang, **values) for lang in LANGUAGES}


def field(resource: Resource, column: Column) -> dict:
    titles, descriptions = texts(f"column.{column.name}"), texts(resource.description_key(column.name))
    out = {"name": column.name, "type": FIELD_TYPE[column.type], "title": titles["en"],
           "description": descriptions["en"], "kezek:titles": titles, "kezek:descriptions": descriptions}
    constraints: dict = {}
    if column.required:
        constraints["required"] = True
    if column.enum:
        constraints["enum"] = list(column.enum)
    if column.minimum is not None:
        constraints["minimum"] = column.minimum
    if column.pattern:
        constraints["pattern"] = column.pattern
    if constraints:
        out["constraints"] = constraints
    return out


def schema(resource: Resource) -> dict:
    out: dict = {"fields": [field(resource, c) for c in resource.columns], "missingValues": [""]}
    if resource.primary_key:
        out["primaryKey"] = list(resource.primary_key)
    keys = [(col, table, ref) for col, table, ref in resource.foreign_keys if table in RESOURCES]
    if keys:
        out["foreignKeys"] = [{"fields": col, "reference": {"resource": table, "fields": ref}}
                              for col, table, ref in keys]
    return out


def resource_descriptor(resource: Resource, path: Path, out: Path, digest: str) -> dict:
    """A resource's entry; `digest`: its file's SHA-256."""
    titles = texts(f"resource.{resource.name}")
    descriptions = texts(f"resource.{resource.name}_description")
    return {
        "name": resource.name,
        "path": path.relative_to(out).as_posix(),
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "title": titles["en"],
        "description": descriptions["en"],
        "kezek:titles": titles,
        "kezek:descriptions": descriptions,
        "bytes": path.stat().st_size,
        "hash": f"sha256:{digest}",
        "schema": schema(resource),
    }


def descriptor(con: duckdb.DuckDBPyConnection, out: Path, exported: dict[str, Path],
               digests: dict[Path, str]) -> dict:
    """The package of the files `exported` (resource → CSV file) in `out`; `digests`: their
    SHA-256 (kezek/export.py reads each CSV once to checksum and zip it)."""
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    licence = meta.get("license") or "CC0-1.0"
    sources = con.execute("SELECT file, table_name, rows, sha256 FROM sources ORDER BY table_name, file").fetchall()
    return {
        "profile": "tabular-data-package",
        "name": "kezek",
        "id": meta.get("snapshot"),
        "title": meta.get("title") or t("package.title", "en"),
        "description": t("package.description", "en", as_of=meta.get("as_of", "")),
        "kezek:titles": texts("package.title"),
        "kezek:descriptions": texts("package.description", as_of=meta.get("as_of", "")),
        "version": f"{FORMAT_VERSION}.0.0",
        "created": meta.get("published_at"),
        "kezek:as_of": meta.get("as_of"),
        "kezek:snapshot": meta.get("snapshot"),
        "kezek:ruleset": meta.get("ruleset"),
        "licenses": [{"name": licence, "title": licence, **({"path": LICENSES[licence]} if licence in LICENSES else {})}],
        "contributors": [{"title": meta["publisher"], "role": "publisher"}] if meta.get("publisher") else [],
        # A file read has its checksum; a generated demo table has none.
        "sources": [{"title": f"{file} ({table}, {rows} rows)", "kezek:file": file, "kezek:table": table,
                     "kezek:rows": rows, **({"kezek:sha256": digest} if digest else {})}
                    for file, table, rows, digest in sources],
        "resources": [resource_descriptor(RESOURCES[name], path, out, digests[path])
                      for name, path in exported.items()],
    }
