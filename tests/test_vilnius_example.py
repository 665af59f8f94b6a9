"""examples/vilnius/mapping.toml on a day of Vilnius's files as the city published them
(tests/data/vilnius-excerpt/2026-03-10T0210: a sample of the children, the groups of six
institutions, every column as published): nothing prepared beforehand.

What the city's files say is read here with Python's csv module, apart from Kezek's SQL, and
compared with what Kezek published: the chosen kindergartens, the place in each one's queue,
the free places, the kindergartens and their coordinates. Kezek knows no rules for Vilnius:
nothing is numbered or judged by rules, and every answer says so."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import run_kezek
from dashboard import server
from dashboard.api.routes import PREFIX
from engine import store

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "examples" / "vilnius" / "mapping.toml"
DAY = Path(__file__).parent / "data" / "vilnius-excerpt" / "2026-03-10T0210"
CHILD = "Vaiko Identifikacinis Nr."
LANGUAGES = {"Lietuvių": "lt", "Rusų": "ru", "Lenkų": "pl", "Baltarusių": "be"}
# The city of Vilnius lies within these (WGS 84 degrees), with a margin of a few km.
VILNIUS_BOX = {"latitude": (54.55, 54.85), "longitude": (25.0, 25.5)}

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


def read(name: str, delimiter: str) -> list[dict]:
    with open(DAY / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


LIST = read("laukianciuju_eileje_ataskaita.csv", ";")
GROUPS = read("darzeliai_grupes.csv", ",")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = tmp_path_factory.mktemp("vilnius") / "home"
    done = run_kezek("update", "--source", str(DAY), "--mapping", str(MAPPING), home=home)
    assert done.returncode == 0, done.stderr
    con = store.open_snapshot(store.current(home).path)
    yield home, con, done
    con.close()


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_every_child_is_an_application_with_the_privilege_of_its_four_family_flags(published):
    _, con, _ = published
    flags = ("Prioritetas (šeimoje 3 ir daugiau vaikų)", "Prioritetas (žemas darbingumo lygis)",
             "Prioritetas (augina tik vienas iš tėvų)", "Prioritetas (vienas iš tėvų mokosi mokykloje)")
    expected = sorted((r[CHILD], "first" if any(r[f] == "Taip" for f in flags) else "none",
                       int(r["Vaiko gimimo data"][:4])) for r in LIST)
    assert rows(con, "SELECT application_number, privilege, birth_year FROM applications ORDER BY 1") == expected
    assert {p for _, p, _ in expected} == {"first", "none"}  # the excerpt has both


def test_the_choices_and_the_places_in_each_chosen_kindergartens_queue_are_the_citys(published):
    _, con, _ = published
    choices, places = [], []
    for r in LIST:
        for rank in range(1, 6):
            name = (r.get(f"{rank} pasirinktas darželis") or "").strip()
            if not name:
                continue
            choices.append((r[CHILD], rank, name, LANGUAGES.get(r[f"{rank} darželio grupės ugdomoji kalba"])))
            if (r.get(f"{rank} darželio vieta eilėje") or "").strip():
                places.append((r[CHILD], name, int(r[f"{rank} darželio vieta eilėje"])))
    assert len(choices) > len(LIST) and places  # most children chose several, most have places
    assert rows(con, "SELECT application_number, rank, kindergarten_id, language FROM choices ORDER BY 1, 2") == \
        sorted(choices)
    assert rows(con, "SELECT application_number, kindergarten_id, queue_number FROM positions "
                     "WHERE as_of = DATE '2026-03-10' ORDER BY ALL") == sorted(places)
    # each place is in the queue of its kindergarten, language, method and group type
    assert rows(con, "SELECT count(*) FROM positions WHERE NOT starts_with(queue_id, kindergarten_id || ' · ')") == [(0,)]


def test_the_lookup_lists_each_choice_with_its_published_place(published):
    home, con, _ = published
    child = next(r for r in LIST if (r.get("2 darželio vieta eilėje") or "").strip())
    api = TestClient(Starlette(routes=server.routes(home)))
    response = api.get(f"{PREFIX}/applications/{child[CHILD]}")
    assert response.status_code == 200, response.text
    assert response.headers["X-Kezek-Rules-Unknown"] == "Vilnius"
    doc = response.json()
    assert doc["queue_number"] is None  # no number by rules Kezek does not know
    got = {c["rank"]: (c["kindergarten_id"], c["queue_number"]) for c in doc["choices"]}
    for rank in (1, 2):
        place = (child[f"{rank} darželio vieta eilėje"] or "").strip()
        assert got[rank] == (child[f"{rank} pasirinktas darželis"].strip(), int(place) if place else None)


def test_kindergartens_groups_and_free_places_come_from_the_groups_file(published):
    _, con, done = published
    labels = sorted({g["LABEL"].strip() for g in GROUPS})
    assert [k for k, in rows(con, "SELECT kindergarten_id FROM kindergartens ORDER BY 1")] == labels
    for name in labels:  # coordinates converted from LKS-94, inside the city, or none where the city gives 0
        lat, lon = rows(con, f"SELECT latitude, longitude FROM kindergartens WHERE kindergarten_id = '{name}'")[0]
        given = next(float(g["GIS_X"] or 0) for g in GROUPS if g["LABEL"].strip() == name)
        if given:
            assert VILNIUS_BOX["latitude"][0] < lat < VILNIUS_BOX["latitude"][1], name
            assert VILNIUS_BOX["longitude"][0] < lon < VILNIUS_BOX["longitude"][1], name
        else:
            assert lat is None and lon is None, name
    assert rows(con, "SELECT count(*) FROM groups") == [(len(GROUPS),)]
    free = sorted((f"GID {g['GID']}", g["LABEL"].strip(), int(g["FREE_SPACE"]), 2026 - math.ceil(float(g["AGE_FROM"])),
                   LANGUAGES[g["LAN_LABEL"]]) for g in GROUPS if int(g["FREE_SPACE"]) > 0)
    assert free  # the excerpt's groups have free places
    assert rows(con, "SELECT bulletin_id, kindergarten_id, seats, birth_year, language FROM vacancies ORDER BY 1") == free
    assert {str(a) for a, in rows(con, "SELECT DISTINCT announced_at FROM vacancies")} == {"2026-03-10 02:10:00"}
    # the excerpt's groups are six institutions: the others the children chose are named as chosen, and said
    assert "rows of choices name" in done.stderr and "published as named" in done.stderr


def test_no_rule_is_applied_and_every_answer_says_the_rules_are_unknown(published):
    home, con, _ = published
    meta = dict(rows(con, "SELECT key, value FROM meta"))
    assert json.loads(meta["rules_unknown"]) == ["Vilnius"]
    assert (meta["title"], meta["timezone"]) == ("Vilnius: kindergarten waiting list", "Europe/Vilnius")  # [dataset]
    assert rows(con, "SELECT count(*) FROM findings WHERE rule <> '—'") == [(0,)]
    assert rows(con, "SELECT count(*) FROM numbering_rules") == [(0,)]
    compared = rows(con, "SELECT count(DISTINCT queue) FROM order_comparison")[0][0]
    assert compared == rows(con, "SELECT count(DISTINCT queue_id) FROM positions")[0][0] > 0
    api = TestClient(Starlette(routes=server.routes(home)))
    assert api.get(f"{PREFIX}/kindergartens").headers["X-Kezek-Rules-Unknown"] == "Vilnius"


# -- the series: a child's history is the places the city published, not numbers by rules ----

@pytest.fixture(scope="module")
def series(tmp_path_factory):
    import shutil

    root = tmp_path_factory.mktemp("vilnius-series")
    shutil.copytree(DAY.parent, root / "series", ignore=shutil.ignore_patterns("README.md"))
    home = root / "home"
    run_kezek("update", "--source", str(root / "series"), "--mapping", str(MAPPING), home=home, check=True)
    return home


def places_by_day() -> dict[str, dict[str, dict[str, int]]]:
    """child → day → kindergarten → place, read off each day's file with Python's csv module."""
    out: dict = {}
    for folder in sorted(p for p in DAY.parent.iterdir() if p.is_dir()):
        with open(folder / "laukianciuju_eileje_ataskaita.csv", encoding="utf-8", newline="") as fh:
            for r in csv.DictReader(fh, delimiter=";"):
                for rank in range(1, 6):
                    place = (r.get(f"{rank} darželio vieta eilėje") or "").strip()
                    if place:
                        out.setdefault(r[CHILD], {}).setdefault(folder.name[:10], {})[
                            r[f"{rank} pasirinktas darželis"].strip()] = int(place)
    return out


def test_a_childs_history_is_the_places_the_city_published_day_by_day(series):
    from engine.history import history

    expected = places_by_day()
    child = max(sorted(expected), key=lambda c: len({tuple(d.items()) for d in expected[c].values()}))  # places moved
    con = store.open_snapshot(store.current(series).path)
    try:
        doc = history(con, child)
    finally:
        con.close()
    assert doc["rules_unknown"] is True and doc["days"] == []  # no number by rules Kezek does not know
    got: dict = {}
    for p in doc["places"]:
        got.setdefault(p["date"], {})[p["kindergarten_id"]] = p["queue_number"]
    assert got == expected[child]
    assert len({tuple(sorted(d.items())) for d in got.values()}) > 1  # the places moved within the excerpt
    text = run_kezek("lookup", child, "--history", home=series, check=True).stdout
    assert "the queue rules of this region are not known: no number is computed" in text


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_the_lookup_page_shows_the_citys_places_and_no_number_by_rules(series, monkeypatch, lang):
    import i18n
    from test_dashboard import visit

    child = sorted(places_by_day())[0]
    at = visit(series, monkeypatch, page="lookup", lang=lang, app=child)
    text = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.warning, *at.subheader])
    assert i18n.t("history.places_title", lang) in text
    assert i18n.t("lookup.rules_unknown_number", lang, region="Vilnius") in text
    assert i18n.t("history.title", lang) not in text  # no "how the number moved": nothing was numbered
