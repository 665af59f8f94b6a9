"""Small sensitive counts (engine/disclosure.py): fewer than 5 children in a group for
special educational needs are published as "<5" in the export, the API and the dashboard
alike; other groups keep their counts, and no total gives the withheld count away."""

from __future__ import annotations

import csv

import pytest
from conftest import application, kindergarten, run_kezek, vacancy, write_dataset
from test_api import PREFIX, client_for
from test_dashboard import texts, visit

from i18n import t

GROUPS = [  # (group, programme, enrolled, published)
    ("G1", "Логопедическая группа", 3, "<5"),            # speech therapy, 3 children: withheld
    ("G2", "Түзету тобы (арнайы білім беру)", 4, "<5"),   # a correction group in Kazakh
    ("G3", "Логопедическая группа", 7, "7"),             # sensitive, but not small
    ("G4", "Типовая учебная программа", 2, "2"),          # small, but not sensitive
    ("G5", None, 20, "20"),
]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("disclosure")
    groups = [{"kindergarten_id": "K1", "group_id": g, "name": f"Топ {g}", "birth_year": 2015, "language": "kk",
               "capacity": 20, "enrolled": n, "program": p} for g, p, n, _ in GROUPS]
    folder = write_dataset(root / "ds", {
        "kindergartens": [kindergarten("K1")], "groups": groups, "vacancies": [vacancy()],
        "applications": [application("УО.2016.000001.1", "2016-02-01 10:00")],
    })
    run_kezek("update", "--source", str(folder), home=root / "home", check=True)
    return root / "home"


def test_the_export_withholds_small_sensitive_counts(published, tmp_path):
    run_kezek("export", "--out", str(tmp_path / "out"), "--format", "csv", home=published, check=True)
    with open(tmp_path / "out" / "csv" / "groups.csv", encoding="utf-8") as fh:
        rows = {r["group_id"]: r["enrolled"] for r in csv.DictReader(fh)}
    assert rows == {g: shown for g, _, _, shown in GROUPS}


def test_the_api_withholds_them_too(published):
    body = client_for(published).get(f"{PREFIX}/kindergartens/K1").json()
    # counts stay numbers; only a withheld one is the text "<5"
    assert {g["group_id"]: g["enrolled"] for g in body["groups"]} == {
        g: shown if shown == "<5" else int(shown) for g, _, _, shown in GROUPS}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_kindergarten_card_neither_shows_them_nor_gives_them_away_in_a_total(published, monkeypatch, lang):
    at = visit(published, monkeypatch, "kindergartens", lang, kg="K1")
    table = next(df.value for df in at.dataframe if "program" in df.value.columns)
    assert dict(zip(table["group_id"], table["enrolled"])) == {g: shown for g, _, _, shown in GROUPS}
    # 7 + 2 + 20 counted; the 3 and the 4 are not added into an exact total
    assert t("card.groups_total", lang, groups="5", capacity="100", enrolled="≥ 29") in texts(at)
