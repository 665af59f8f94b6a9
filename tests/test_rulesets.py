"""Rulesets as data (engine/rulesets/*.toml) and the working-day calendar they count in."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources

import duckdb
import numpy as np
import pytest
from pydantic import ValidationError

from engine import ruleset
from engine.workdays import WorkCalendar, create_calendar, from_day, to_day
from demo import PRESETS
from demo.ruleset_values import UnsimulatedRule, read_rules

FILES = sorted(p for p in resources.files("engine").joinpath("rulesets").iterdir()
               if p.name.endswith(".toml") and p.name not in ruleset.CATALOGS)


def doc(name: str) -> dict:
    return tomllib.loads(resources.files("engine").joinpath("rulesets", f"{name}.toml").read_text(encoding="utf-8"))


def test_the_rulesets_of_the_brief_exist():
    assert {"astana-2017", "kz-2019", "astana-2019-10", "kz-2020", "kz-2024", "almaty-2018"} <= set(ruleset.rulesets())
    assert len(FILES) == len(ruleset.rulesets())


@pytest.mark.parametrize("field", ["unit", "source"])
def test_a_value_without_unit_or_source_is_refused(field):
    bad = doc("astana-2017")
    del bad["parameters"]["choice_window"][0][field]
    with pytest.raises(ValidationError, match=field):
        ruleset.parse_ruleset(bad)


@pytest.mark.parametrize("change,message", [
    (lambda d: d["parameters"]["choice_window"][0].update(unit="fortnight"), "unit"),
    (lambda d: d["parameters"]["choice_window"][0].update(source="a friend said so"), "source"),
    (lambda d: d["parameters"].pop("max_age"), "missing parameters"),
    (lambda d: d["parameters"].update(lunch_break=d["parameters"]["max_age"]), "unknown parameters"),
    (lambda d: d["parameters"]["on_window_missed"][0].update(value="shrug"), "expected one of"),
    (lambda d: d["parameters"]["interest_deadline"][0].update(value="31-10"), "MM-DD"),
    (lambda d: d["parameters"]["max_age"].append(dict(d["parameters"]["max_age"][0])), "one per day"),
    (lambda d: d["parameters"]["ratio_general"][0].update(value=0), "ratio_general .*whole number ≥ 1"),
    (lambda d: d["parameters"]["ratio_first"][0].update(value=-1), "ratio_first .*whole number ≥ 1"),
    (lambda d: d["parameters"]["max_age"][0].update(value=-1), "max_age .*whole number ≥ 0"),
])
def test_malformed_rulesets_are_refused(change, message):
    bad = doc("kz-2019")
    change(bad)
    with pytest.raises(ValidationError, match=message):
        ruleset.parse_ruleset(bad)


def test_every_parameter_and_source_is_documented():
    for name, spec in ruleset.parameter_specs().items():
        assert spec.description and spec.rules and spec.units, name
        assert len(set(spec.title.values())) == 3, name  # named in each language in its own words
    for key, source in ruleset.source_catalog().items():  # cited in the reader's language
        for lang in ruleset.LANGUAGES:
            assert source.title[lang].strip() and source.says[lang].strip(), (key, lang)
        assert source.title["kk"] != source.title["en"] and source.title["ru"] != source.title["en"], key
    cited = {v.source for r in ruleset.rulesets().values() for vs in r.parameters.values() for v in vs}
    assert cited <= set(ruleset.source_catalog())


@pytest.mark.parametrize("parameter,region,instant,expected", [
    ("choice_window", "Астана", "2017-04-10 09:00", (15, "working_day", "astana-2017")),
    ("referral_valid", "Астана", "2017-04-10 09:00", (5, "working_day", "astana-2017")),
    ("choice_window", "Астана", "2019-10-09 09:00", (1, "calendar_day", "astana-2019-10")),
    ("choice_window", "Павлодар облысы", "2019-07-01 09:00", (3, "working_day", "kz-2019")),
    ("on_window_missed", "Павлодар облысы", "2019-07-01 09:00", ("stop_list", "policy", "kz-2019")),
    ("interest_deadline", "Павлодар облысы", "2019-07-01 09:00", ("10-01", "month_day", "kz-2019")),
    ("max_age", "Алматы", "2018-06-01 09:00", (7, "year", "almaty-2018")),
    ("max_age", "Шымкент", "2021-01-01 09:00", (6, "year", "kz-2020")),
    ("choice_window", "Шымкент", "2021-01-01 09:00", (20, "hour_of_day", "kz-2020")),
    ("choice_window", "Астана", "2024-09-02 09:00", (2, "working_day", "kz-2024")),
    ("inactive_restorable", "Астана", "2024-09-02 09:00", (28, "calendar_day", "kz-2024")),
])
def test_value_of_a_parameter_for_a_region_at_an_instant(parameter, region, instant, expected):
    at = dt.datetime.fromisoformat(instant)
    v = ruleset.value(parameter, region, at)
    assert (v.value, v.unit, ruleset.select(region, at).name) == expected
    assert v.source in ruleset.source_catalog()


def test_a_named_ruleset_holds_for_the_whole_dataset():
    assert ruleset.value("choice_window", "Астана", dt.datetime(2024, 1, 1), ruleset="astana-2017").value == 15
    assert ruleset.value("choice_window", "Астана", dt.datetime(2016, 1, 1), ruleset="kz-2020").unit == "hour_of_day"


def test_periods_cover_all_time_without_gaps():
    rows = ruleset.periods(["Астана", "Қарағанды облысы"])
    for region in ("Астана", "Қарағанды облысы"):
        mine = [r for r in rows if r["region"] == region]
        assert mine[0]["valid_from"] == ruleset.FAR_PAST and mine[-1]["valid_until"] == ruleset.FAR_FUTURE
        assert all(a["valid_until"] == b["valid_from"] for a, b in zip(mine, mine[1:]))


# The demo keeps no rule values of its own: it reads the ruleset its preset names
# (demo/ruleset_values.py). Checking that its values equal the engine's would now be a tautology;
# what can still go wrong is a preset naming a ruleset the simulation does not obey, or a
# ruleset edited into one it cannot simulate. tests/test_demo.py checks the generated
# data against the engine's values, and tests/test_audit_demo.py replays them under it.
def simulated_year(preset: str) -> tuple[dt.datetime, dt.datetime]:
    export = dt.datetime.fromisoformat(PRESETS[preset].exported_at)
    return export.replace(year=export.year - 1), export


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_demo_preset_names_a_ruleset_the_simulation_can_obey(preset):
    name = PRESETS[preset].ruleset
    rules = read_rules(name, *simulated_year(preset))
    window = ruleset.get(name).value("choice_window", simulated_year(preset)[1])
    counted = rules.choice_window_working_days if window.unit == "working_day" else rules.choice_closes_at_hour
    assert counted == window.value


@pytest.mark.parametrize("name,message", [
    ("kz-2019", "missed window"),  # a missed window sends the application to the stop-list
    ("kz-2024", "missed window"),  # ... or makes it inactive
    ("astana-2019-10", "choice_window in calendar_day"),
])
def test_the_demo_refuses_a_ruleset_it_does_not_simulate(name, message):
    with pytest.raises(UnsimulatedRule, match=message):
        read_rules(name, *simulated_year("national"))


@pytest.mark.parametrize("edit,message", [
    (lambda p: p["choice_window"].append({**p["choice_window"][0], "from": dt.date(2017, 1, 9), "value": 10}),
     "changes during the simulated year"),
    (lambda p: p["interest_deadline"][0].update(value="09-01"), "interest_deadline is not simulated"),
    (lambda p: p["privilege_confirm_working"][0].update(value=2), "shorter than the simulated confirmations"),
    (lambda p: p["referral_valid"][0].update(unit="calendar_day"), "referral_valid in calendar_day"),
    (lambda p: p["pattern_starts_with"][0].update(value="general"), "starts with first-priority"),
])
def test_the_demo_refuses_an_edited_ruleset(edit, message, monkeypatch):
    edited = doc("astana-2017")
    for values in edited["parameters"].values():  # a change inside the simulated year must be after the first
        values[0]["from"] = dt.date(2016, 1, 1)
    edit(edited["parameters"])
    monkeypatch.setattr(ruleset, "get", lambda name: ruleset.parse_ruleset(edited))
    with pytest.raises(UnsimulatedRule, match=message):
        read_rules("astana-2017", *simulated_year("astana-2017"))


# ---------------------------------------------------------------------------- working days
def test_working_days_follow_the_holiday_calendar_of_kazakhstan():
    cal = WorkCalendar(2017, 2024)
    d = to_day
    assert not cal.is_working(d(dt.date(2024, 3, 22)))      # Nowruz
    assert not cal.is_working(d(dt.date(2024, 5, 8)))       # a day off moved from Saturday 4 May
    assert cal.is_working(d(dt.date(2024, 5, 4)))           # ... which was worked
    assert from_day(cal.after(d(dt.date(2017, 4, 28)), 1)) == dt.date(2017, 5, 2)   # 1 May
    assert from_day(cal.after(d(dt.date(2017, 5, 5)), 1)) == dt.date(2017, 5, 10)   # 8-9 May


def test_the_sql_calendar_agrees_with_the_numpy_one():
    con = duckdb.connect()
    create_calendar(con, dt.date(2016, 1, 1), dt.date(2024, 12, 31))
    cal = WorkCalendar(2016, 2024)
    rng = np.random.default_rng(1)
    days = rng.integers(to_day(dt.date(2016, 1, 1)), to_day(dt.date(2024, 6, 1)), 300)
    n = rng.integers(1, 16, 300)
    got = con.execute("""
        SELECT w.day FROM (SELECT unnest($days) AS day, unnest($n) AS n, generate_subscripts($days, 1) AS i) q
        JOIN calendar c ON c.day = q.day JOIN working_days w ON w.wd_index = c.wd_index + q.n ORDER BY q.i""",
        {"days": [from_day(x) for x in days], "n": [int(x) for x in n]}).fetchall()
    assert [g for (g,) in got] == [from_day(x) for x in cal.after(days, n)]


# --- a region no ruleset covers ---------------------------------------------------------------

def test_a_region_no_ruleset_covers_is_numbered_by_nothing_and_says_so(tmp_path, monkeypatch):
    """Vilnius is not in Kazakhstan: no ruleset covers it. Its applications hold no number
    computed by rules Kezek does not know, its published numbers are not findings, the API
    answers and every page say that its rules are not known; Astana beside it is numbered."""
    import json

    from conftest import application, kindergarten, vacancy, write_dataset
    from engine import store
    from engine.lookup import lookup
    from kezek.pipeline import update
    from test_api import client_for
    from test_dashboard import visit

    from i18n import t

    apps = [application(f"VLN-{i}", f"2016-02-0{i} 10:00", region="Vilnius") for i in range(1, 4)]
    apps += [application("УО.2016.000001.1", "2016-02-01 10:00")]
    folder = write_dataset(tmp_path / "ds", {
        "kindergartens": [kindergarten("K1"), kindergarten("V1", region="Vilnius")],
        "vacancies": [vacancy()], "applications": apps,
        "positions": [{"as_of": "2017-04-09", "application_number": "VLN-1", "queue_number": 3}],
    }, {"exported_at": "2017-06-05 08:00"})
    update([str(folder)], tmp_path / "home")
    con = store.open_snapshot(store.current(tmp_path / "home").path)
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    assert json.loads(meta["rules_unknown"]) == ["Vilnius"]
    assert con.execute("SELECT region, count(*) FROM queue GROUP BY region").fetchall() == [("Астана", 1)]
    assert con.execute("SELECT DISTINCT region FROM numbering_rules").fetchall() == [("Астана",)]
    assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == 0  # VLN-1's 3 is a published fact
    doc = lookup(con, "VLN-1")
    assert (doc["status"], doc["queue_number"]) == ("queued", None)
    assert lookup(con, "УО.2016.000001.1")["queue_number"] == 1
    con.close()
    answer = client_for(tmp_path / "home").get("/api/v1/kindergartens")
    assert answer.status_code == 200 and answer.headers["x-kezek-rules-unknown"] == "Vilnius"
    for lang in ("kk", "ru", "en"):
        at = visit(tmp_path / "home", monkeypatch, page="overview", lang=lang)
        assert [w.value for w in at.warning if w.value == t("page.rules_unknown", lang, regions="Vilnius")]


def test_kazakhstans_rulesets_cover_its_regions_by_any_of_their_names_and_nothing_else():
    import datetime as dt

    from engine import ruleset

    day = dt.date(2021, 1, 1)
    for name in ("Павлодар облысы", "Павлодарская область", "ПАВЛОДАРСКАЯ  ОБЛАСТЬ", "Нур-Султан", "ВКО"):
        assert ruleset.select(name, day) is not None, name
    assert ruleset.select("Нур-Султан", day).name == ruleset.select("Астана", day).name
    for name in ("Vilnius", "Бишкек", "Регион"):
        assert ruleset.select(name, day) is None, name
    assert ruleset.unknown_regions(["Vilnius", "Астана"]) == ["Vilnius"]
    assert ruleset.unknown_regions(["Vilnius"], "kz-2020") == []  # a ruleset the dataset names holds for all of it


def test_where_the_rules_are_not_known_the_published_order_is_compared_not_judged(tmp_path, monkeypatch):
    """A Vilnius-like dataset whose kindergarten queues follow application time exactly: the
    comparison says so (rank correlation 1), the audit page shows it beside the warning, it
    is exported, and there is still no finding."""
    import csv

    from conftest import application, kindergarten, vacancy, write_dataset
    from engine import store
    from kezek.pipeline import update
    from test_dashboard import visit

    from i18n import t

    apps = [application(f"VLN-{i}", f"2016-02-{i:02d} 10:00", region="Vilnius",
                        privilege="first" if i == 5 else "none") for i in range(1, 7)]
    positions = [{"as_of": "2017-04-09", "application_number": f"VLN-{i}", "queue_number": i, "queue_id": "V1"}
                 for i in range(1, 7)]  # in application time, the privileged VLN-5 not moved ahead
    folder = write_dataset(tmp_path / "ds", {
        "kindergartens": [kindergarten("K1"), kindergarten("V1", region="Vilnius")],
        "vacancies": [vacancy()], "applications": apps, "positions": positions,
    }, {"exported_at": "2017-06-05 08:00"})
    update([str(folder)], tmp_path / "home")
    con = store.open_snapshot(store.current(tmp_path / "home").path)
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT order_name, queue, applications, rank_correlation, consecutive_in_order FROM order_comparison").fetchall()}
    assert rows["application_time"] == ("V1", 6, 1.0, 1.0)
    assert rows["privilege_then_application_time"][2] < 1.0  # VLN-5 would be first by privilege
    assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == 0
    snapshot = store.current(tmp_path / "home").snapshot
    con.close()
    with open(tmp_path / "home" / "open-data" / snapshot / "csv" / "order_comparison.csv", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 3
    for lang in ("kk", "ru", "en"):
        at = visit(tmp_path / "home", monkeypatch, page="audit", lang=lang)
        assert t("audit.orders_title", lang) in [s.value for s in at.subheader]
        shown = at.dataframe[0].value
        assert t("order.application_time", lang) in set(shown["order_name"])


def test_a_ruleset_is_titled_in_every_language():
    for name, rules in ruleset.rulesets().items():  # Kezek's own: each language its own words
        assert len(set(rules.title.values())) == 3, name
    own = doc("kz-2019") | {"name": "vilnius-own", "title": "Vilnius: kindergarten waiting list"}
    assert ruleset.parse_ruleset(own).title["ru"] == "Vilnius: kindergarten waiting list"  # a publisher's one title
    with pytest.raises(ValidationError, match="title.kk, title.ru, title.en"):
        ruleset.parse_ruleset(own | {"title": {"en": "Vilnius", "ru": "Вильнюс"}})


def test_a_value_is_noted_in_every_language_and_a_publishers_note_as_given():
    for path in FILES:  # Kezek's own: note.kk, note.ru, note.en, never one text for all
        for name, values in tomllib.loads(path.read_text(encoding="utf-8"))["parameters"].items():
            for value in values:
                assert "note" not in value or set(value["note"]) == set(ruleset.LANGUAGES), (path.name, name)
    noted = ruleset.get("kz-2024").value("on_window_missed", dt.date(2024, 6, 1)).note
    assert noted == {"kk": "әйтпесе өтініш белсенді емес болады", "ru": "иначе заявление становится неактивным",
                     "en": "or the application becomes inactive"}
    own = doc("kz-2019") | {"name": "vilnius-own"}
    own["parameters"]["max_age"][0]["note"] = "Vaikai iki 7 metų"  # a publisher's note in its one language
    assert ruleset.parse_ruleset(own).value("max_age", dt.date(2020, 1, 1)).note == dict.fromkeys(ruleset.LANGUAGES,
                                                                                                 "Vaikai iki 7 metų")
    own["parameters"]["max_age"][0]["note"] = {"en": "Children under 7"}
    with pytest.raises(ValidationError, match="give the text in kk, ru, en.*given: en"):
        ruleset.parse_ruleset(own)
