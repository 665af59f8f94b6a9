"""Fuzzing the ingest: random corruptions of a valid dataset, published by the real pipeline.

Hypothesis picks a corruption, a table and a place: a cell of the wrong type, an impossible
date, an unknown label, a missing or an extra column, a duplicated key, a row in another
encoding, a byte-order mark in the middle, a truncated or empty file, random bytes, an
enormous field, or the dataset as a zip with a `../` path, a link, or a bomb. Every case must
end in one of two ways:
- a clean publication: a new snapshot whose tables open and whose queue numbers are a
  permutation of 1..n in every segment; or
- bad input (exit status 2 from `kezek update`): problems that name the file (or a file
  whose references it broke), and for a broken cell a row and a column; the previous publication still serving, and nothing
  left behind.
Anything else, an exception of any other kind, is a failure. The default run tries 100
cases; KEZEK_SLOW=1 tries 2 000.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import SLOW, application, kindergarten, vacancy, write_dataset
from engine import store
from ingest import sources
from ingest.problems import BadInput
from kezek.pipeline import update

CASES = 2000 if SLOW else 100
TABLES = {
    "kindergartens": [kindergarten("K1"), kindergarten("K2", region="Алматы", ownership="private")],
    "vacancies": [vacancy("B1", "K1", seats=2), vacancy("B2", "K2", birth_year=2016, language="ru", seats=1)],
    "applications": [application(f"УО.2016.{i:06d}.1", f"2016-02-{i:02d} 10:00", birth_date="2016-01-10",
                                 privilege=("none", "first", "extraordinary")[i % 3]) for i in range(1, 9)],
}
# Cells whose corruption must be reported with its row and column.
TYPED = {"kindergartens": ["kindergarten_id", "region", "ownership"],
         "vacancies": ["announced_at", "birth_year", "seats", "kindergarten_id", "language"],
         "applications": ["registered_at", "birth_date", "privilege", "status", "application_number"]}
BAD_VALUES = ["abc", "-1", "1e9", "2017-02-30", "31.13.2016", "1800-01-01", "9999-12-31 25:61", "в раздумьях",
              "NaN", "' OR 1=1 --", "<script>alert(1)</script>", "\x00", "0x10", "１２"]


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def corrupt_cell(folder: Path, table: str, row: int, column: str, value: str) -> None:
    import csv

    path = folder / f"{table}.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1 + row % (len(rows) - 1)][rows[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


@st.composite
def corruptions(draw):
    table = draw(st.sampled_from(sorted(TABLES)))
    kind = draw(st.sampled_from(["cell", "missing_column", "extra_column", "duplicate", "encoding", "bom",
                                 "truncate", "empty", "header_only", "bytes", "enormous", "zip_slip", "zip_link",
                                 "zip_bomb", "zip_many"]))
    row = draw(st.integers(0, 20))
    column = draw(st.sampled_from(TYPED[table]))
    value = draw(st.one_of(st.sampled_from(BAD_VALUES), st.text(min_size=1, max_size=12)))
    cut = draw(st.floats(0.05, 0.95))
    blob = draw(st.binary(min_size=1, max_size=64))
    return table, kind, row, column, value, cut, blob


def apply(folder: Path, tmp: Path, case) -> tuple[str, str | None]:
    """Corrupt the dataset in `folder`; returns the source to update from and the file that
    a problem must name (None for a problem with the archive as a whole)."""
    table, kind, row, column, value, cut, blob = case
    path = folder / f"{table}.csv"
    name = path.name
    if kind == "cell":
        corrupt_cell(folder, table, row, column, value)
    elif kind == "missing_column":
        import csv

        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        i = rows[0].index(column)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([r[:i] + r[i + 1:] for r in rows])
    elif kind == "extra_column":
        text = lines(path)
        path.write_bytes(b"".join([text[0].rstrip(b"\r\n") + b",extra_" + value.encode("utf-8", "replace").replace(
            b",", b"_").replace(b"\n", b"_").replace(b'"', b"_") + b"\r\n"] + [l.rstrip(b"\r\n") + b",x\r\n" for l in text[1:]]))
    elif kind == "duplicate":
        text = lines(path)
        path.write_bytes(b"".join(text + [text[1 + row % (len(text) - 1)]]))
    elif kind == "encoding":  # one row in Windows-1251 inside a UTF-8 file
        text = lines(path)
        i = 1 + row % (len(text) - 1)
        text[i] = text[i].decode("utf-8").encode("cp1251", "replace")
        path.write_bytes(b"".join(text))
    elif kind == "bom":
        data = path.read_bytes()
        at = int(len(data) * cut)
        path.write_bytes(data[:at] + "\ufeff".encode() + data[at:])
    elif kind == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * cut)])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "header_only":
        path.write_bytes(lines(path)[0])
    elif kind == "bytes":
        data = path.read_bytes()
        at = int(len(data) * cut)
        path.write_bytes(data[:at] + blob + data[at:])
    elif kind == "enormous":
        corrupt_cell(folder, table, row, column if table != "kindergartens" else "name_ru", "Ж" * (3 << 20))
    else:
        archive = tmp / "dataset.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(folder.iterdir()):
                z.write(f, f.name)
            if kind == "zip_slip":
                z.writestr("../" * (1 + row % 3) + "escaped.csv", "a,b\n1,2\n")
            elif kind == "zip_link":
                info = zipfile.ZipInfo("link.csv")
                info.external_attr = (0o120777 << 16)
                z.writestr(info, "/etc/passwd")
            elif kind == "zip_bomb":  # expands far beyond the cap set below
                z.writestr("padding.csv", b"0" * (24 << 20))
            elif kind == "zip_many":
                for i in range(sources.MAX_MEMBERS + 1):
                    z.writestr(f"n/{i}.txt", b"")
        return str(archive), None
    return str(folder), name


def check_publication(home: Path) -> None:
    con = store.open_snapshot(store.current(home).path)
    try:
        bad = con.execute("""
            SELECT count(*) FROM (
                SELECT region, locality, birth_year, count(*) AS n, min(queue_number) AS lo,
                       max(queue_number) AS hi, count(DISTINCT queue_number) AS d
                FROM queue GROUP BY ALL) WHERE lo <> 1 OR hi <> n OR d <> n""").fetchone()[0]
        assert bad == 0
        assert con.execute("SELECT count(*) FROM lookups").fetchone()[0] == \
            con.execute("SELECT count(*) FROM applications").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    good = write_dataset(root / "good", TABLES)
    home = root / "home"
    update([str(good)], home)
    return root, good, home


@settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(case=corruptions())
def test_a_corrupted_dataset_is_published_cleanly_or_refused_with_its_place(published, monkeypatch, case):
    root, good, home = published
    monkeypatch.setattr(sources, "MAX_UNZIPPED", 16 << 20)  # the bomb's 24 MB is over it
    work = root / "case"
    shutil.rmtree(work, ignore_errors=True)
    folder = work / "dataset"
    shutil.copytree(good, folder)
    source, file = apply(folder, work, case)
    before = store.current(home)
    try:
        update([source], home)
    except BadInput as exc:
        event(f"{case[1]}: refused")  # pytest --hypothesis-show-statistics
        assert exc.problems, case
        assert store.current(home) == before, case  # the previous publication still serves
        if file is not None:  # the file, or one whose references it broke (a kindergarten's id)
            assert all(p.file.split(".")[0].rstrip("*") in TABLES or p.file == "dataset.json"
                       for p in exc.problems), (case, exc.report())
        if case[1] == "cell":
            assert any(p.row is not None and p.column for p in exc.problems), (case, exc.report())
        if case[1].startswith("zip_"):
            assert not (work / "escaped.csv").exists() and not (root / "escaped.csv").exists()
    else:
        event(f"{case[1]}: published")
        assert case[1] not in ("zip_slip", "zip_link", "zip_bomb", "zip_many"), case
        check_publication(home)
    assert not [p for p in home.iterdir() if p.name.startswith(".work-")]
    assert not [p for p in (home / "snapshots").iterdir() if p.name.startswith(".building")]
    assert os.path.exists(home / "published.json")
