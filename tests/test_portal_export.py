"""The Astana 2017 demo, once as generated and once as a portal would export it
(cp1251, `;`, Russian headers and labels, DD.MM.YYYY dates): the same queue on every day,
and that queue is the one the rules give."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import write_csv
from engine import store
from engine.lookup import lookup
from engine.numbering import queue_at
from kezek.pipeline import update
from reference import queue as reference_queue

RU_HEADERS = {
    "application_number": "Номер заявления", "region": "Регион", "locality": "Населенный пункт",
    "birth_date": "Дата рождения", "registered_at": "Дата регистрации", "privilege": "Тип льготы",
    "privilege_category": "Категория льготы", "language": "Язык обучения", "status": "Статус",
    "status_at": "Дата изменения статуса",
}
RU_VALUES = {
    "privilege": {"none": "Без льготы", "first": "Первоочередное", "extraordinary": "Внеочередное"},
    "status": {"queued": "В очереди", "notified": "Направлено уведомление", "referred": "Выдано направление",
               "enrolled": "Зачислен", "stop_list": "Стоп-лист", "removed": "Снят с очереди"},
    "language": {"kk": "Казахский", "ru": "Русский"},
}
DAYS = [dt.date(2016, 9, 1), dt.date(2017, 4, 10), dt.date(2017, 4, 20), dt.date(2017, 5, 15), dt.date(2017, 6, 5)]


def dotted(value):
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    return value


@pytest.fixture(scope="module")
def demo(demo_data):
    return demo_data("astana-2017")


@pytest.fixture(scope="module")
def homes(demo, tmp_path_factory, demo_home):
    root = tmp_path_factory.mktemp("portal")
    direct = demo_home("astana-2017")
    folder = root / "export"
    demo.write(folder, "csv")
    rows = [
        {RU_HEADERS[k]: dotted(RU_VALUES.get(k, {}).get(v, v)) for k, v in row.items()}
        for row in demo.tables["applications"].to_pylist()
    ]
    (folder / "applications.csv").unlink()
    write_csv(folder / "applications.csv", rows, encoding="cp1251", delimiter=";")
    exported = root / "exported"
    update([str(folder)], exported)
    return direct, exported


def test_portal_export_is_really_cp1251_with_russian_labels(homes):
    direct, exported = homes
    con = store.open_snapshot(store.current(exported).path)
    encoding, delimiter = con.execute(
        "SELECT encoding, delimiter FROM sources WHERE table_name = 'applications'").fetchone()
    assert (encoding, delimiter) == ("cp1251", ";")


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_same_queue_from_the_portal_export_on_every_day(homes, day):
    direct, exported = [store.open_snapshot(store.current(h).path) for h in homes]
    assert queue_at(exported, day).fetchall() == queue_at(direct, day).fetchall()


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_demo_queue_is_the_one_the_rules_give(demo, homes, day):
    """Every application of the demo, against the plain reading of the rules (tests/reference.py)."""
    apps = demo.tables["applications"].to_pylist()
    events = demo.tables["events"].to_pylist()
    expected = reference_queue(apps, events, day)
    con = store.open_snapshot(store.current(homes[1]).path)
    got = {n: (q, p, s) for n, _, _, _, _, _, _, q, p, s in queue_at(con, day).fetchall()}
    assert len(got) > 1000 or day < dt.date(2017, 1, 1)
    assert got == expected


def test_lookup_of_sampled_applications_on_every_day(demo, homes):
    con = store.open_snapshot(store.current(homes[1]).path)
    apps = demo.tables["applications"].to_pylist()
    events = demo.tables["events"].to_pylist()
    sample = apps[:: len(apps) // 40]
    snapshot = store.describe(con)  # read once, as a server does, not again on each lookup
    for day in DAYS:
        expected = reference_queue(apps, events, day)
        for app in sample:
            # typed the way parents type it: lower case, Latin look-alikes
            doc = lookup(con, app["application_number"].lower().replace("У", "U").replace("О", "O"), day, snapshot=snapshot)
            got = (doc["queue_number"], doc["privileged_queue_number"], doc["segment_size"]) if doc and doc["in_queue"] else None
            assert got == expected.get(app["application_number"]), (day, app["application_number"])


def test_no_birth_date_anywhere_under_the_home(demo, homes):
    """Birth dates are used inside the update and kept only as the birth year."""
    import duckdb
    import pyarrow as pa

    births = demo.tables["applications"].select(["application_number", "birth_date"])
    for home in homes:
        files = [p for p in home.rglob("*") if p.is_file()]
        assert not [p for p in files if p.name.endswith((".utf8", ".tmp"))]
        con = duckdb.connect()
        con.execute("ATTACH ? AS snap (READ_ONLY)", [str(store.current(home).path)])
        con.register("births", births)
        columns = con.execute(
            """SELECT c.table_name, c.column_name FROM duckdb_columns() AS c
               WHERE c.database_name = 'snap' AND c.data_type IN ('DATE', 'TIMESTAMP') AND EXISTS (
                   SELECT 1 FROM duckdb_columns() AS k WHERE k.database_name = 'snap'
                   AND k.table_name = c.table_name AND k.column_name = 'application_number')""").fetchall()
        assert columns, "expected dated columns per application to check"
        for table, column in columns:
            share = con.execute(
                f"""SELECT avg(CAST(CAST(t."{column}" AS DATE) = b.birth_date AS INTEGER))
                    FROM snap.{table} AS t JOIN births AS b USING (application_number)""").fetchone()[0]
            assert (share or 0) < 0.05, (table, column, share)  # no column holds the children's birth dates
    archived = homes[1] / "archive"
    [parquet] = [p for p in archived.glob("*/applications.parquet")]
    relation = duckdb.sql(f"SELECT * FROM '{parquet}'")
    assert "Дата рождения" not in relation.columns
    years = {v for (v,) in duckdb.sql(f'SELECT DISTINCT "Дата рождения (year)" FROM \'{parquet}\'').fetchall()}
    assert years and all(len(y) == 4 and y.isdigit() for y in years)
