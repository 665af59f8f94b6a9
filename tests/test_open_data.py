"""`kezek export` as a data portal publishes it: a Frictionless Data Package that the
reference validator accepts, deterministic files, partitioned Parquet, and no personal data
(kezek/export.py, kezek/package.py, engine/resources.py)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest
from conftest import run_kezek

from i18n import LANGUAGES, catalog
from engine.resources import RESOURCES

PRESETS = ("astana-2017", "almaty")
FRICTIONLESS = Path(sys.executable).with_name("frictionless")


@pytest.fixture(scope="module", params=PRESETS)
def exported(request, tmp_path_factory, demo_home) -> tuple[str, Path, Path]:
    """(preset, home, export folder)."""
    root, home = tmp_path_factory.mktemp(f"export-{request.param}"), demo_home(request.param)
    run_kezek("export", "--out", str(root / "out"), "--format", "csv,parquet", home=home, check=True)
    return request.param, home, root / "out"


def validate(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(FRICTIONLESS), "validate", "--json", "datapackage.json"], cwd=folder,
                          capture_output=True, text=True, timeout=600)


def test_the_reference_validator_accepts_the_package(exported):
    _, _, out = exported
    done = validate(out)
    report = json.loads(done.stdout)
    errors = [e for task in report["tasks"] for e in task["errors"]]
    assert done.returncode == 0 and report["valid"], errors[:5]
    # every resource but `choices`, exported when present: the demo publishes no choices
    assert sorted(task["name"] for task in report["tasks"]) == sorted(set(RESOURCES) - {"choices"})


def test_the_validator_catches_a_broken_table(exported, tmp_path):
    """The package's constraints bite: a duplicated queue row breaks the primary key."""
    _, _, out = exported
    broken = tmp_path / "broken"
    (broken / "csv").mkdir(parents=True)
    for path in (out / "csv").iterdir():
        (broken / "csv" / path.name).write_bytes(path.read_bytes())
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"] = [r for r in package["resources"] if r["name"] in ("queue", "applications")]
    for resource in package["resources"]:
        resource.pop("hash"), resource.pop("bytes")  # the edit below changes them
    (broken / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    lines = (broken / "csv" / "queue.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (broken / "csv" / "queue.csv").write_text("".join(lines + lines[1:2]), encoding="utf-8")
    report = json.loads(validate(broken).stdout)
    errors = [e["type"] for task in report["tasks"] if task["name"] == "queue" for e in task["errors"]]
    assert not report["valid"] and "primary-key" in errors


def test_every_column_is_described_in_three_languages(exported):
    _, _, out = exported
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert set(package["kezek:titles"]) == set(LANGUAGES) and package["licenses"] and package["sources"]
    assert {s["kezek:table"] for s in package["sources"]} >= {"applications", "kindergartens", "vacancies"}
    for resource in package["resources"]:
        with open(out / resource["path"], encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        fields = resource["schema"]["fields"]
        assert header == [f["name"] for f in fields], resource["name"]  # the published order
        assert all(resource["kezek:titles"][lang] and resource["kezek:descriptions"][lang] for lang in LANGUAGES)
        for f in fields:
            assert f["description"] and all(f["kezek:titles"][lang] for lang in LANGUAGES), (resource["name"], f)
            assert f["kezek:titles"]["kk"] != f["name"] and f["kezek:titles"]["ru"] != f["name"]
            # what the column means, in each language (i18n/*.json, field.RESOURCE.COLUMN)
            meaning = f["kezek:descriptions"]
            assert f["description"] == meaning["en"] and meaning["kk"] != meaning["en"] != meaning["ru"], f["name"]


def test_the_same_snapshot_gives_the_same_bytes(exported, tmp_path):
    """Files are written two at a time (kezek/export.py) and the ZIP while they are: the
    bytes are the same all the same, for `kezek export` and for a publication's open data
    with its ZIP written again from its snapshot."""
    from engine import store
    from kezek.export import write_open_data

    _, home, out = exported
    run_kezek("export", "--out", str(tmp_path / "again"), "--format", "csv,parquet", home=home, check=True)
    published = store.current(home)
    write_open_data(published.path, tmp_path / "published", published.snapshot)
    pairs = [(out, tmp_path / "again"), (home / "open-data" / published.snapshot, tmp_path / "published")]
    for first_folder, second_folder in pairs:
        first = {p.relative_to(first_folder): p.read_bytes() for p in first_folder.rglob("*") if p.is_file()}
        second = {p.relative_to(second_folder): p.read_bytes() for p in second_folder.rglob("*") if p.is_file()}
        assert first.keys() == second.keys()
        assert [name for name in first if first[name] != second[name]] == []
    assert any(name.suffix == ".zip" for name in first)


def test_a_file_that_cannot_be_written_ends_the_export_with_its_name(exported, tmp_path):
    """A statement that fails on one writer thread (here a folder stands where a CSV goes)
    ends the whole export, ZIP included, with DuckDB's error naming the file, instead of
    leaving it waiting."""
    import threading

    from engine import store
    from kezek.export import export

    _, home, _ = exported
    (tmp_path / "out" / "csv" / "events.csv").mkdir(parents=True)
    failures = []

    def run() -> None:
        con = store.open_snapshot(store.current(home).path)
        try:
            export(con, tmp_path / "out", ["csv", "parquet"], tmp_path / "out" / "all.zip")
        except duckdb.Error as exc:
            failures.append(str(exc))
        finally:
            con.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=300)
    assert not thread.is_alive(), "the export hangs after a failed statement"
    assert len(failures) == 1 and "events.csv" in failures[0], failures


def test_large_tables_are_partitioned_by_region_and_birth_year(exported):
    _, _, out = exported
    for name in ("applications", "events", "queue"):
        folders = sorted(p.relative_to(out / "parquet" / name).parent.as_posix()
                         for p in (out / "parquet" / name).rglob("*.parquet"))
        assert folders and all(f.startswith("region=") and "/birth_year=" in f for f in folders), name
        table = ds.dataset(out / "parquet" / name, format="parquet", partitioning="hive").to_table()
        with duckdb.connect() as con:
            rows = con.execute(f"SELECT count(*) FROM read_csv('{out / 'csv' / name}.csv')").fetchone()[0]
        assert table.num_rows == rows, name


def test_no_birth_date_or_personal_column_leaves(exported, demo_data):
    """The demo generator knows every child's birth date: none is in the row of its application."""
    preset, _, out = exported
    from ingest.privacy import is_personal

    truth = demo_data(preset).tables["applications"].select(["application_number", "birth_date"])
    with duckdb.connect() as con:
        con.register("truth", truth)
        for resource in RESOURCES.values():
            path = out / "csv" / f"{resource.name}.csv"
            if resource.name == "choices":  # exported when present: the demo has none (tests/test_choices.py)
                continue
            columns = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM read_csv('{path}', all_varchar=true)").fetchall()]
            assert columns == list(resource.column_names)
            if "application_number" not in columns:
                continue  # the register of kindergartens: institutional names, phones and addresses
            assert [c for c in columns if is_personal(c) or c == "privilege_category"] == []
            # a column of the row equal to the child's birth date, or evidence quoting it
            evidence = ("OR position(strftime(t.birth_date, '%Y-%m-%d') IN r.evidence) > 0"
                        if "evidence" in columns else "")
            hits = con.execute(f"""
                SELECT count(*) FROM read_csv('{path}', all_varchar=true) AS r JOIN truth AS t USING (application_number)
                WHERE list_has_any([{', '.join(f'r."{c}"' for c in columns)}],
                                   [strftime(t.birth_date, '%Y-%m-%d'), strftime(t.birth_date, '%d.%m.%Y')])
                      {evidence}""").fetchone()[0]
            assert hits == 0, resource.name


def test_every_published_column_has_a_catalog_title():
    known = set(catalog("en"))
    missing = {f"column.{c}" for r in RESOURCES.values() for c in r.column_names} - known
    assert missing == set()


def test_the_sources_carry_the_checksums_of_the_files_read(tmp_path):
    import hashlib

    from test_dashboard import dataset

    folder = dataset(tmp_path / "ds")
    run_kezek("update", "--source", str(folder), home=tmp_path / "home", check=True)
    run_kezek("export", "--out", str(tmp_path / "out"), home=tmp_path / "home", check=True)
    package = json.loads((tmp_path / "out" / "datapackage.json").read_text(encoding="utf-8"))
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.suffix == ".csv"}
    listed = {Path(s["kezek:file"]).name: s["kezek:sha256"] for s in package["sources"]}
    assert listed == files
    assert validate(tmp_path / "out").returncode == 0


def test_no_small_sensitive_count_is_published(exported):
    """Every group for special educational needs with under 5 children shows "<5"."""
    from engine.disclosure import SENSITIVE_PROGRAMME, SMALL

    _, _, out = exported
    with duckdb.connect() as con:
        left = con.execute(f"""
            SELECT count(*) FROM read_csv('{out / 'csv' / 'groups.csv'}', all_varchar=true)
            WHERE regexp_matches(lower(coalesce(program, '')), '{SENSITIVE_PROGRAMME}')
              AND TRY_CAST(enrolled AS INTEGER) < {SMALL}""").fetchone()[0]
    assert left == 0


# --- served: /open-data/SNAPSHOT/… and the Open data page -----------------------------------

def current_snapshot(home: Path) -> str:
    return json.loads((home / "published.json").read_text(encoding="utf-8"))["snapshot"]


def test_the_server_gives_the_package_and_its_zip(exported):
    import io
    import zipfile

    from test_api import client_for

    _, home, out = exported
    snapshot, api = current_snapshot(home), client_for(home)
    package = api.get(f"/open-data/{snapshot}/datapackage.json")
    assert package.status_code == 200 and "immutable" in package.headers["cache-control"]
    assert package.json() == json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    csv_file = api.get(f"/open-data/{snapshot}/csv/queue.csv")
    assert csv_file.content == (out / "csv" / "queue.csv").read_bytes()
    archive = api.get(f"/open-data/{snapshot}.zip")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:  # the archive is the validated package
        assert sorted(z.namelist()) == sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        assert all(z.read(name) == (out / name).read_bytes() for name in z.namelist())
    for wrong in (f"/open-data/{snapshot}/../published.json", f"/open-data/{snapshot}/%2e%2e/published.json",
                  "/open-data/20990101T000000-deadbeef/datapackage.json", "/open-data/x/datapackage.json",
                  f"/open-data/{snapshot}/csv/nothing.csv"):
        assert api.get(wrong).status_code == 404, wrong


def test_every_publication_is_in_the_changelog(tmp_path):
    from engine.publication import publications
    from test_dashboard import dataset

    import shutil

    folder = dataset(tmp_path / "ds")
    # the same files from another folder: a publication of its own (the same folder again
    # is not published: tests/test_links.py)
    for source in (folder, shutil.copytree(folder, tmp_path / "copy")):
        run_kezek("update", "--source", str(source), home=tmp_path / "home", check=True)
    log = publications(tmp_path / "home")
    assert len(log) == 2 and log[0]["snapshot"] == current_snapshot(tmp_path / "home")
    assert log[0]["rows"]["applications"] == log[1]["rows"]["applications"] > 0
    assert {s["sha256"] for s in log[0]["sources"]} == {s["sha256"] for s in log[1]["sources"]} != {None}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_open_data_page_links_this_snapshot_and_explains_every_column(exported, monkeypatch, lang):
    from test_dashboard import texts, visit

    from i18n import t

    _, home, _ = exported
    snapshot = current_snapshot(home)
    at = visit(home, monkeypatch, "open_data", lang, table="applications")
    shown = texts(at)
    assert f"(/open-data/{snapshot}.zip)" in shown and f"(/open-data/{snapshot}/datapackage.json)" in shown
    tables, columns, changes = (df.value for df in at.dataframe)
    assert set(tables["table"]) <= set(RESOURCES) and f"/open-data/{snapshot}/csv/queue.csv" in set(tables["csv"])
    assert list(columns["column"]) == list(RESOURCES["applications"].column_names)
    assert list(columns["title"]) == [t(f"column.{c}", lang) for c in RESOURCES["applications"].column_names]
    assert list(changes["snapshot"])[0] == snapshot


def test_no_answer_about_an_application_shows_its_birth_date(exported, monkeypatch, demo_data):
    """The API's answers about an application, and its Lookup page, never carry the child's
    birth date (known to the demo generator), in either style."""
    import random

    from test_api import PREFIX, client_for
    from test_dashboard import texts, visit

    preset, home, _ = exported
    truth = demo_data(preset).tables["applications"].select(["application_number", "birth_date"]).to_pylist()
    born = {r["application_number"]: r["birth_date"] for r in truth}
    (snapshot,) = (home / "snapshots").glob("*.duckdb")
    with duckdb.connect(str(snapshot), read_only=True) as con:  # registered on another day than born:
        registered = dict(con.execute(  # the registration date is public, and would match
            "SELECT application_number, CAST(registered_at AS DATE) FROM queue").fetchall())
    numbers = sorted(n for n, day in registered.items() if day != born[n])
    api = client_for(home)
    for number in random.Random(3).sample(numbers, 12):
        styles = (born[number].isoformat(), born[number].strftime("%d.%m.%Y"))
        for path in ("", "/history", "/forecast"):
            body = api.get(f"{PREFIX}/applications/{number}{path}").text
            assert not any(s in body for s in styles), (number, path)
        page = api.get(f"{PREFIX}/queue", params={"number": number, "limit": 1}).json()["items"][0]
        assert page["application_number"] == number and not any(s in json.dumps(page) for s in styles)
    number = numbers[len(numbers) // 2]
    at = visit(home, monkeypatch, "lookup", "ru", app=number)
    shown = texts(at) + "".join(df.value.to_csv() for df in at.dataframe)
    assert number.replace(".", "\\.") in shown or number in shown  # the page is about it (markdown escapes dots)
    assert born[number].strftime("%d.%m.%Y") not in shown
