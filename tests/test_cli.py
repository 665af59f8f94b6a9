"""The command line as interfaces.md describes it: lookup, export, exit statuses."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest

from conftest import application, kindergarten, run_kezek, vacancy, write_dataset

APPS = [
    application("УО.2018.000024.1", "2018-07-31 17:29:09", birth_date="2016-08-18"),
    application("УО.2018.000016.1", "2018-07-30 10:00:00", birth_date="2016-09-09"),
    application("УО.2018.000030.1", "2018-08-02 10:00:00", birth_date="2016-01-09"),
]
EVENTS = [
    {"application_number": "УО.2018.000016.1", "at": "2018-07-30 10:00:00", "event": "registered", "privilege": "none"},
    {"application_number": "УО.2018.000016.1", "at": "2018-08-05 10:00:00", "event": "withdrawn"},
]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    folder = write_dataset(root / "ds", {
        "kindergartens": [kindergarten()], "vacancies": [vacancy()],
        "applications": APPS, "events": EVENTS,
    }, {"title": "Test", "exported_at": "2018-08-10 12:00"})
    home = root / "home"
    run_kezek("update", "--source", str(folder), home=home, check=True)
    return home


def test_lookup_json_document(published):
    done = run_kezek("lookup", "УО.2018.000024.1", "--as-of", "2018-08-01", "--json", home=published)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "application_number": "УО.2018.000024.1", "as_of": "2018-08-01", "region": "Астана",
        "locality": "Астана", "birth_year": 2016, "registered_at": "2018-07-31T17:29:09",
        "privilege": "none", "status": "queued", "in_queue": True, "queue_number": 2,
        "privileged_queue_number": 0, "segment_size": 2, "choices": [],  # format 1.1: none in this dataset
        "rules_unknown": False,  # Astana's rules are known
        "status_detail": None,  # queued: its number says what the status means
    }


@pytest.mark.parametrize("typed", ["uo.2018.000024.1", " УО.2018. 000024.1 ", "UO.2018.000024.1", "yo.2018.000024.1"])
def test_lookup_normalises_the_number(published, typed):
    done = run_kezek("lookup", typed, "--json", home=published)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["application_number"] == "УО.2018.000024.1"
    assert (doc["as_of"], doc["queue_number"]) == ("2018-08-10", 1)  # default: the data's date; 016 withdrew


def test_lookup_of_a_child_who_left(published):
    doc = json.loads(run_kezek("lookup", "УО.2018.000016.1", "--json", home=published).stdout)
    assert (doc["status"], doc["in_queue"], doc["queue_number"], doc["segment_size"]) == ("withdrawn", False, None, None)
    assert "birth_date" not in doc


@pytest.mark.parametrize("number", ["УО.2018.999999.1", "1' OR '1'='1", "x" * 500])
def test_lookup_not_found_exits_3(published, number):
    done = run_kezek("lookup", number, home=published)
    assert done.returncode == 3
    assert "not found" in done.stderr and "Traceback" not in done.stderr


def test_lookup_before_registration_is_not_found(published):
    assert run_kezek("lookup", "УО.2018.000030.1", "--as-of", "2018-08-01", home=published).returncode == 3


def test_lookup_without_a_snapshot_says_how_to_publish(tmp_path):
    done = run_kezek("lookup", "УО.2018.000024.1", home=tmp_path / "empty")
    assert done.returncode == 1
    assert "kezek update --source" in done.stderr


def test_export_queue_and_canonical_tables(published, tmp_path):
    out = tmp_path / "out"
    done = run_kezek("export", "--out", str(out), "--format", "csv,parquet", home=published)
    assert done.returncode == 0, done.stderr
    with open(out / "csv" / "queue.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["application_number", "region", "locality", "birth_year", "registered_at",
                             "privilege", "status", "queue_number", "privileged_queue_number"]
    assert [(r["application_number"], r["queue_number"]) for r in rows] == [("УО.2018.000024.1", "1"), ("УО.2018.000030.1", "2")]
    applications = pq.read_table(out / "parquet" / "applications", partitioning="hive")
    assert "birth_date" not in applications.column_names and "privilege_category" not in applications.column_names
    assert sorted(applications.column("birth_year").to_pylist()) == [2016, 2016, 2016]
    files = [p for p in out.rglob("*") if p.is_file()]
    for path in files:
        assert b"2016-08-18" not in path.read_bytes() and b"18.08.2016" not in path.read_bytes()
    again = tmp_path / "again"
    run_kezek("export", "--out", str(again), home=published, check=True)
    for path in files:
        assert path.read_bytes() == (again / path.relative_to(out)).read_bytes(), path.name


def test_every_command_has_help():
    for command in ["update", "lookup", "export", "serve"]:
        done = run_kezek(command, "--help")
        assert done.returncode == 0 and "--home" in done.stdout
