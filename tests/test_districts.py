"""The Districts page, as a journalist uses it: per district and month the places announced
(published), the referrals (observed) and the findings (computed by rules), and per
settlement the queue per announced place; its view kept in the link, its tables downloaded.

The page's figures are checked against the same figures counted here with Python's csv
module from the open-data files the publication wrote beside it (the Astana 2017 demo), and
the queue at the start of a month against the state of every application on the day before
(engine/sql/state_at.sql, not the spans the page counts with).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

import i18n
from conftest import application, kindergarten, run_kezek, vacancy, write_dataset
from dashboard.views import districts
from engine import numbering, store
from engine.schema import NUMBERED_STATUSES
from test_dashboard import downloads, offered, read_csv, texts, visit

__all__ = ["downloads"]  # a fixture, imported for the tests of this module


@pytest.fixture(scope="module")
def demo(demo_home) -> Path:
    return demo_home("astana-2017")


def open_data(home: Path, table: str) -> list[dict]:
    """Rows of one CSV of the current publication's open data, as a journalist downloads them."""
    snapshot = store.current(home).snapshot
    with open(home / "open-data" / snapshot / "csv" / f"{table}.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def counted_from_open_data(home: Path) -> tuple[Counter, Counter, Counter]:
    """(places, referrals, findings) per (district, 'YYYY-MM'), each kindergarten by its
    register's district; a referral or finding without a kindergarten takes its bulletin's."""
    district = {k["kindergarten_id"]: k["district"] for k in open_data(home, "kindergartens")}
    bulletins = open_data(home, "vacancies")
    of_bulletin = {b["bulletin_id"]: b["kindergarten_id"] for b in bulletins}
    places, referrals, findings = Counter(), Counter(), Counter()
    for b in bulletins:
        places[district[b["kindergarten_id"]], b["announced_at"][:7]] += int(b["seats"])
    for e in open_data(home, "events"):
        if e["event"] == "referral_issued":
            kid = e["kindergarten_id"] or of_bulletin.get(e["bulletin_id"])
            referrals[district[kid], e["at"][:7]] += 1
    for f in open_data(home, "findings"):
        kid = f["kindergarten_id"] or of_bulletin.get(f["bulletin_id"])
        if kid:
            findings[district[kid], f["at"][:7]] += 1
    return places, referrals, findings


def test_every_district_and_month_shows_what_the_open_data_count(demo, monkeypatch):
    at = visit(demo, monkeypatch, page="districts", lang="en", months="all")
    table = at.dataframe[0].value
    places, referrals, findings = counted_from_open_data(demo)
    # Every district of the register, every month from the first referral (January) to the
    # data's last day (5 June 2017): a month without anything is a row of zeros.
    assert sorted(table["district"].unique()) == ["Алматы", "Байқоңыр", "Есіл", "Сарыарқа"]
    assert sorted(table["month"].unique()) == ["2017-01", "2017-02", "2017-03", "2017-04", "2017-05", "2017-06"]
    assert len(table) == 4 * 6
    for row in table.itertuples():
        key = (row.district, row.month)
        assert (row.places, row.referrals, row.findings) == (places[key], referrals[key], str(findings[key])), key
    april = table[(table["district"] == "Есіл") & (table["month"] == "2017-04")].iloc[0]
    assert april["places"] > 0 and april["referrals"] > 0 and int(april["findings"]) > 0  # a month worth checking
    assert (table["places"] == 0).sum() >= 4 * 5  # bulletins in April only: the other months are zeros


def test_the_queue_per_place_is_the_queue_at_the_start_of_the_month_over_its_places(demo, monkeypatch):
    at = visit(demo, monkeypatch, page="districts", lang="ru", months="all")
    table = at.dataframe[1].value.set_index("month")
    con = store.open_snapshot(store.current(demo).path)
    try:
        # The queue the April bulletins were announced to: numbered (Q2) at the end of 31 March.
        states = numbering.state_at(con, dt.date(2017, 3, 31)).df()
    finally:
        con.close()
    waiting = int(states["status"].isin(NUMBERED_STATUSES).sum())
    places = sum(int(b["seats"]) for b in open_data(demo, "vacancies") if b["announced_at"].startswith("2017-04"))
    april = table.loc["2017-04"]
    assert (april["waiting"], april["places"]) == (waiting, places)
    assert april["waiting_per_place"] == i18n.decimal(waiting / places, "ru")  # 5,0
    assert table.loc["2017-05", "places"] == 0
    assert (table["waiting_per_place"] == "—").sum() == 5  # no ratio without places, not a zero
    page = texts(at)
    assert i18n.t("districts.queue_note", "ru") in page  # the settlement's queue, said so (Q1)


def test_the_link_restores_the_view_and_a_choice_changes_the_link(demo, monkeypatch):
    at = visit(demo, monkeypatch, page="districts", lang="kk", district="Есіл", measure="referrals", months="all")
    assert at.selectbox(key=districts.DISTRICT).value == "Есіл"
    assert at.selectbox(key=districts.MEASURE).value == "referrals"
    table = at.dataframe[0].value
    assert set(table["district"]) == {"Есіл"} and len(table) == 6
    assert i18n.t("districts.referrals_note", "kk") in texts(at)  # what kind of figure the chart shows
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["yaxis"]["title"]["text"] == i18n.t("movement.referrals", "kk")
    assert chart["layout"]["xaxis"]["categoryarray"] == sorted(table["month"])  # one tick per month

    at.selectbox(key=districts.DISTRICT).set_value("Байқоңыр").run()
    at.selectbox(key=districts.MEASURE).set_value("findings").run()
    assert (at.query_params["district"], at.query_params["measure"], at.query_params["months"]) == (
        "Байқоңыр", "findings", "all")
    chosen = at.dataframe[0].value
    again = visit(demo, monkeypatch, page="districts", lang="kk", **{k: at.query_params[k] for k in
                                                                    ("district", "measure", "months")})
    assert again.dataframe[0].value.equals(chosen) and set(chosen["district"]) == {"Байқоңыр"}
    assert again.selectbox(key=districts.MEASURE).value == "findings"


def test_the_downloads_hold_the_rows_of_the_tables(demo, monkeypatch, downloads):
    at = visit(demo, monkeypatch, page="districts", lang="ru", district="Алматы", months="12")
    shown = at.dataframe[0].value.astype(str)
    name, data = offered(downloads, "districts_by_month")
    assert "_district-almaty_months-12_ru_" in name  # the filter in the file's name
    got = read_csv(data, "ru", *shown.columns)  # Russian column names
    assert got.values.tolist() == shown.values.tolist() and set(got["district"]) == {"Алматы"}
    queue = at.dataframe[1].value
    name, data = offered(downloads, "queue_per_place_by_month")
    got = read_csv(data, "ru", *queue.columns)
    assert got["month"].tolist() == queue["month"].tolist()
    assert got["waiting"].astype(int).tolist() == queue["waiting"].tolist()
    assert got["places"].astype(int).tolist() == queue["places"].tolist()


def test_a_count_axis_has_whole_steps(demo, monkeypatch):
    """Few findings (at most 5 a month): one step per finding, never 0 1 1 2 2."""
    at = visit(demo, monkeypatch, page="districts", lang="en", measure="findings", months="all")
    axis = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["yaxis"]
    assert (axis["tickformat"], axis["dtick"], axis["rangemode"]) == (",d", 1, "tozero")


# --- where no ruleset is known, nothing is judged ---------------------------------------------

VILNIUS = "Vilnius"


@pytest.fixture(scope="module")
def two_regions(tmp_path_factory) -> Path:
    """Астана (rules known) and Vilnius (no ruleset covers it), a bulletin and a referral each."""
    base = tmp_path_factory.mktemp("districts")

    def event(number, at, what, **kw):
        return {"application_number": number, "at": at, "event": what, **kw}

    def vilnius(number, registered_at):
        return application(number, registered_at, region=VILNIUS, locality=VILNIUS, birth_date="2022-01-15")

    applications = [application(f"УО.2024.00000{i}.1", f"2024-0{i}-01 10:00", birth_date="2022-01-15")
                    for i in range(1, 5)] + [vilnius(f"V-{i}", f"2024-0{i}-02 10:00") for i in range(1, 4)]
    events = [event(a["application_number"], a["registered_at"], "registered", privilege="none")
              for a in applications]
    events += [
        event("УО.2024.000001.1", "2024-09-03 09:00", "notified", bulletin_id="B1"),
        event("УО.2024.000001.1", "2024-09-04 10:00", "referral_issued", bulletin_id="B1", kindergarten_id="K1",
              channel="priority"),
        event("V-1", "2024-10-01 10:00", "referral_issued", bulletin_id="B2", kindergarten_id="V1",
              channel="priority"),
    ]
    folder = write_dataset(base / "dataset", {
        "kindergartens": [kindergarten("K1", district="Есіл"), kindergarten("K2", district="Сарыарқа"),
                          kindergarten("V1", region=VILNIUS, locality=VILNIUS, district="Antakalnis")],
        "vacancies": [vacancy("B1", "K1", announced_at="2024-09-02 09:00", birth_year=2022, seats=3),
                      vacancy("B2", "V1", announced_at="2024-09-20 09:00", birth_year=2022, seats=2)],
        "applications": applications,
        "events": events,
    }, metadata={"title": "Kezek test", "publisher": "Kezek test", "exported_at": "2024-10-15T12:00",
                 "license": "CC-BY-4.0"})
    home = base / "home"
    run_kezek("update", "--source", str(folder), home=home, check=True)
    return home


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_no_findings_where_the_rules_are_unknown(two_regions, monkeypatch, lang):
    at = visit(two_regions, monkeypatch, page="districts", lang=lang)
    table = at.dataframe[0].value
    vilnius, astana = table[table["region"] == VILNIUS], table[table["region"] == "Астана"]
    assert (vilnius["findings"] == "—").all() and astana["findings"].str.isdigit().all()
    assert i18n.t("districts.findings_unknown", lang) in texts(at)
    # published and observed figures are shown wherever they are
    assert vilnius.set_index("month")[["places", "referrals"]].to_dict("index") == {
        "2024-09": {"places": 2, "referrals": 0}, "2024-10": {"places": 0, "referrals": 1}}
    assert set(astana["district"]) == {"Есіл", "Сарыарқа"}
    assert astana.set_index(["district", "month"]).loc[("Есіл", "2024-09"), "referrals"] == 1
    queue = at.dataframe[1].value.set_index(["region", "month"])
    # Vilnius: 3 registered by March, V-1 referred on 1 October (still numbered: referred, Q2)
    assert queue.loc[(VILNIUS, "2024-09"), ["waiting", "places"]].tolist() == [3, 2]
    assert queue.loc[(VILNIUS, "2024-09"), "waiting_per_place"] == i18n.decimal(1.5, lang)


def test_a_snapshot_published_before_queue_months_counts_the_same_queue(demo, tmp_path):
    """The publication keeps every settlement's queue at the start of each month
    (`queue_months`); a snapshot published before it is counted from the spans when asked."""
    import shutil

    import duckdb

    from engine import district_months

    copy = tmp_path / "older.duckdb"
    shutil.copy(store.current(demo).path, copy)
    con = duckdb.connect(str(copy))
    try:
        kept = district_months.queue_per_place(con, dt.date(2017, 6, 5), None)
        con.execute("DROP TABLE queue_months")
        assert district_months.queue_per_place(con, dt.date(2017, 6, 5), None).equals(kept)
    finally:
        con.close()
    assert kept["waiting"].gt(20_000).all()  # a real queue, not an empty one twice


def test_the_api_answers_the_tables_of_the_page(demo, monkeypatch, downloads):
    from test_api import client_for

    at = visit(demo, monkeypatch, page="districts", lang="en", district="Сарыарқа", months="24")
    api = client_for(demo)

    def number(cell: str) -> object:  # 5, 5.0: the same figure however a file writes it
        try:
            return float(cell)
        except ValueError:
            return cell

    def download(table: str, columns) -> list[dict]:
        rows = read_csv(offered(downloads, table)[1], "en", *columns).to_dict("records")
        return [{k: number(v) for k, v in row.items()} for row in rows]

    def as_csv(response) -> list[dict]:
        assert response.status_code == 200
        return [{k: "" if v is None else number(str(v)) for k, v in row.items()} for row in response.json()]

    by_district = api.get("/api/v1/stats/districts_by_month", params={"district": "Сарыарқа", "months": 24})
    assert as_csv(by_district) == download("districts_by_month", at.dataframe[0].value.columns)
    per_place = api.get("/api/v1/stats/queue_per_place", params={"months": 24})
    assert as_csv(per_place) == download("queue_per_place_by_month", at.dataframe[1].value.columns)
    assert [r["waiting_per_place"] for r in per_place.json()].count(None) == 5  # null, never 0, without places
    assert api.get("/api/v1/stats/queue_per_place", params={"months": "0"}).status_code == 400
