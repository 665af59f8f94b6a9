"""The dashboard's newer pages as visitors see them, in Kazakh, Russian and English: the
overview, the public queue, queue movement, a kindergarten's card, about the data.

Same hand-computable dataset as test_dashboard.py (see the table at its top), published by
the real pipeline; the expected numbers below are counted by hand from it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from conftest import run_kezek
import i18n
from test_dashboard import (AKMOLA, KNOWN, LANGS, NBSP, PAGES, QOSSHY, ROOT, dataset, demo, downloads, offered,
                            read_csv, texts, values, visit)
from dashboard import labels

__all__ = ["demo", "downloads"]  # fixtures, imported for the tests of this module


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> tuple[Path, Path]:
    """(home, dataset folder): the dataset published by `kezek update`."""
    base = tmp_path_factory.mktemp("pages")
    folder = dataset(base / "dataset")
    home = base / "home"
    run_kezek("update", "--source", str(folder), home=home, check=True)
    return home, folder


@pytest.fixture(scope="module")
def published(story) -> Path:
    return story[0]


def plain(text: str) -> str:
    """Page text with Markdown escapes and no-break spaces undone: what a reader sees."""
    for ch in "\\`*_{}[]()<>#+-.!|~$":
        text = text.replace("\\" + ch, ch)
    return text.replace(NBSP, " ")


def n(value: int, lang: str) -> str:
    return i18n.number(value, lang).replace(NBSP, " ")


def d(day: str, lang: str) -> str:
    return i18n.date(day, lang)


# --- every page says how fresh its data are --------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGES)
def test_every_page_explains_itself_and_says_as_of_when(published, monkeypatch, lang, page):
    at = visit(published, monkeypatch, page=page, lang=lang)
    caption = plain(at.caption[0].value)
    assert d("2018-08-01", lang) in caption  # meta.as_of …
    meta = json.loads((published / "published.json").read_text(encoding="utf-8"))
    when = dt.datetime.fromisoformat(meta["published_at"]).astimezone(dt.timezone(dt.timedelta(hours=5)))
    assert f"{i18n.date(when, lang, with_time=True)} (UTC+5)" in caption  # … and when it was published
    assert at.markdown[0].value == i18n.t(f"{page}.intro", lang)  # a plain-language introduction
    for widget in (*at.selectbox, *at.text_input, *at.number_input, *at.checkbox):
        assert widget.label.strip()  # every widget is labelled


# --- overview ---------------------------------------------------------------------------------

ACTIVITY = {"kk": ("Бюллетеньдерде жарияланған орын", "Берілген жолдама", "Қабылданған бала"),
            "ru": ("Объявлено мест в бюллетенях", "Выдано направлений", "Зачислено детей"),
            "en": ("Places announced in bulletins", "Referrals issued", "Children enrolled")}


@pytest.mark.parametrize("lang", LANGS)
def test_overview_counts_the_queue_and_this_months_and_years_places(published, monkeypatch, downloads, lang):
    at = visit(published, monkeypatch, page="overview", lang=lang)
    assert at.title[0].value == {"kk": "Балабақша кезегі: басты көрсеткіштер",
                                 "ru": "Очередь в детские сады: главное",
                                 "en": "The kindergarten queue at a glance"}[lang]
    assert at.metric[0].value == "11"  # 6 + 2 in Astana, 3 in Qosshy
    table = at.dataframe[0].value.set_index("region")  # a row per region, a column per birth year
    assert table.loc["Астана", ["2016", "2015", "total"]].tolist() == [6, 2, 8]
    assert table.loc[AKMOLA, ["2016", "2015", "total"]].tolist() == [3, 0, 3]
    per_year, per_region = (json.loads(chart.proto.spec)["data"][0] for chart in at.get("plotly_chart"))
    assert dict(zip(values(per_year["x"]), values(per_year["y"]))) == {"2016": 9, "2015": 2}
    assert dict(zip(values(per_region["y"]), values(per_region["x"]))) == {"Астана": 8, AKMOLA: 3}
    # August 2018 up to the 1st: B9's 1 place, 000031's referral, 000030's enrolment;
    # 2018: B6 1 340 + B7 2 + B8 2 + B9 1 places, 3 referrals (30, 14, 31), 2 enrolments (14, 30)
    page = plain(texts(at))
    places, referrals, enrolments = ACTIVITY[lang]
    assert f"| {places} | **1** | **{n(1345, lang)}** |" in page
    assert f"| {referrals} | **1** | **3** |" in page
    assert f"| {enrolments} | **1** | **2** |" in page
    assert d("2018-08-01", lang) in page and d("2018-01-01", lang) in page  # since when
    activity = read_csv(offered(downloads, "activity")[1], lang, "period", "seats", "referrals", "enrolments")
    assert activity.to_dict("records") == [
        {"period": i18n.t("overview.this_month", lang, day=d("2018-08-01", lang)), "seats": "1", "referrals": "1",
         "enrolments": "1"},
        {"period": i18n.t("overview.this_year", lang, day=d("2018-01-01", lang)), "seats": "1345", "referrals": "3",
         "enrolments": "2"},
    ]
    assert len(read_csv(offered(downloads, "queue_by_region_and_birth_year")[1])) == 3
    # freshness: the newest application, status change and bulletin
    for moment in ("2018-07-31T18:00", "2018-08-01T11:00", "2018-08-01T09:00"):
        assert i18n.date(moment, lang, with_time=True) in page


def test_overview_of_one_region_only(published, monkeypatch):
    at = visit(published, monkeypatch, page="overview", lang="ru", region=AKMOLA)
    assert at.metric[0].value == "3"
    page = texts(at).replace(NBSP, " ")
    places, referrals, enrolments = ACTIVITY["ru"]
    assert f"| {places} | **0** | **2** |" in page  # B7, in July
    assert f"| {referrals} | **1** | **2** |" in page
    assert f"| {enrolments} | **1** | **1** |" in page
    assert at.query_params["region"] == AKMOLA
    at.selectbox(key="overview:region").select("").run()  # "all regions"
    assert at.metric[0].value == "11" and "region" not in at.query_params


# --- the public queue -----------------------------------------------------------------------------

ASTANA_2016 = [  # rule Q3: E, P, G, G, G, P
    (1, "УО.2018.000010.1", "10.01.2018 10:00:00", "extraordinary", "1", "notified"),
    (2, "УО.2018.000011.1", "01.02.2018 10:00:00", "first", "2", "notified"),
    (3, "УО.2018.000012.1", "01.03.2018 10:00:00", "none", "—", "queued"),
    (4, "УО.2018.000013.1", "01.04.2018 10:00:00", "none", "—", "queued"),
    (5, "УО.2018.000024.1", "31.07.2018 17:29:09", "none", "—", "queued"),
    (6, "УО.2018.000025.1", "31.07.2018 18:00:00", "first", "3", "queued"),
]


@pytest.mark.parametrize("lang", LANGS)
def test_public_queue_lists_the_largest_queue_as_the_portals_do(published, monkeypatch, downloads, lang):
    from dashboard import labels

    at = visit(published, monkeypatch, page="queue", lang=lang)
    assert [(s.key, s.value) for s in at.selectbox] == [
        ("queue:region", "Астана"), ("queue:locality", "Астана"), ("queue:birth_year", "2016")]
    shown = at.dataframe[0].value
    expected = [(q, a, r if lang != "en" else dt.datetime.strptime(r, "%d.%m.%Y %H:%M:%S").isoformat(" "),
                 labels.privilege(p, lang), labels.status(s, lang), pn) for q, a, r, p, pn, s in ASTANA_2016]
    assert [tuple(row) for row in shown.itertuples(index=False)] == expected
    assert not {"birth_date", "birth_year", "privilege_category"} & set(shown.columns)  # never shown
    assert f"**6**" in at.markdown[1].value and "2016" in at.markdown[1].value
    name, data = offered(downloads, "queue")
    assert name == f"queue_region-astana_birth_year-2016_{lang}_2018-08-01.csv"  # the segment and the data's day
    table = read_csv(data, lang, "application_number", "region", "locality", "birth_year", "registered_at",
                     "privilege", "status", "queue_number", "privileged_queue_number")
    assert set(table["status"]) <= {labels.status(code, lang) for code in labels.STATUS}  # in words
    assert table["application_number"].tolist() == [row[1] for row in ASTANA_2016]
    assert table["privileged_queue_number"].tolist() == ["1", "2", "0", "0", "0", "3"]


def test_public_queue_of_a_segment_from_the_url(published, monkeypatch):
    at = visit(published, monkeypatch, page="queue", lang="ru", region=AKMOLA, locality=QOSSHY, birth_year="2016")
    shown = at.dataframe[0].value
    assert shown["application_number"].tolist() == ["УО.2018.000031.1", "УО.2018.000032.1", "УО.2018.000033.1"]
    assert shown["status"].tolist() == ["Выдано направление", "В очереди", "В очереди"]


@pytest.mark.parametrize("lang", LANGS)
def test_public_queue_searched_by_number_opens_its_queue(published, monkeypatch, lang):
    at = visit(published, monkeypatch, page="queue", lang=lang, number=" uo.2018.000032.1 ")
    assert (at.query_params["region"], at.query_params["locality"], at.query_params["birth_year"]) == (
        AKMOLA, QOSSHY, "2016")
    assert at.dataframe[0].value["application_number"].tolist()[1] == "УО.2018.000032.1"
    found = plain(at.success[0].value)
    assert "УО.2018.000032.1" in found and "**2**" in found
    at.text_input(key="queue:number").input(KNOWN).run()  # a new search moves to the other queue
    assert at.query_params["region"] == "Астана" and at.query_params["number"] == KNOWN
    assert KNOWN in at.dataframe[0].value["application_number"].tolist()


def test_public_queue_search_for_a_number_without_a_place_or_unknown(published, monkeypatch):
    at = visit(published, monkeypatch, page="queue", lang="ru", number="УО.2018.000014.1")
    assert plain(at.warning[0].value) == "У заявления УО.2018.000014.1 сейчас нет номера в очереди. Статус: Зачислен."
    at = visit(published, monkeypatch, page="queue", lang="en", number="<b>1' OR 1=1")
    assert "No application <b>1' OR 1=1 in this publication" in plain(at.info[0].value)
    assert len(at.dataframe[0].value) == 6  # the list is still there


# --- queue movement ----------------------------------------------------------------------------------

SUMMARY = {  # the last whole week, 23.07–29.07.2018
    "kk": "23.07.2018 – 29.07.2018 аралығындағы апта: жаңа өтініштер — **1**, хабарламалар — **2**, "
          "жолдамалар — **1**, қабылданғандар — **0**. 29.07.2018 күннің соңында кезекте тұрған балалар: **11**.",
    "ru": "Неделя с 23.07.2018 по 29.07.2018: новых заявлений — **1**, уведомлений — **2**, направлений — **1**, "
          "зачислений — **0**. Детей в очереди на конец дня 29.07.2018: **11**.",
    "en": "Week from 2018-07-23 to 2018-07-29: new applications — **1**, notifications — **2**, "
          "referrals — **1**, enrolments — **0**. Children in the queue at the end of 2018-07-29: **11**.",
}


@pytest.mark.parametrize("lang", LANGS)
def test_queue_movement_week_by_week(published, monkeypatch, downloads, lang):
    at = visit(published, monkeypatch, page="movement", lang=lang)
    assert SUMMARY[lang] in [m.value for m in at.markdown]
    length = read_csv(offered(downloads, "queue_length_by_week")[1], lang, "week", "birth_year", "children")
    per_week = {(r["week"], r["birth_year"]): int(r["children"]) for r in length.to_dict("records")}
    assert {k: v for k, v in per_week.items() if k[0] >= "2018-07-09"} == {
        ("2018-07-09", "2016"): 8, ("2018-07-09", "2015"): 2,
        ("2018-07-16", "2016"): 8, ("2018-07-16", "2015"): 2,   # 30 referred, 31 notified: still numbered (Q2)
        ("2018-07-23", "2016"): 9, ("2018-07-23", "2015"): 2,   # 33 registered, 14 referred
        ("2018-07-30", "2016"): 9, ("2018-07-30", "2015"): 2,   # 24, 25 in; 14, 30 enrolled: out
    }
    assert per_week[("2018-01-08", "2016")] == 1  # 000010, registered on 10.01.2018
    flows = read_csv(offered(downloads, "flows_by_week")[1], lang, "week", "new_applications", "notifications",
                     "referrals", "enrolments")
    assert len(flows) == 52  # the last 52 weeks by default
    assert flows.tail(3).to_dict("records") == [
        {"week": "2018-07-16", "new_applications": "0", "notifications": "2", "referrals": "1", "enrolments": "0"},
        {"week": "2018-07-23", "new_applications": "1", "notifications": "2", "referrals": "1", "enrolments": "0"},
        {"week": "2018-07-30", "new_applications": "2", "notifications": "0", "referrals": "1", "enrolments": "2"},
    ]
    lines = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    last = {trace["name"]: values(trace["y"])[-1] for trace in lines}
    assert last == {"2016": 9, "2015": 2}
    assert all(chart.proto.alt for chart in at.get("plotly_chart"))
    table = at.dataframe[0].value  # the chart as a table, newest week first
    assert (table.iloc[0]["2016"], table.iloc[0]["2015"]) == (9, 2)


def test_queue_movement_of_one_settlement_over_13_weeks(published, monkeypatch, downloads):
    at = visit(published, monkeypatch, page="movement", lang="en", region=AKMOLA, locality=QOSSHY, weeks="13")
    name, data = offered(downloads, "queue_length_by_week")
    assert name == "queue_length_by_week_region-aqmola-oblysy_locality-qosshy_weeks-13_en_2018-08-01.csv"
    length = read_csv(data, "en", "week", "birth_year", "children")
    assert {r["week"]: r["children"] for r in length.to_dict("records") if r["week"] >= "2018-07-16"} == {
        "2018-07-16": "3", "2018-07-23": "4", "2018-07-30": "3"}
    assert len(read_csv(offered(downloads, "flows_by_week")[1])) == 13
    assert (at.query_params["weeks"], at.query_params["locality"]) == ("13", QOSSHY)
    assert "Children in the queue at the end of 2018-07-29: **4**." in at.markdown[1].value
    assert "The last week, from 2018-07-30, is counted up to the end of 2018-08-01 only" in texts(at)


@pytest.mark.parametrize("typed", ["²", "١٢", "100001", "99999999999999999999999"])
def test_what_if_places_from_the_url_are_ascii_digits_within_the_tools_bounds(published, monkeypatch, typed):
    """'²'.isdigit() is true but int('²') fails; int('١٢') is 12; the widget holds at most
    100 000 (it fell back to 1): such a `?what_if_places=` is ignored like any stray value."""
    at = visit(published, monkeypatch, page="movement", lang="en", region=AKMOLA, locality=QOSSHY,
               what_if_places=typed)  # visit() asserts that no exception stopped the page
    assert at.number_input(key="movement:what_if_places").value == 100
    assert at.query_params["what_if_places"] == "100"
    assert "100 more places for children born in 2016, Қосшы" in plain(texts(at))


@pytest.mark.parametrize("home", ["published", "demo"])
def test_weekly_queue_length_is_the_engines_state_at_every_week_end(request, home):
    """The set-based weekly count equals engine.numbering's state (rule Q2) at each week's end."""
    import duckdb

    from dashboard import queries
    from engine import numbering
    from engine.store import current

    with duckdb.connect(str(current(request.getfixturevalue(home)).path), read_only=True) as con:
        day = dt.date.fromisoformat(queries.meta(con)["as_of"])
        weekly = queries.queue_length_by_week(con, day, weeks=None)
        weeks = sorted({w.date() for w in weekly["week"]})
        for monday in weeks[:: max(1, len(weeks) // 8)] + weeks[-3:]:  # spread over the years, and the end
            end = min(monday + dt.timedelta(days=6), day)
            params = {"until": numbering.end_of_day(end), "region": None, "locality": None, "birth_year": None}
            expected = dict(con.execute(
                f"SELECT birth_year, count(*) FROM ({numbering.sql('state_at')}) "
                "WHERE status IN ('queued', 'notified', 'referred', 'stop_list') GROUP BY birth_year",
                params).fetchall())
            got = weekly[weekly["week"].dt.date == monday]
            assert dict(zip(got["birth_year"], got["children"])) == expected, monday


# --- a kindergarten's card ------------------------------------------------------------------------------

CARD_NAME = {"kk": "№36 «Балапан» балабақшасы", "ru": "Детский сад №36 «Балапан»", "en": "№36 «Балапан» балабақшасы"}
PRESSURE = {  # Astana's queues against the places all Astana's kindergartens announced
    "kk": ["2016 жылы туғандар, Астана: **3** жарияланған орынға **6** бала күтуде — бір орынға **2,0** бала.",
           "2015 жылы туғандар, Астана: **1 240** жарияланған орынға **2** бала күтуде — бір орынға **0,0** бала.",
           "2014 жылы туғандар, Астана: **2 233** жарияланған орынға **0** бала күтуде — бір орынға **0,0** бала."],
    "ru": ["2016 год рождения, Астана: в очереди **6** детей, объявлено мест — **3**, то есть **2,0** ребёнка на место.",
           "2015 год рождения, Астана: в очереди **2** ребёнка, объявлено мест — **1 240**, то есть **0,0** ребёнка на место.",
           "2014 год рождения, Астана: в очереди **0** детей, объявлено мест — **2 233**, то есть **0,0** ребёнка на место."],
    "en": ["Born in 2016, Астана: **6** children wait; places announced: **3** — **2.0** per place.",
           "Born in 2015, Астана: **2** children wait; places announced: **1,240** — **0.0** per place.",
           "Born in 2014, Астана: **0** children wait; places announced: **2,233** — **0.0** per place."],
}


@pytest.mark.parametrize("lang", LANGS)
def test_kindergarten_card_from_a_shared_link(published, monkeypatch, downloads, lang):
    at = visit(published, monkeypatch, page="kindergartens", lang=lang, kg="K1")
    assert at.selectbox(key="kg").value == "K1" and at.query_params["kg"] == "K1"
    assert at.subheader[0].value == CARD_NAME[lang]
    groups, bulletins, pressure, register = (at.dataframe[i].value for i in range(4))
    # enrolled is text: a small count in a group for special needs would read "<5" (engine/disclosure.py)
    assert list(zip(groups["group_id"], groups["birth_year"], groups["capacity"], groups["enrolled"])) == [
        ("G1", 2016, 25, "24"), ("G2", 2015, 30, "30")]
    assert set(groups["program"]) == {"Біртұтас тәрбие"}
    assert bulletins["bulletin_id"].tolist() == ["B1", "B3", "B8", "B9"]  # oldest first
    assert bulletins["seats"].tolist() == [1000, 2000, 2, 1]
    assert list(zip(pressure["birth_year"], pressure["children"], pressure["seats"], pressure["seats_here"])) == [
        (2016, 6, 3, 3), (2015, 2, 1240, 1000), (2014, 0, 2233, 2000)]
    page = texts(at).replace(NBSP, " ")
    for line in PRESSURE[lang]:
        assert line in page
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert sum(sum(values(trace["y"])) for trace in bars) == 3003  # every place of its bulletins
    assert len(register) == 6  # the register is still below
    bulletins = read_csv(offered(downloads, "bulletins_k1")[1])
    assert bulletins[i18n.t("column.bulletin_id", lang)].tolist() == ["B1", "B3", "B8", "B9"]
    assert read_csv(offered(downloads, "queue_pressure_k1")[1])[i18n.t("column.children", lang)].tolist() == ["6", "2", "0"]


def test_kindergarten_card_of_one_with_no_groups_nor_bulletins(published, monkeypatch):
    at = visit(published, monkeypatch, page="kindergartens", lang="en", kg="K5")
    captions = [c.value for c in at.caption]
    assert "This publication lists no groups of this kindergarten." in captions
    assert "This kindergarten announced no places in this publication." in captions
    assert "This kindergarten has no groups or bulletins to compare with the queue." in captions


def test_kindergarten_card_of_another_settlement_compares_with_its_own_queue(published, monkeypatch):
    at = visit(published, monkeypatch, page="kindergartens", lang="ru", kg="K6", district="Есиль")
    assert at.subheader[0].value == "Ясли-сад «Балдырган»"  # stays open although filtered out …
    assert set(at.dataframe[-1].value["kindergarten_id"]) == {"K3", "K4"}  # … of the register below
    assert (f"2016 год рождения, {QOSSHY}, {AKMOLA}: в очереди **3** ребёнка, объявлено мест — **2**, "
            "то есть **1,5** ребёнка на место.") in texts(at).replace(NBSP, " ")


def test_kindergarten_card_chosen_on_the_page_goes_into_the_url(published, monkeypatch):
    at = visit(published, monkeypatch, page="kindergartens", lang="en", kg="K404")  # unknown: ignored
    assert not at.subheader and "kg" not in at.query_params
    at.selectbox(key="kg").select("K2").run()
    assert at.subheader[0].value == "№42 «Бәйшешек» бөбекжай-бақшасы"
    assert at.query_params["kg"] == "K2"


# --- about the data ---------------------------------------------------------------------------------------

RULES = {"kk": "Кезек қалай нөмірленеді", "ru": "Как нумеруется очередь", "en": "How the queue is numbered"}


@pytest.mark.parametrize("lang", LANGS)
def test_about_names_the_sources_with_checksums_the_rules_and_how_to_reuse(story, monkeypatch, downloads, lang):
    home, folder = story
    at = visit(home, monkeypatch, page="about", lang=lang)
    page = plain(texts(at))
    for value in ("Kezek test", "Астана қаласының білім басқармасы", "CC-BY-4.0", d("2018-08-01", lang)):
        assert value in page
    assert RULES[lang] in [s.value for s in at.subheader]
    from engine import rules, ruleset

    for rule in rules.RULES.values():  # the methodology lists every rule of the catalogue, in the page's language
        assert f"**{rule.id}. {rule.title[lang]}.**" in page
    assert len(rules.RULES) == 18
    # every rule id the audit uses (its SQL, the lawful routes) is the catalogue's and is on the page,
    # and every kind of finding is named there: under the rule it tests, or as a fact no rule states
    from engine.audit import FINDING_TYPES, LEGITIMATE_CHANNELS

    used = set(LEGITIMATE_CHANNELS.values()).union(*(rules.cited_ids(path.read_text(encoding="utf-8"))
                                                     for path in (ROOT / "engine" / "audit" / "sql").glob("*.sql")))
    assert {"A1", "A9", "E1", "E4", "Q3"} <= used <= set(rules.RULES)
    assert [r for r in sorted(used) if f"**{r}. " not in page] == []
    assert [f for f in FINDING_TYPES if i18n.t(f"finding.{f}", lang) not in page] == []
    assert "bilim.astana.kz/en/archives/49434" in page  # Q3's source
    # the folder published from, by its name: never the server's path to it
    assert f"`{folder.name}`" in page and str(folder.parent) not in page
    rules, files = (frame.value for frame in at.dataframe)
    # the dated parameters of the rules the publication applied on 01.08.2018 (its audit_rules),
    # per region, with their sources
    assert "astana-2017" in page
    assert set(rules["region"]) == {"Астана", "Ақмола облысы"}
    ratio = rules[rules["region"] == "Астана"].set_index("parameter").loc["ratio_general"]
    assert (ratio["value"], ratio["unit"], ratio["rules"]) == ("3", i18n.t("unit.application", lang), "Q3, A7")
    assert not {u for u in rules["unit"] if "_" in u}  # every unit in words (working_day: "рабочий день")
    from dashboard.views import about

    assert {u for spec in ruleset.parameter_specs().values() for u in spec.units} <= set(about.UNIT)
    # the source by its title in the page's language (engine/rulesets/sources.toml)
    faq = ruleset.source_catalog()["https://bilim.astana.kz/en/archives/49434"].title
    assert ratio["source"] == faq[lang] and (lang == "en" or faq[lang] != faq["en"])
    assert set(rules[rules["region"] == "Ақмола облысы"]["ruleset"]) == {"kz-2019"}  # the earliest national rules: none in force yet
    # each parameter by its name, its value and the words it is taken from, in the page's language:
    # a named value in words, a note in the ruleset's own words for that language (note.kk, note.ru, note.en)
    acmola = rules[rules["region"] == "Ақмола облысы"].set_index("parameter")
    assert acmola.loc["on_window_missed", "value"] == i18n.t("ruleset_value.stop_list", lang)
    assert acmola.loc["interest_deadline", "value"] == {"kk": "1 қазан", "ru": "1 октября", "en": "1 October"}[lang]
    assert rules[rules["region"] == "Астана"].set_index("parameter").loc["interest_deadline", "value"] == \
        i18n.t("ruleset_value.none", lang)
    codes = {c for spec in ruleset.parameter_specs().values() for c in spec.choices} | {"none", "None", "nan", "10-01"}
    assert not codes & set(rules["value"])
    kz = ruleset.get("kz-2019").value("choice_window", dt.date(2018, 8, 1)).note
    assert acmola.loc["choice_window", "note"] == kz[lang] and len(set(kz.values())) == 3
    assert rules["note"].astype(bool).sum() >= 30  # all but the three values no words are quoted for
    if lang != "en":
        from test_browser_phone import english

        assert english([*rules["name"], *rules["note"], *rules["value"]], set()) == set()
    assert acmola.loc["choice_window", "name"] == ruleset.parameter_specs()["choice_window"].title[lang]
    assert len(read_csv(offered(downloads, "ruleset_astana_2017_kz_2019")[1])) == len(rules)
    files = files.set_index("file")
    for path in sorted(folder.glob("*.csv")):  # the checksum of each file read
        assert files.loc[path.name, "sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert files.loc[path.name, "rows"] == sum(1 for _ in path.open(encoding="utf-8")) - 1
    assert len(read_csv(offered(downloads, "sources")[1])) == 5
    code = "\n".join(c.value for c in at.code)
    assert "kezek export --out DIR" in code and "/api/v1/applications/{number}" in code
    assert "/api/v1/openapi.json" in code


# --- open data ------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_data_dictionary_describes_every_column_in_the_pages_language(story, monkeypatch, lang):
    from engine.resources import RESOURCES

    home, _ = story
    at = visit(home, monkeypatch, page="open_data", lang=lang, table="findings")
    columns = next(frame.value for frame in at.dataframe if "description" in frame.value.columns)
    meant = dict(zip(columns["column"], columns["description"]))
    findings = RESOURCES["findings"]
    assert list(meant) == list(findings.column_names)
    for name, text in meant.items():  # the catalog's words, never the English ones
        assert text == i18n.t(findings.description_key(name), lang) != i18n.t(findings.description_key(name), "en")
    for resource in RESOURCES.values():  # and every other table's, which the page shows the same way
        for name in resource.column_names:
            assert i18n.t(resource.description_key(name), lang) != i18n.t(resource.description_key(name), "en"), name


# --- why the number moved (lookup) -------------------------------------------------------------

MOVED = "УО.2018.000032.1"  # Қосшы, born 2016: number 3, then 2 on 01.08 when УО.2018.000030.1 was enrolled


@pytest.mark.parametrize("lang", LANGS)
def test_lookup_explains_why_the_number_changed(published, monkeypatch, downloads, lang):
    from dashboard.components import causes as history

    at = visit(published, monkeypatch, page="lookup", lang=lang, app=MOVED)
    assert i18n.t("history.title", lang) in [h.value for h in at.subheader]
    why = i18n.t("history.why", lang, day=d("2018-08-01", lang), before=n(3, lang), after=n(2, lang),
                 causes=history.cause_words("enrolled", -1, lang))
    infos = [plain(i.value) for i in at.info]
    # The change explained, then (two weeks of allocations in these data) why there is no forecast.
    too_short = plain(i18n.tn("forecast.too_little_history", 2, lang, needed=20))
    assert infos[-2:] == [plain(why), too_short]
    assert i18n.t("cause.enrolled", lang) in why and ("1" in why)
    table = at.dataframe[-1].value
    assert table[["date", "queue_number", "change"]].values.tolist() == [[d("2018-08-01", lang), 2, -1]]
    chart = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert chart["data"][0]["line"]["shape"] == "hv"  # the number holds until it changes
    x, y = chart["layout"]["xaxis"], chart["layout"]["yaxis"]
    assert x["tickmode"] == "array" and x["ticktext"] == [d("2018-06-01", lang), d("2018-08-01", lang)]  # each day once
    assert len(x["tickvals"]) == 2
    assert (y["tickformat"], y["dtick"]) == (",d", 1)  # 2 and 3, never 2, 2, 3, 3
    history = read_csv(offered(downloads, "queue_number_history")[1])
    rows = history.to_dict("records")
    date, number, change = (i18n.t(f"column.{c}", lang) for c in ("date", "queue_number", "change"))
    assert [(r[date], r[number], r[change]) for r in rows] == [("2018-06-01", "3", "0"), ("2018-08-01", "2", "-1")]
    assert rows[-1][f"{change}: {i18n.t('cause.enrolled', lang)}"] == "-1"  # the cause, in words


def test_lookup_of_a_number_that_never_moved_says_so(published, monkeypatch):
    at = visit(published, monkeypatch, page="lookup", lang="en", app="УО.2018.000031.1")
    assert i18n.t("history.unchanged", "en") in [c.value for c in at.caption]
