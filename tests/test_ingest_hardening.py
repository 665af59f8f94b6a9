"""Hostile and odd input files, and the server's time zone (issue 14).

A file thousands of columns wide, a header longer than a CSV field may be, an image or random
bytes under a table's name: each is bad input (exit status 2) naming the file, never a crash
or an update that eats the server's memory. File names spelled in decomposed Unicode (zips
made on macOS) match the mapping's names. Zone-aware times are read as the dataset's wall
clock, so that the same dataset publishes the same numbers on a server in UTC as on one in
Almaty.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import struct
import subprocess
import unicodedata
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import KEZEK, application, kindergarten, run_kezek, vacancy, write_csv, write_dataset
from engine import store

MAX_COLUMNS = 1000  # ingest/readers.py; a file with more is refused

APPS = [
    application("УО.2016.000001.1", "2016-02-01 10:00"),
    application("УО.2016.000002.1", "2016-02-01 09:00", privilege="first"),
]
OTHERS = {"kindergartens": [kindergarten()], "vacancies": [vacancy(seats=2)]}


def refused(folder: Path, home: Path) -> str:
    done = run_kezek("update", "--source", str(folder), home=home)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert not (home / "published.json").exists()
    return done.stderr


# -- hostile files -------------------------------------------------------------------------

def wide_applications(folder: Path, fmt: str, columns: int) -> Path:
    """applications.FMT with the format's columns and unknown ones up to `columns` in all."""
    extra = columns - len(APPS[0])
    rows = [{**a, **{f"note_{i}": "x" for i in range(extra)}} for a in APPS]
    path = folder / f"applications.{fmt.split()[-1]}"
    if fmt == "csv":
        write_csv(path, rows)
    elif fmt == "nested json":  # few fields, each an object of many: DuckDB stores each nested field as a column
        per = extra // 10 + 1
        path.write_text(json.dumps([{**a, **{f"group_{g}": {f"n{i}": "x" for i in range(per)} for g in range(10)}}
                                    for a in APPS], ensure_ascii=False), encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    elif fmt == "jsonl":
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    elif fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(list(rows[0]))
        for r in rows:
            sheet.append(list(r.values()))
        book.save(path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet", "xlsx", "nested json"])
def test_a_file_wider_than_the_limit_is_refused_naming_it_and_its_width(tmp_path, fmt):
    folder = write_dataset(tmp_path / "ds", OTHERS)
    path = wide_applications(folder, fmt, MAX_COLUMNS + 1)
    stderr = refused(folder, tmp_path / "home")
    width = MAX_COLUMNS + 1 if fmt != "nested json" else len(APPS[0]) + 10 * ((MAX_COLUMNS + 1 - len(APPS[0])) // 10 + 1)
    counted = "columns (nested fields counted)" if fmt in ("json", "jsonl", "parquet", "nested json") else "columns"
    assert f"{path.name}: {width // 1000} {width % 1000:03d} {counted}, over the limit of 1 000" in stderr


def test_a_file_at_the_limit_is_read(tmp_path):
    folder = write_dataset(tmp_path / "ds", OTHERS)
    wide_applications(folder, "csv", MAX_COLUMNS)
    done = run_kezek("update", "--source", str(folder), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert "applications: 2 rows" in done.stdout


def test_a_workbook_whose_cells_reach_far_is_refused_before_it_is_read(tmp_path):
    """Two cells far apart make the reader hold every cell between them."""
    import openpyxl

    folder = write_dataset(tmp_path / "ds", OTHERS)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(APPS[0]))
    sheet.append(list(APPS[0].values()))
    sheet["J600000"] = "queued"
    book.save(folder / "applications.xlsx")
    assert (folder / "applications.xlsx").stat().st_size < 10_000
    stderr = refused(folder, tmp_path / "home")
    assert "applications.xlsx: the first sheet spans 6 000 000 cells, over the limit of 5 000 000" in stderr


def test_a_header_longer_than_a_csv_field_may_be_is_refused_naming_the_file(tmp_path):
    folder = write_dataset(tmp_path / "ds", OTHERS)
    headers = list(APPS[0])
    headers[1] = "region" + " " * 140_000
    write_csv(folder / "applications.csv", APPS, headers=headers)
    stderr = refused(folder, tmp_path / "home")
    assert "applications.csv, row 1: the header row is longer than 131 072 characters" in stderr


# -- odd files -----------------------------------------------------------------------------

def png() -> bytes:
    """A real 4×4 red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    pixels = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b""))


BINARIES = {"a PNG": png(), "random bytes": random.Random(14).randbytes(4096)}
REASON = {"csv": "not a text file", "json": "not a text file", "jsonl": "not a text file",
          "parquet": "cannot be read as Parquet", "xlsx": "cannot be read as XLSX"}


@pytest.mark.parametrize("what", BINARIES)
@pytest.mark.parametrize("ext", REASON)
def test_a_binary_file_under_a_table_name_is_refused_naming_it(tmp_path, ext, what):
    folder = write_dataset(tmp_path / "ds", OTHERS)
    (folder / f"applications.{ext}").write_bytes(BINARIES[what])
    stderr = refused(folder, tmp_path / "home")
    assert f"applications.{ext}: {REASON[ext]}" in stderr


def test_a_byte_neither_utf8_nor_cp1251_defines_is_refused_with_its_row(tmp_path):
    folder = write_dataset(tmp_path / "ds", OTHERS)
    path = write_csv(folder / "applications.csv", [APPS[0], {**APPS[1], "region": "Астана"}], encoding="cp1251")
    path.write_bytes(path.read_bytes().replace("УО.2016.000002.1".encode("cp1251"), b"\x98\x98.2016.000002.1"))
    stderr = refused(folder, tmp_path / "home")
    assert "applications.csv, row 3: neither UTF-8 nor Windows-1251 text" in stderr


def test_file_names_in_decomposed_unicode_match_the_mapping(tmp_path):
    """A zip made on macOS spells `й` as `и` + U+0306; the mapping file, typed elsewhere, as one letter."""
    folder = write_dataset(tmp_path / "ds", OTHERS)
    stem = "Список заявлений"
    decomposed = unicodedata.normalize("NFD", stem)
    assert decomposed != stem
    write_csv(folder / f"{decomposed}.csv", APPS)
    (folder / "mapping.toml").write_text(f'[tables.applications]\nfiles = ["{stem}"]\n', encoding="utf-8")
    done = run_kezek("update", "--source", str(folder), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    con = store.open_snapshot(store.current(tmp_path / "home").path)
    assert dict(con.execute("SELECT application_number, queue_number FROM queue").fetchall()) == \
        {"УО.2016.000002.1": 1, "УО.2016.000001.1": 2}


# -- time zones ----------------------------------------------------------------------------

ALMATY = ZoneInfo("Asia/Almaty")  # UTC+6 until 2024


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ALMATY)


# Registrations and births near midnight and New Year: read in UTC, each would move 6 hours
# back, into the previous day or year.
ZONED = [
    ("УО.2017.000001.1", "2017-01-01 00:30", "2015-01-01", "none"),
    ("УО.2016.000900.1", "2016-12-31 23:50", "2015-01-01", "none"),
    ("УО.2017.000002.1", "2017-01-01 05:59", "2014-12-31", "first"),
    ("УО.2017.000003.1", "2017-01-02 03:00", "2015-06-01", "none"),
]


def zoned_dataset(folder: Path, fmt: str) -> Path:
    folder = write_dataset(folder, {"kindergartens": [kindergarten()],
                                    "vacancies": [vacancy(announced_at="2017-04-10 00:30", seats=2)]})
    rows = [{"application_number": n, "region": "Астана", "birth_date": local(born), "registered_at": local(at),
             "privilege": privilege, "status": "queued"} for n, at, born, privilege in ZONED]
    if fmt == "parquet":
        aware = pa.timestamp("us", tz="Asia/Almaty")
        table = pa.Table.from_pylist(rows, schema=pa.schema([
            ("application_number", pa.string()), ("region", pa.string()), ("birth_date", aware),
            ("registered_at", aware), ("privilege", pa.string()), ("status", pa.string())]))
        pq.write_table(table, folder / "applications.parquet")
    else:  # ISO times with an offset, which DuckDB reads as zone-aware
        (folder / "applications.json").write_text(json.dumps(
            [{**r, "birth_date": r["birth_date"].isoformat(), "registered_at": r["registered_at"].isoformat()}
             for r in rows], ensure_ascii=False), encoding="utf-8")
        (folder / "dataset.json").write_text(json.dumps({"timezone": "Asia/Almaty"}), encoding="utf-8")
    return folder


def kezek_in_zone(zone: str, *args: str) -> None:
    done = subprocess.run([*KEZEK, *args], capture_output=True, text=True, timeout=600, env={**os.environ, "TZ": zone})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("fmt", ["parquet", "json"])
def test_zone_aware_times_publish_the_same_numbers_whatever_the_servers_zone(tmp_path, fmt):
    folder = zoned_dataset(tmp_path / "ds", fmt)
    published = {}
    for zone in ("UTC", "Asia/Almaty"):
        home, out = tmp_path / f"home-{zone.replace('/', '-')}", tmp_path / f"export-{zone.replace('/', '-')}"
        kezek_in_zone(zone, "update", "--source", str(folder), "--home", str(home))
        kezek_in_zone(zone, "export", "--out", str(out), "--format", "csv", "--home", str(home))
        published[zone] = {p.name: p.read_bytes() for p in sorted((out / "csv").iterdir())}
    assert published["UTC"] == published["Asia/Almaty"]
    with open(tmp_path / "export-UTC" / "csv" / "applications.csv", encoding="utf-8", newline="") as fh:
        rows = {r["application_number"]: (r["registered_at"], r["birth_year"]) for r in csv.DictReader(fh)}
    assert rows == {n: (at.replace(" ", "T") + ":00", born[:4]) for n, at, born, _ in ZONED}


def test_an_unknown_time_zone_is_bad_input_naming_dataset_json(tmp_path):
    folder = zoned_dataset(tmp_path / "ds", "json")
    (folder / "dataset.json").write_text(json.dumps({"timezone": "Asia/Astana"}), encoding="utf-8")
    stderr = refused(folder, tmp_path / "home")
    assert "dataset.json, column timezone: unknown time zone 'Asia/Astana'" in stderr


def test_sources_in_two_zones_are_refused(tmp_path):
    first = zoned_dataset(tmp_path / "a", "json")
    second = tmp_path / "b"
    second.mkdir()
    write_csv(second / "groups.csv", [{"kindergarten_id": "K1", "group_id": "G1", "birth_year": 2015,
                                       "language": "kk", "capacity": 20}])
    (second / "dataset.json").write_text(json.dumps({"timezone": "Asia/Aqtobe"}), encoding="utf-8")
    done = run_kezek("update", "--source", str(first), "--source", str(second), home=tmp_path / "home")
    assert done.returncode == 2, done.stderr
    assert "dataset.json, column timezone: Asia/Aqtobe differs from Asia/Almaty" in done.stderr


def rewritten(book: Path, part: str, change) -> None:
    """Rewrite one XML part of a workbook with `change` (bytes → bytes), as another program
    might have written it."""
    import zipfile

    with zipfile.ZipFile(book) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts[part] = change(parts[part])
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


@pytest.mark.parametrize("writing", ["single quotes", "a line break before r", "a padded workbook part"])
def test_a_far_reaching_workbook_is_refused_however_its_xml_is_written(tmp_path, writing):
    """XML allows either quote and any space around an attribute; a workbook part may carry
    a long comment. None of it lets a far cell past the check."""
    import openpyxl

    folder = write_dataset(tmp_path / "ds", OTHERS)
    book = openpyxl.Workbook()
    book.active.append(list(APPS[0]))
    book.active.append(list(APPS[0].values()))
    book.active["J600000"] = "queued"
    path = folder / "applications.xlsx"
    book.save(path)
    sheet = "xl/worksheets/sheet1.xml"
    if writing == "single quotes":
        rewritten(path, sheet, lambda x: x.replace(b' r="', b" r='").replace(b'" t=', b"' t=")
                  .replace(b'" s=', b"' s=").replace(b'"><', b"'><").replace(b'"/>', b"'/>"))
    elif writing == "a line break before r":
        rewritten(path, sheet, lambda x: x.replace(b' r="', b'\nr="'))
    else:
        rewritten(path, "xl/workbook.xml", lambda x: x.replace(b"<workbook", b"<!--" + b" " * (2 << 20) + b"--><workbook", 1))
    stderr = refused(folder, tmp_path / "home")
    assert "applications.xlsx: the first sheet spans 6 000 000 cells, over the limit of 5 000 000" in stderr
