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
table's key order, each file written by one DuckDB thread (two files at a time:
writing()).
"""

from __future__ import annotations

import hashlib
import json
import queue
import shutil
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

import duckdb

from engine import store
from engine.publication import zip_name
from engine.resources import RESOURCES, Resource
from kezek.package import descriptor

FORMATS = ("csv", "parquet")
ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # a fixed stamp: the same snapshot gives the same ZIP
CSV_OPTIONS = "FORMAT csv, HEADER true, DATEFORMAT '%Y-%m-%d', TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S'"
# Parquet is zipped as it is (already compressed) and the rest deflated at level 1: for the
# national export 2.8 s and 120 MB instead of 10.2 s and 90 MB at the default level.
DEFLATE_LEVEL = 1
BLOCK = 1 << 22  # bytes read at a time to checksum and zip a file
WRITERS = 2  # statements at once, each with one DuckDB thread: a file's bytes do not depend on it


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def query(resource: Resource) -> str:
    columns = ", ".join(quoted(c) for c in resource.column_names)
    source = resource.source or f"SELECT * FROM {quoted(resource.name)}"
    return f"SELECT {columns} FROM ({source}) ORDER BY {', '.join(quoted(c) for c in resource.order)}"


def export(con: duckdb.DuckDBPyConnection, out: Path, formats: list[str], archive: Path | None = None) -> list[Path]:
    """Write every resource the snapshot holds (a snapshot published before the audit has
    no findings) and datapackage.json, and with `archive` a ZIP of every file of `out`
    (which must hold nothing else); returns the files written, without the ZIP.

    The statements run two at a time (writing()) while this thread checksums each CSV, and
    zips it, as soon as it is written: the CSV files come first in the ZIP (csv/ sorts
    before datapackage.json and parquet/)."""
    out.mkdir(parents=True, exist_ok=True)
    held = [r for r in RESOURCES.values() if store.has_table(con, r.name)]
    csvs = {r.name: out / "csv" / f"{r.name}.csv" for r in held} if "csv" in formats else {}
    parquet = out / "parquet" if "parquet" in formats else None
    for folder in {p.parent for p in csvs.values()} | ({parquet} if parquet else set()):
        folder.mkdir(exist_ok=True)
    parquets = [parquet_statement(r, parquet) for r in largest_first(con, held)] if parquet else []
    csv_order = sorted(csvs.values())  # as in the ZIP
    # The longest statement (the largest table's Parquet) first, then the CSV files in the
    # ZIP's order, which this thread zips as they come, then the other Parquet files.
    statements = dict([*parquets[:1], *((path, f"COPY ({query(RESOURCES[path.stem])}) TO {literal(path)} "
                                                f"({CSV_OPTIONS})") for path in csv_order), *parquets[1:]])
    with zipfile.ZipFile(archive, "w") if archive else nullcontext() as z:
        digests: dict[Path, str] = {}
        with writing(con, statements) as written:
            for path in csv_order:
                written[path].result()  # written, or why not
                digests[path] = add(path, out, z)
        package = descriptor(con, out, csvs, digests)
        (out / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if z is not None:
            for path in sorted(p for p in out.rglob("*") if p.is_file() and p not in digests and p != archive):
                add(path, out, z)
    files = [f for r in held for f in [csvs.get(r.name), *parquet_files(r, parquet)] if f]
    return [*files, out / "datapackage.json"]


def largest_first(con: duckdb.DuckDBPyConnection, resources: list[Resource]) -> list[Resource]:
    sizes = dict(con.execute("SELECT table_name, estimated_size FROM duckdb_tables() "
                             "WHERE database_name = current_database()").fetchall())
    return sorted(resources, key=lambda r: -sizes.get(r.name, 0))


def parquet_statement(resource: Resource, folder: Path) -> tuple[Path, str]:
    """Where a resource's Parquet goes (a file, or a folder of partitions) and the statement."""
    if not resource.partition:
        target = folder / f"{resource.name}.parquet"
        return target, f"COPY ({query(resource)}) TO {literal(target)} (FORMAT parquet)"
    target = folder / resource.name
    shutil.rmtree(target, ignore_errors=True)  # a partition left by an older export would mislead
    partition = ", ".join(quoted(c) for c in resource.partition)
    return target, f"COPY ({query(resource)}) TO {literal(target)} (FORMAT parquet, PARTITION_BY ({partition}))"


def parquet_files(resource: Resource, folder: Path | None) -> list[Path]:
    if folder is None:
        return []
    if resource.partition:
        return sorted((folder / resource.name).rglob("*.parquet"))
    return [folder / f"{resource.name}.parquet"]


@contextmanager
def writing(con: duckdb.DuckDBPyConnection, statements: dict[Path, str]) -> Iterator[dict[Path, Future]]:
    """Run the statements, in their order, WRITERS at a time, each on its own cursor with one
    DuckDB thread: a file's bytes do not depend on what runs beside it. DuckDB releases the
    GIL while it writes. Yields each file's future; leaving the block waits for every
    statement; after a failure none starts and those running are interrupted."""
    con.execute("SET threads = 1")  # one DuckDB thread per statement: the same bytes for the same snapshot
    cursors = [con.cursor() for _ in range(WRITERS)]
    idle, failures = queue.SimpleQueue(), []
    for cursor in cursors:
        idle.put(cursor)

    def run(sql: str) -> None:
        if failures:  # not started after a failure: its waiter learns that one
            raise failures[0]
        cursor = idle.get()
        try:
            cursor.execute(sql)
        except BaseException as exc:
            failures.append(exc)
            raise
        finally:
            idle.put(cursor)

    try:
        with ThreadPoolExecutor(WRITERS, thread_name_prefix="export") as pool:
            futures = {path: pool.submit(run, sql) for path, sql in statements.items()}
            try:
                yield futures
                for future in futures.values():
                    future.result()
            except BaseException as exc:
                failures.append(exc)
                for cursor in cursors:  # the statements running end now
                    cursor.interrupt()
                raise
    finally:
        for cursor in cursors:
            cursor.close()


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
