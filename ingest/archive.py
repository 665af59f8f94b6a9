"""The raw archive: every ingested file as it came, minus personal data.

`archive/<sha256 of the original>/` holds the file's own columns as Parquet (personal
columns dropped, the child's birth date reduced to its year) and `manifest.json` with the
original's name, size and SHA-256. The same file ingested twice is archived once. A file a
mapping transforms (docs/mapping.md) is archived as the table the mapping made of it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from ingest.load import LoadedFile
from ingest.readers import quote_ident as q

FOLDER = "archive"


def write(home: Path, con: duckdb.DuckDBPyConnection, files: list[LoadedFile]) -> None:
    for loaded in files:
        if loaded.sha256 is None or loaded.path is None:
            continue  # generated data (demo:): its preset and seed are its provenance
        folder = home / FOLDER / loaded.sha256
        if (folder / "manifest.json").is_file():
            continue
        if loaded.archived is not None:  # written while the update read on (a long series)
            folder.parent.mkdir(parents=True, exist_ok=True)
            os.replace(loaded.archived, folder)
            continue
        tmp = home / FOLDER / f".{loaded.sha256}.tmp"
        stage(con, loaded, tmp)
        os.replace(tmp, folder)


def stage(con: duckdb.DuckDBPyConnection, loaded: LoadedFile, folder: Path) -> None:
    """Write the file's archive (its own columns as Parquet, minus personal data, and its
    manifest) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    birth = loaded.columns.get("birth_date") if loaded.table == "applications" else None
    columns = [c for c, in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = $t ORDER BY column_index",
        {"t": loaded.raw},
    ).fetchall()]
    select = ", ".join(
        f"regexp_extract(CAST({q(c)} AS VARCHAR), '(\\d{{4}})', 1) AS {q(c + ' (year)')}" if c == birth else q(c)
        for c in columns
    )
    # A file's own rows are held in row order as read (ingest/readers.py numbers them so):
    # written as they are; the rows a mapping made are sorted.
    order = " ORDER BY _row" if loaded.mapped else ""
    con.execute(
        f"COPY (SELECT {select} FROM {loaded.raw}{order}) TO $out (FORMAT parquet)",
        {"out": str(folder / f"{loaded.path.stem}.parquet")},
    )
    manifest = {
        "file": loaded.path.name,
        "table": loaded.table,
        "sha256": loaded.sha256,
        "bytes": loaded.path.stat().st_size,
        "rows": loaded.rows,
        "dropped_columns": loaded.dropped,
        "birth_date_reduced_to_year": birth,
        **({"made_by_mapping": True} if loaded.mapped else {}),  # the table as the mapping made it
        **loaded.detected,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
