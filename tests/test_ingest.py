"""Ingest from files: formats, encodings, the portals' own headers, and bad input."""

from __future__ import annotations

import csv
import json
import zipfile

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import application, kindergarten, run_kezek, vacancy, write_csv, write_dataset
from engine import store

APPS = [
    application("УО.2016.000001.1", "2016-02-01 10:00"),
    application("УО.2016.000002.1", "2016-02-01 09:00", privilege="first"),
    application("УО.2016.000003.1", "2016-03-01 09:00", privilege="extraordinary"),
]
BASE = {"kindergartens": [kindergarten()], "vacancies": [vacancy(seats=3)], "applications": APPS}
EXPECTED = {"УО.2016.000003.1": 1, "УО.2016.000002.1": 2, "УО.2016.000001.1": 3}


def queue_numbers(home):
    con = store.open_snapshot(store.current(home).path)
    return dict(con.execute("SELECT application_number, queue_number FROM queue").fetchall())


def published_tables(home) -> dict:
    con = store.open_snapshot(store.current(home).path)
    names = ["kindergartens", "groups", "vacancies", "applications", "events", "positions", "queue"]
    return {n: con.execute(f"SELECT * FROM {n}").fetchall() for n in names}


def update_ok(home, *sources):
    done = run_kezek("update", *[a for s in sources for a in ("--source", str(s))], home=home)
    assert done.returncode == 0, done.stderr
    return done


# -- formats and encodings ---------------------------------------------------------------

RUSSIAN_HEADERS = {
    "application_number": "Номер заявления", "region": "Регион", "registered_at": "Дата регистрации",
    "birth_date": "Дата рождения", "privilege": "Тип льготы", "status": "Статус",
}
RUSSIAN_VALUES = {"none": "Без льготы", "first": "Первоочередное", "extraordinary": "Внеочередное", "queued": "В очереди"}
KAZAKH_HEADERS = {
    "application_number": "Өтініш нөмірі", "region": "Өңір", "registered_at": "Құрастыру күні",
    "birth_date": "Туған күні", "privilege": "Жеңілдік түрі", "status": "Статустар",
}
KAZAKH_VALUES = {"none": "Жеңілдіксіз", "first": "Бірінші кезектегі", "extraordinary": "Кезектен тыс", "queued": "Кезекте"}


def portal_rows(headers, values, date_style):
    rows = []
    for a in APPS:
        registered = a["registered_at"]
        birth = a["birth_date"]
        if date_style == "dotted":
            y, m, d = registered[:10].split("-")
            registered = f"{d}.{m}.{y} {registered[11:]}"
            y, m, d = birth.split("-")
            birth = f"{d}.{m}.{y}"
        rows.append({headers[k]: values.get(v, v) for k, v in
                     {**a, "registered_at": registered, "birth_date": birth}.items()})
    return rows


@pytest.mark.parametrize("encoding,delimiter,headers,values,dates", [
    ("utf-8", ",", RUSSIAN_HEADERS, RUSSIAN_VALUES, "iso"),
    ("utf-8-sig", ";", KAZAKH_HEADERS, KAZAKH_VALUES, "dotted"),
    ("cp1251", ";", RUSSIAN_HEADERS, RUSSIAN_VALUES, "dotted"),
    ("utf-8", "\t", KAZAKH_HEADERS, KAZAKH_VALUES, "iso"),
], ids=["utf8-comma-ru", "bom-semicolon-kk", "cp1251-semicolon-ru", "utf8-tab-kk"])
def test_portal_exports_in_every_encoding_and_dialect(tmp_path, home, encoding, delimiter, headers, values, dates):
    folder = write_dataset(tmp_path / "ds", {k: v for k, v in BASE.items() if k != "applications"})
    write_csv(folder / "applications.csv", portal_rows(headers, values, dates), encoding=encoding, delimiter=delimiter)
    update_ok(home, folder)
    assert queue_numbers(home) == EXPECTED


def test_short_rows_are_padded(tmp_path, home):
    folder = write_dataset(tmp_path / "ds", BASE)
    # A trailing optional column left off in some rows, as real exports do.
    (folder / "kindergartens.csv").write_text(
        "kindergarten_id,name_ru,region,ownership,languages,capacity,district\n"
        "K1,Сад 1,Астана,state,kk|ru,120\n", encoding="utf-8")
    update_ok(home, folder)
    con = store.open_snapshot(store.current(home).path)
    assert con.execute("SELECT capacity, district FROM kindergartens").fetchall() == [(120, None)]


@pytest.mark.parametrize("fmt", ["parquet", "json", "jsonl", "xlsx"])
def test_every_file_format_gives_the_same_tables(tmp_path, fmt):
    csv_home, other_home = tmp_path / "h1", tmp_path / "h2"
    update_ok(csv_home, write_dataset(tmp_path / "csv", BASE))
    folder = tmp_path / fmt
    folder.mkdir()
    for name, rows in BASE.items():
        path = folder / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(pa.Table.from_pylist(rows), path)
        elif fmt == "json":
            path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        elif fmt == "jsonl":
            path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
        else:
            import openpyxl
            book = openpyxl.Workbook()
            sheet = book.active
            headers = list(dict.fromkeys(k for r in rows for k in r))
            sheet.append(headers)
            for r in rows:
                sheet.append([r.get(h) for h in headers])
            book.save(path)
    update_ok(other_home, folder)
    assert published_tables(other_home) == published_tables(csv_home)


def test_zip_of_a_dataset_folder(tmp_path, home):
    folder = write_dataset(tmp_path / "ds", BASE)
    archive = tmp_path / "dataset.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in folder.iterdir():
            z.write(path, f"export-2017/{path.name}")
    update_ok(home, archive)
    assert queue_numbers(home) == EXPECTED


def test_mapping_file_for_another_layout(tmp_path, home):
    folder = write_dataset(tmp_path / "ds", {k: v for k, v in BASE.items() if k != "applications"})
    write_csv(folder / "zayavki.csv", [
        {"Рег. номер": a["application_number"], "Город": "Астана", "Создано": a["registered_at"],
         "ДР": a["birth_date"], "Льгота ребенка": {"none": "нет льгот", "first": "1 очередь", "extraordinary": "вне очереди"}[a["privilege"]],
         "Состояние": "ожидает"} for a in APPS])
    (folder / "mapping.toml").write_text('''
[tables.applications]
files = ["zayavki"]
[tables.applications.columns]
"Рег. номер" = "application_number"
"Создано" = "registered_at"
"ДР" = "birth_date"
"Льгота ребенка" = "privilege"
"Состояние" = "status"
[tables.applications.values.privilege]
"нет льгот" = "none"
"1 очередь" = "first"
"вне очереди" = "extraordinary"
[tables.applications.values.status]
"ожидает" = "queued"
''', encoding="utf-8")
    update_ok(home, folder)
    assert queue_numbers(home) == EXPECTED


def test_same_update_twice_publishes_identical_tables(tmp_path):
    folder = write_dataset(tmp_path / "ds", BASE)
    first, second = tmp_path / "h1", tmp_path / "h2"
    update_ok(first, folder)
    update_ok(second, folder)
    update_ok(second, folder)
    assert published_tables(first) == published_tables(second)
    assert store.current(first).snapshot != ""


# -- personal data -----------------------------------------------------------------------

def test_personal_data_is_dropped_and_reported(tmp_path, home):
    folder = write_dataset(tmp_path / "ds", {k: v for k, v in BASE.items() if k != "applications"})
    rows = [{**a, "ИИН ребенка": f"15010150{i:04d}", "ФИО заявителя": f"Сейткалиева Айгерим {i}",
             "Телефон": f"+7 701 555 12 {i:02d}", "E-mail": f"parent{i}@mail.kz", "Адрес": f"ул. Абая, {i}",
             "comment": "ok"} for i, a in enumerate(APPS)]
    write_csv(folder / "applications.csv", rows)
    done = update_ok(home, folder)
    assert "personal data dropped from applications.csv: ИИН ребенка, ФИО заявителя, Телефон, E-mail, Адрес" in done.stdout
    leaks = ["150101500", "Сейткалиева", "701 555", "@mail.kz", "Абая", "2015-01-15"]
    for path in home.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            for leak in leaks:
                assert leak.encode() not in blob, f"{leak} found in {path}"
    manifests = [json.loads(p.read_text()) for p in home.glob("archive/*/manifest.json")]
    manifest = next(m for m in manifests if m["table"] == "applications")
    assert manifest["dropped_columns"] == ["ИИН ребенка", "ФИО заявителя", "Телефон", "E-mail", "Адрес"]
    assert len(manifest["sha256"]) == 64
    archived = duckdb.sql(f"SELECT * FROM '{next(home.glob('archive/*/applications.parquet'))}'")
    assert "comment" in archived.columns and "birth_date (year)" in archived.columns


def test_a_quoted_line_break_is_part_of_its_field(tmp_path, home):
    """An address typed on two lines in a spreadsheet: a quoted field with a line break."""
    folder = write_dataset(tmp_path / "ds", {**BASE, "kindergartens": [kindergarten(address="Абай даңғылы, 5\nкіреберіс 2")]})
    update_ok(home, folder)
    con = store.open_snapshot(store.current(home).path)
    assert con.execute("SELECT address FROM kindergartens").fetchone()[0] == "Абай даңғылы, 5\nкіреберіс 2"
    assert queue_numbers(home) == EXPECTED


# -- bad input ---------------------------------------------------------------------------

BROKEN = {
    "missing required column": (
        lambda ds: write_csv(ds / "applications.csv", [{k: v for k, v in a.items() if k != "status"} for a in APPS]),
        ["applications.csv, column status: required column is missing"],
    ),
    "duplicate key": (
        lambda ds: write_csv(ds / "applications.csv", APPS + [APPS[0]]),
        ["applications.csv, row 5, column application_number: duplicate УО.2016.000001.1 (first at applications.csv row 2)"],
    ),
    "unknown enum value": (
        lambda ds: write_csv(ds / "applications.csv", [APPS[0], {**APPS[1], "status": "в раздумьях"}, APPS[2]]),
        ["applications.csv, row 3, column status: unknown value в раздумьях; expected one of: queued"],
    ),
    "date that does not parse": (
        lambda ds: write_csv(ds / "applications.csv", [{**APPS[0], "registered_at": "31.02.2016 10:00"}, *APPS[1:]]),
        ["applications.csv, row 2, column registered_at: cannot read 31.02.2016 10:00 as a date and time"],
    ),
    "foreign key pointing nowhere": (
        lambda ds: write_csv(ds / "vacancies.csv", [vacancy(kid="K404")]),
        ["vacancies.csv, row 2, column kindergarten_id: kindergartens has no K404"],
    ),
    "birth date after registration": (
        lambda ds: write_csv(ds / "applications.csv", [{**APPS[0], "birth_date": "2016-03-01"}, *APPS[1:]]),
        ["applications.csv, row 2, column birth_date: the birth date is after the registration date"],
    ),
    "enormous field": (
        lambda ds: write_csv(ds / "kindergartens.csv", [kindergarten(name_ru="Ж" * (1 << 20))]),
        ["kindergartens.csv, row 2: the row is longer than 2 000 000 bytes"],
    ),
    "row with too many fields": (
        lambda ds: (ds / "vacancies.csv").write_text(
            "bulletin_id,kindergarten_id,announced_at,birth_year,language,seats\nB1,K1,2017-04-10,2015,kk,1,extra\n"),
        ["vacancies.csv, row 2: 7 fields, but the header has 6"],
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_broken_dataset_exits_2_and_keeps_previous_snapshot(tmp_path, home, case):
    good = write_dataset(tmp_path / "good", BASE)
    update_ok(home, good)
    before = store.current(home)
    bad = write_dataset(tmp_path / "bad", BASE)
    breaker, messages = BROKEN[case]
    breaker(bad)
    done = run_kezek("update", "--source", str(bad), home=home)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    for message in messages:
        assert message in done.stderr
    assert store.current(home) == before
    assert queue_numbers(home) == EXPECTED
    assert sorted(p.name for p in (home / "snapshots").iterdir()) == [f"{before.snapshot}.duckdb"]


def test_the_same_problem_on_many_rows_is_one_line_and_many_problems_show_twenty_then_a_count(tmp_path, home):
    """30 rows with the same unknown status are one line naming the rows; 30 different
    values are 20 lines and a count, and every one of them is in HOME/problems.csv."""
    bad = write_dataset(tmp_path / "bad", BASE)
    write_csv(bad / "applications.csv", [
        application(f"N{i}", "2016-02-01 10:00", status="?") for i in range(30)])
    done = run_kezek("update", "--source", str(bad), home=home)
    assert done.returncode == 2
    problems = [line for line in done.stderr.splitlines() if line.startswith("applications.csv")]
    assert problems == ["applications.csv, 30 rows (2–31), column status: unknown value ?; expected one of: queued, "
                        "notified, referred, stop_list, inactive, enrolled, withdrawn, removed, aged_out, left "
                        "(or their Russian or Kazakh labels)"]
    write_csv(bad / "applications.csv", [
        application(f"N{i}", "2016-02-01 10:00", status=f"?{i}") for i in range(30)])
    done = run_kezek("update", "--source", str(bad), home=home)
    lines = done.stderr.strip().splitlines()
    assert sum(line.startswith("applications.csv, row ") for line in lines) == 20
    assert lines[-2] == "… and 10 more problems" and lines[-1] == f"every problem, one a line: {home / 'problems.csv'}"
    with open(home / "problems.csv", encoding="utf-8-sig", newline="") as fh:
        listed = list(csv.DictReader(fh))
    assert sorted(int(r["rows"]) for r in listed) == list(range(2, 32))
    assert not (home / "published.json").exists()



def test_events_are_numbered_in_the_order_of_their_files_names_and_rows(tmp_path):
    """`seq` breaks ties on `at` by file, then row (derive.sql): two files given in the
    reverse order of their names are numbered by name; two files of one name, by row."""
    from ingest.load import Ingest
    from kezek.pipeline import _derive_sql

    def numbered(files: list[tuple[str, list[str]]]) -> list[str]:
        numbers = [n for _, ns in files for n in ns]
        with duckdb.connect(config={"preserve_insertion_order": True}) as con:
            ingest = Ingest(con, tmp_path)
            tables = {"kindergartens": [kindergarten()], "vacancies": [vacancy()],
                      "applications": [application(n, "2017-05-01 10:00") for n in numbers]}
            for name, rows in tables.items():
                ingest.add_file(write_csv(tmp_path / f"{name}.csv", rows), name)
            for i, (label, ns) in enumerate(files):
                rows = [{"application_number": n, "at": "2017-05-01 10:00", "event": "registered",
                         "privilege": "none"} for n in ns]
                ingest.add_file(write_csv(tmp_path / f"events-{i}.csv", rows), "events", label=label)
            ingest.finish()
            con.execute("ATTACH ':memory:' AS snap")
            con.execute(_derive_sql())
            return [n for n, in con.execute("SELECT application_number FROM snap.events ORDER BY seq").fetchall()]

    assert numbered([("b.csv", ["УО.1", "УО.2"]), ("a.csv", ["УО.3", "УО.4", "УО.5"])]) == \
        ["УО.3", "УО.4", "УО.5", "УО.1", "УО.2"]
    # rows 2, 2, 3, 3, 4 of the two files: a row before the next, whichever file
    by_row = numbered([("x.csv", ["УО.1", "УО.2"]), ("x.csv", ["УО.3", "УО.4", "УО.5"])])
    assert {*by_row[:2]} == {"УО.1", "УО.3"} and {*by_row[2:4]} == {"УО.2", "УО.4"} and by_row[4] == "УО.5"
