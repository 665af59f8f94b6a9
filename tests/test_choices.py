"""Format 1.1: the kindergartens each application asked for (`choices`) and the numbers a
city publishes in each kindergarten's own queue (`positions.queue_id`) — ingested and
validated, exported, in the lookup document and the API, on the Lookup page and on a
kindergarten's card. (The audit leaving those numbers alone: tests/scenarios/
f_position_mismatch_kindergarten_queues.toml.)

The dataset: four children born in 2015 in Астана, A1…A4 registered in that order, none
privileged. The city publishes, besides the segment's numbers, its kindergartens' own queues:

    K1's queue on 2017-04-01: A2 1, A1 7       on 2017-04-09: A2 1, A1 5, A3 2
    K2's queue on 2017-04-09: A1 3
    choices: A1 → K1, K2, K3;  A2 → K1;  A3 → K2, K1;  A4 none
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import warnings
from pathlib import Path

import duckdb
import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from conftest import application, kindergarten, run_kezek, write_dataset
from dashboard import server
from dashboard.api.routes import PREFIX
from engine import store
from engine.lookup import lookup
from ingest.problems import BadInput
from kezek.pipeline import update
from test_open_data import validate

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

A1, A2, A3, A4 = (f"УО.2017.{n:06d}.1" for n in (1, 2, 3, 4))
KINDERGARTENS = [
    kindergarten("K1", name_kk="№1 «Балапан» балабақшасы", name_ru="Детский сад №1 «Балапан»"),
    kindergarten("K2", name_kk="№2 «Ақбота» балабақшасы", name_ru="Детский сад №2 «Акбота»"),
    kindergarten("K3", name_kk=None, name_ru="Частный детский сад «Чирок»"),
]
APPLICATIONS = [application(n, f"2016-02-0{i} 10:00") for i, n in enumerate((A1, A2, A3, A4), start=1)]
# Russian headers, as a portal's export would carry them (ingest/vocabulary.toml).
CHOICES = [
    {"Номер заявления": A1, "Приоритет": 1, "Желаемый детский сад": "K1", "Язык обучения": "Русский"},
    {"Номер заявления": A1, "Приоритет": 2, "Желаемый детский сад": "K2", "Язык обучения": "kk"},
    {"Номер заявления": A1, "Приоритет": 3, "Желаемый детский сад": "K3", "Тип группы": "санаторная"},
    {"Номер заявления": A2, "Приоритет": 1, "Желаемый детский сад": "K1"},
    {"Номер заявления": A3, "Приоритет": 1, "Желаемый детский сад": "K2"},
    {"Номер заявления": A3, "Приоритет": 2, "Желаемый детский сад": "K1"},
]
SEGMENT = [  # the segment's queue, right by the rules
    {"as_of": "2017-04-09", "application_number": n, "queue_number": i, "privileged_queue_number": 0}
    for i, n in enumerate((A1, A2, A3, A4), start=1)]
OWN_QUEUES = [
    {"as_of": day, "application_number": n, "queue_number": q, "privileged_queue_number": None, "queue_id": k}
    for day, n, q, k in (("2017-04-01", A2, 1, "K1"), ("2017-04-01", A1, 7, "K1"),
                         ("2017-04-09", A2, 1, "K1"), ("2017-04-09", A1, 5, "K1"), ("2017-04-09", A3, 2, "K1"),
                         ("2017-04-09", A1, 3, "K2"))]
META = {"title": "Choices", "exported_at": "2017-04-10 12:00"}


def tables(**changed) -> dict[str, list[dict]]:
    return {"kindergartens": KINDERGARTENS, "vacancies": [], "applications": APPLICATIONS,
            "positions": SEGMENT + OWN_QUEUES, "choices": CHOICES, **changed}


def write(folder: Path, data: dict[str, list[dict]]) -> Path:
    write_dataset(folder, {k: v for k, v in data.items() if k != "vacancies"}, META)
    (folder / "vacancies.csv").write_text(
        "bulletin_id,kindergarten_id,announced_at,birth_year,language,seats\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("choices")
    home = root / "home"
    update([str(write(root / "ds", tables()))], home)
    return home


@pytest.fixture(scope="module")
def con(published):
    con = store.open_snapshot(store.current(published).path)
    yield con
    con.close()


# --- ingest and validation -----------------------------------------------------------------------

def test_choices_and_queue_ids_are_read_with_russian_headers(con):
    assert con.execute("SELECT * FROM choices ORDER BY application_number, rank").fetchall() == [
        (A1, 1, "K1", "ru", None), (A1, 2, "K2", "kk", None), (A1, 3, "K3", None, "санаторная"),
        (A2, 1, "K1", None, None), (A3, 1, "K2", None, None), (A3, 2, "K1", None, None)]
    assert con.execute("SELECT count(*) FILTER (WHERE queue_id IS NULL), count(*) FROM positions").fetchone() == (4, 10)


BROKEN = {
    "unknown application": (
        dict(choices=[*CHOICES, {"Номер заявления": "УО.2017.000404.1", "Приоритет": 1, "Желаемый детский сад": "K1"}]),
        "choices.csv, row 8, column application_number: applications has no УО.2017.000404.1"),
    "duplicate rank": (
        dict(choices=[*CHOICES, {"Номер заявления": A2, "Приоритет": 1, "Желаемый детский сад": "K2"}]),
        f"choices.csv, row 8, column application_number, rank: duplicate {A2} / 1 (first at choices.csv row 5)"),
    "rank 0": (
        dict(choices=[*CHOICES, {"Номер заявления": A4, "Приоритет": 0, "Желаемый детский сад": "K2"}]),
        "choices.csv, row 8, column rank: must be at least 1, got 0"),
    "unknown language": (
        dict(choices=[*CHOICES, {"Номер заявления": A4, "Приоритет": 1, "Желаемый детский сад": "K2",
                                 "Язык обучения": "Klingon"}]),
        "choices.csv, row 8, column language: unknown language Klingon"),
    "two numbers in one kindergarten's queue on one day": (
        dict(positions=[*SEGMENT, *OWN_QUEUES, {**OWN_QUEUES[-1], "queue_number": 4}]),
        f"positions.csv, row 12, column as_of, application_number, queue_id: duplicate 2017-04-09 / {A1} / K2"),
    "two numbers in the segment's queue on one day": (
        dict(positions=[*SEGMENT, *OWN_QUEUES, {**SEGMENT[0], "queue_number": 4}]),
        f"positions.csv, row 12, column as_of, application_number, queue_id: duplicate 2017-04-09 / {A1} / —"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_bad_choices_and_queue_numbers_are_named_by_file_row_and_column(tmp_path, case):
    changed, message = BROKEN[case]
    with pytest.raises(BadInput) as raised:
        update([str(write(tmp_path / "ds", tables(**changed)))], tmp_path / "home")
    assert [str(p) for p in raised.value.problems if message in str(p)], [str(p) for p in raised.value.problems]
    assert not (tmp_path / "home" / "published.json").exists()


MISSING = "Maironio progimnazija"  # a school Vilnius's list names but its register of groups lacks


def test_a_kindergarten_the_register_lacks_is_kept_where_chosen_and_told_as_a_warning(tmp_path):
    """A city's list may name a chosen kindergarten its own register lacks (Vilnius: five
    schools with pre-school groups). The choice and the place published in its queue are
    facts the city published: kept as named, and the clerk is told which and how many. And a
    queue finer than a kindergarten (kindergarten × group type × language) is found through
    its kindergarten_id."""
    data = tables(
        choices=[*CHOICES, {"Номер заявления": A4, "Приоритет": 1, "Желаемый детский сад": MISSING},
                 {"Номер заявления": A4, "Приоритет": 2, "Желаемый детский сад": "K2"}],
        positions=[*SEGMENT, *OWN_QUEUES,
                   {"as_of": "2017-04-09", "application_number": A4, "queue_number": 4,
                    "queue_id": f"{MISSING} · lt · 2 iki 3", "kindergarten_id": MISSING},
                   {"as_of": "2017-04-09", "application_number": A4, "queue_number": 6,
                    "queue_id": "K2 · kk · 2 iki 3", "kindergarten_id": "K2"}])
    home = tmp_path / "home"
    done = run_kezek("update", "--source", str(write(tmp_path / "ds", data)), home=home)
    assert done.returncode == 0, done.stderr
    assert (f"warning: choices.csv: 1 row of choices names 1 kindergarten_id that kindergartens does not have — "
            f"«{MISSING}» (1); published as named") in done.stderr
    assert f"1 row of positions names 1 kindergarten_id that kindergartens does not have — «{MISSING}» (1)" in done.stderr
    con = store.open_snapshot(store.current(home).path)
    try:
        doc = lookup(con, A4)
    finally:
        con.close()
    assert [(c["rank"], c["kindergarten_id"], c["name_ru"], c["queue_number"]) for c in doc["choices"]] == [
        (1, MISSING, None, 4), (2, "K2", "Детский сад №2 «Акбота»", 6)]


def test_a_snapshot_of_a_series_without_choices_keeps_the_last_ones(tmp_path):
    """A table missing from a snapshot keeps its value (open-data-format.md 1.1, Series)."""
    series = tmp_path / "series"
    first = tables()
    del first["positions"]
    write(series / "2017-04-01", first)
    write_dataset(series / "2017-04-02", {"applications": APPLICATIONS})
    write_dataset(series / "2017-04-03", {"applications": APPLICATIONS,
                                          "choices": [{"application_number": A4, "rank": 1, "kindergarten_id": "K3"}]})
    update([str(series)], tmp_path / "home")
    con = store.open_snapshot(store.current(tmp_path / "home").path)
    try:
        got = con.execute("SELECT application_number, rank, kindergarten_id FROM choices ORDER BY ALL").fetchall()
    finally:
        con.close()
    assert got == sorted([(A1, 1, "K1"), (A1, 2, "K2"), (A1, 3, "K3"), (A2, 1, "K1"), (A3, 1, "K2"), (A3, 2, "K1"),
                          (A4, 1, "K3")])


# --- export --------------------------------------------------------------------------------------

def test_choices_and_queue_ids_are_exported_as_csv_and_described_in_the_package(published, tmp_path):
    run_kezek("export", "--out", str(tmp_path / "out"), "--format", "csv,parquet", home=published, check=True)
    with open(tmp_path / "out" / "csv" / "positions.csv", encoding="utf-8", newline="") as fh:
        positions = list(csv.DictReader(fh))
    assert list(positions[0]) == ["as_of", "application_number", "queue_number", "privileged_queue_number", "queue_id",
                                  "kindergarten_id"]
    assert sorted((r["as_of"], r["application_number"], r["queue_number"], r["queue_id"]) for r in positions
                  if r["queue_id"]) == sorted((r["as_of"], r["application_number"], str(r["queue_number"]), r["queue_id"])
                                              for r in OWN_QUEUES)
    with open(tmp_path / "out" / "csv" / "choices.csv", encoding="utf-8", newline="") as fh:
        choices = list(csv.DictReader(fh))
    assert [(r["application_number"], r["rank"], r["kindergarten_id"], r["language"]) for r in choices][:2] == [
        (A1, "1", "K1", "ru"), (A1, "2", "K2", "kk")]
    with duckdb.connect() as db:
        assert db.execute(f"SELECT count(*) FROM '{tmp_path / 'out' / 'parquet' / 'choices.parquet'}'").fetchone() == (6,)
    package = json.loads((tmp_path / "out" / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    assert [f["name"] for f in resources["positions"]["schema"]["fields"]][-2:] == ["queue_id", "kindergarten_id"]
    schema = resources["choices"]["schema"]
    assert [f["name"] for f in schema["fields"]] == ["application_number", "rank", "kindergarten_id", "language",
                                                     "group_type"]
    assert schema["primaryKey"] == ["application_number", "rank"]
    # a chosen kindergarten may be one the register lacks (kept, told as a warning): no foreign key
    assert {fk["fields"] if isinstance(fk["fields"], str) else fk["fields"][0] for fk in schema["foreignKeys"]} == {
        "application_number"}
    done = validate(tmp_path / "out")  # the reference validator: keys, references, types
    report = json.loads(done.stdout)
    assert report["valid"], [e for task in report["tasks"] for e in task["errors"]][:5]
    assert {"choices", "positions"} <= {task["name"] for task in report["tasks"]}


def test_a_dataset_without_choices_exports_no_choices(tmp_path):
    home = tmp_path / "home"
    data = tables(positions=SEGMENT)
    del data["choices"]
    update([str(write(tmp_path / "ds", data))], home)
    run_kezek("export", "--out", str(tmp_path / "out"), home=home, check=True)
    assert not (tmp_path / "out" / "csv" / "choices.csv").exists()
    package = json.loads((tmp_path / "out" / "datapackage.json").read_text(encoding="utf-8"))
    assert "choices" not in {r["name"] for r in package["resources"]}
    con = store.open_snapshot(store.current(home).path)
    try:
        assert lookup(con, A1)["choices"] == []
    finally:
        con.close()


# --- lookup and API ------------------------------------------------------------------------------

A1_CHOICES = [
    {"rank": 1, "kindergarten_id": "K1", "name_kk": "№1 «Балапан» балабақшасы", "name_ru": "Детский сад №1 «Балапан»",
     "queue_number": 5, "as_of": "2017-04-09"},
    {"rank": 2, "kindergarten_id": "K2", "name_kk": "№2 «Ақбота» балабақшасы", "name_ru": "Детский сад №2 «Акбота»",
     "queue_number": 3, "as_of": "2017-04-09"},
    {"rank": 3, "kindergarten_id": "K3", "name_kk": None, "name_ru": "Частный детский сад «Чирок»",
     "queue_number": None, "as_of": None},
]


def test_lookup_lists_the_choices_with_the_places_published_in_each_queue(con):
    doc = lookup(con, A1)
    assert doc["queue_number"] == 1  # the segment's number, computed by the rules: unchanged
    assert doc["choices"] == A1_CHOICES
    earlier = lookup(con, A1, dt.date(2017, 4, 5))  # the latest place published up to that day
    assert [(c["queue_number"], c["as_of"]) for c in earlier["choices"]] == [(7, "2017-04-01"), (None, None),
                                                                             (None, None)]
    assert lookup(con, A4)["choices"] == []


def test_lookup_json_and_the_api_carry_the_choices(published):
    done = run_kezek("lookup", A1, "--json", home=published, check=True)
    assert json.loads(done.stdout)["choices"] == A1_CHOICES
    api = TestClient(Starlette(routes=server.routes(published)))
    response = api.get(f"{PREFIX}/applications/{A1}")
    assert response.status_code == 200, response.text
    assert response.json()["choices"] == A1_CHOICES
    description = api.get(f"{PREFIX}/openapi.json").json()
    choice = description["components"]["schemas"]["Choice"]
    assert set(choice["properties"]) == set(A1_CHOICES[0])
    assert "choices" in description["components"]["schemas"]["Lookup"]["required"]


# --- dashboard -----------------------------------------------------------------------------------

def visit(home, monkeypatch, **params):
    from test_dashboard import visit as open_page

    return open_page(home, monkeypatch, **params)


def page_text(at) -> str:
    from test_dashboard import NBSP, texts

    return texts(at).replace(NBSP, " ").replace("\\", "")


@pytest.mark.parametrize("lang, chosen, queue", [
    ("en", "**2** applications chose this kindergarten first.",
     "**3** applications in this kindergarten's own queue, as the city published it on 2017-04-09."),
    ("ru", "**2** заявления называют этот детский сад первым выбором.",
     "В собственной очереди детского сада **3** заявления, как её опубликовал город 09.04.2017."),
    ("kk", "**2** өтінімде бұл балабақша бірінші таңдау.",
     "Балабақшаның өз кезегінде **3** өтінім, қала 09.04.2017 жариялағандай."),
])
def test_a_kindergartens_card_counts_first_choices_and_its_published_queue(published, monkeypatch, lang, chosen, queue):
    import i18n

    text = page_text(visit(published, monkeypatch, page="kindergartens", lang=lang, kg="K1"))
    assert chosen in text and queue in text
    assert i18n.t("card.choices_note", lang) in text


def test_a_card_without_choices_nor_own_queue_says_nothing_of_them(published, monkeypatch):
    import i18n

    text = page_text(visit(published, monkeypatch, page="kindergartens", lang="en", kg="K3"))
    assert i18n.t("card.choices", "en") not in text and "own queue" not in text
    text = page_text(visit(published, monkeypatch, page="kindergartens", lang="en", kg="K2"))
    assert "**1** application chose this kindergarten first." in text
    assert "**1** application in this kindergarten's own queue, as the city published it on 2017-04-09." in text


@pytest.mark.parametrize("lang, lines", [
    ("en", ["Choice 1: Детский сад №1 «Балапан» — place **5** in its own queue, published by the city on 2017-04-09.",
            "Choice 3: Частный детский сад «Чирок» — the city published no place in its queue."]),
    ("kk", ["1-таңдау: №1 «Балапан» балабақшасы — өз кезегіндегі орны **5**, қала 09.04.2017 жариялаған.",
            "3-таңдау: Частный детский сад «Чирок» — қала оның кезегіндегі орнын жарияламаған."]),
    ("ru", ["Выбор 2: Детский сад №2 «Акбота» — место **3** в его собственной очереди, опубликовано городом 09.04.2017."]),
])
def test_the_lookup_page_lists_the_chosen_kindergartens_and_says_the_places_are_the_citys(
        published, monkeypatch, lang, lines):
    import i18n

    text = page_text(visit(published, monkeypatch, page="lookup", lang=lang, app=A1))
    for line in lines:
        assert line in text
    assert i18n.t("lookup.choices_note", lang) in text
    text = page_text(visit(published, monkeypatch, page="lookup", lang=lang, app=A4))
    assert i18n.t("lookup.choices_title", lang) not in text
