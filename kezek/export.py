"""`kezek export`: the published tables as open data (engine/resources.py).

    DIR/datapackage.json                 Frictionless Data Package: Table Schemas, sources, licence
    DIR/csv/TABLE.csv                    UTF-8, a header row, ISO dates (the package's resources)
    DIR/parquet/TABLE.parquet            the same rows in Parquet
    DIR/parquet/TABLE/region=R/birth_year=Y/data_0.parquet   the large tables, hive style

Every publication writes its snapshot's open data this way, with a ZIP of them, into
HOME/open-data/SNAPSHOT/ before it is published (engine/publication.py); the server serves
those files at /open-data/SNAPSHOT/… and /open-data/SNAPSHOT.zip.

Personal data never leaves: birth year instead of birth date, no privilege category per
application. The output is deterministic for one snapshot: fixed column order, rows in each
table's key order, each file written by one DuckDB thread (two files at a time,
kezek/export_jobs.py).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from contextlib import nullcontext
from functools import partial
from pathlib import Path

import duckdb

from engine import store
from engine.publication import zip_name
from engine.resources import RESOURCES, Resource
from kezek.export_jobs import STAGED, Job, literal, running
from kezek.package import descriptor

FORMATS = ("csv", "parquet")
ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # a fixed stamp: the same snapshot gives the same ZIP
CSV_OPTIONS = "FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d', TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S'"
# Parquet is zipped as it is (already compressed) and the rest deflated at level 1: for the
# national export 2.8 s and 120 MB instead of 10.2 s and 90 MB at the default level.
DEFLATE_LEVEL = 1
BLOCK = 1 << 22  # bytes read at a time to checksum and zip a file


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def rows(resource: Resource) -> str:
    columns = ", ".join(quoted(c) for c in resource.column_names)
    return f"SELECT {columns} FROM ({resource.source or f'SELECT * FROM {quoted(resource.name)}'})"


def query(resource: Resource) -> str:
    return f"{rows(resource)} ORDER BY {', '.join(quoted(c) for c in resource.order)}"


def export(con: duckdb.DuckDBPyConnection, out: Path, formats: list[str], archive: Path | None = None) -> list[Path]:
    """Write every resource the snapshot holds (a snapshot published before the audit has
    no findings) and datapackage.json, and with `archive` a ZIP of every file of `out`
    (which must hold nothing else); returns the files written, without the ZIP.

    The statements run two at a time while this thread checksums each CSV, and zips it,
    as soon as it is written: CSV files come first in the ZIP (csv/ sorts before
    datapackage.json and parquet/)."""
    out.mkdir(parents=True, exist_ok=True)
    held = [r for r in RESOURCES.values() if store.has_table(con, r.name)]
    csvs = {r.name: out / "csv" / f"{r.name}.csv" for r in held} if "csv" in formats else {}
    parquet = out / "parquet" if "parquet" in formats else None
    if csvs:
        (out / "csv").mkdir(exist_ok=True)
    if parquet:
        parquet.mkdir(exist_ok=True)
    jobs: list[Job] = []
    writing: dict[Path, Job] = {}  # a file → the job that writes it
    for resource in largest_first(con, held):
        made = resource_jobs(resource, csvs.get(resource.name), parquet)
        jobs += list(made)
        writing.update({path: job for job, path in made.items() if path})
    with zipfile.ZipFile(archive, "w") if archive else nullcontext() as z:
        with running(snapshot_file(con), jobs):
            digests = {}
            for path in sorted(csvs.values()):
                writing[path].done.result()
                digests[path] = add(path, out, z)
        package = descriptor(con, out, csvs, digests)
        (out / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if z is not None:
            for path in sorted(p for p in out.rglob("*") if p.is_file() and p not in digests and p != archive):
                add(path, out, z)
    files = [f for r in held for f in [csvs.get(r.name), *parquet_files(r, parquet)] if f]
    return [*files, out / "datapackage.json"]


def largest_first(con: duckdb.DuckDBPyConnection, resources: list[Resource]) -> list[Resource]:
    """The resources with the most rows first: the writers end about together."""
    sizes = dict(con.execute("SELECT table_name, estimated_size FROM duckdb_tables() "
                             "WHERE database_name = current_database()").fetchall())
    return sorted(resources, key=lambda r: -sizes.get(r.name, 0))


def snapshot_file(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]


def resource_jobs(resource: Resource, csv: Path | None, parquet: Path | None) -> dict[Job, Path | None]:
    """The statements that write a resource, each with the file it writes (None for a
    partitioned folder or no file). A resource written in both formats is sorted once into
    a staged table that both files read in its stored order (one DuckDB thread scans a
    table in the order its rows were inserted)."""
    copies: list[tuple[str, Path | None]] = []  # (where to and how, the file)
    if csv:
        copies.append((f"TO {literal(csv)} ({CSV_OPTIONS})", csv))
    if parquet and resource.partition:
        shutil.rmtree(parquet / resource.name, ignore_errors=True)  # a partition left by an older export would mislead
        partition = ", ".join(quoted(c) for c in resource.partition)
        copies.append((f"TO {literal(parquet / resource.name)} (FORMAT parquet, PARTITION_BY ({partition}))", None))
    elif parquet:
        copies.append((f"TO {literal(parquet / f'{resource.name}.parquet')} (FORMAT parquet)", parquet / f"{resource.name}.parquet"))
    if len(copies) == 1:
        return {Job(f"COPY ({query(resource)}) {copies[0][0]}"): copies[0][1]}
    staged = f"{STAGED}.{quoted(resource.name)}"
    stage = Job(f"CREATE TABLE {staged} AS {query(resource)}")
    written = {Job(f"COPY {staged} {copies[0][0]}", (stage,)): copies[0][1],
               Job(partial(parquet_copy, resource, staged, copies[1][0]), (stage,)): copies[1][1]}
    return {stage: None, **written, Job(f"DROP TABLE {staged}", tuple(written)): None}


def parquet_copy(resource: Resource, staged: str, target: str, cursor: duckdb.DuckDBPyConnection) -> None:
    """Parquet from the staged table when its columns may hold NULL just where the query's
    may: DuckDB writes a column as `required` when it knows it has none, and a fresh table
    knows exactly where a query only infers (a CAST loses it, as the groups' `enrolled`);
    otherwise (or with no rows) from the query, sorting again, for the same bytes as on its own."""
    staged_nulls = may_be_null(cursor, f"SELECT * FROM {staged}", resource)
    same = staged_nulls is not None and staged_nulls == may_be_null(cursor, rows(resource), resource)
    cursor.execute(f"COPY {staged if same else f'({query(resource)})'} {target}")


def may_be_null(cursor: duckdb.DuckDBPyConnection, sql: str, resource: Resource) -> list[str] | None:
    """Whether DuckDB reckons each column of `sql` may hold NULL (its statistics: one row
    read); None for no rows."""
    found = cursor.execute(f"SELECT {', '.join(f'stats({quoted(c)})' for c in resource.column_names)} "
                           f"FROM ({sql}) LIMIT 1").fetchone()
    return None if found is None else [re.search(r"has.null'?:\s*(\w+)", str(s), re.I).group(1).lower() for s in found]


def parquet_files(resource: Resource, folder: Path | None) -> list[Path]:
    if folder is None:
        return []
    if resource.partition:
        return sorted((folder / resource.name).rglob("*.parquet"))
    return [folder / f"{resource.name}.parquet"]


def add(path: Path, out: Path, z: zipfile.ZipFile | None) -> str:
    """The SHA-256 of a file, read once, and the file as a member of the ZIP `z` when given."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh, member(z, path, out) if z is not None else nullcontext() as dest:
        for block in iter(lambda: fh.read(BLOCK), b""):
            digest.update(block)
            if dest is not None:
                dest.write(block)
    return digest.hexdigest()


def member(z: zipfile.ZipFile, path: Path, out: Path):
    """An open member of `z` for `path`, as ZipFile.writestr would write it."""
    info = zipfile.ZipInfo(path.relative_to(out).as_posix(), ZIP_DATE)
    info.file_size = path.stat().st_size  # as writestr sets it: whether the member needs ZIP64
    if path.suffix == ".parquet":
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = DEFLATE_LEVEL  # what writestr(compresslevel=) sets; ZipFile.open has no argument for it
    return z.open(info, "w")


def write_open_data(snapshot_file: Path, folder: Path, snapshot: str) -> list[Path]:
    """The open data of a snapshot being published: every format and their ZIP in `folder`."""
    shutil.rmtree(folder, ignore_errors=True)
    archive = folder / zip_name(snapshot)
    con = store.open_snapshot(snapshot_file)
    try:
        written = export(con, folder, list(FORMATS), archive)
    finally:
        con.close()
    return [*written, archive]
