"""The dashboard as visitors see it, in Kazakh, Russian and English.

Every page is rendered with Streamlit's AppTest against a snapshot published by the real
pipeline (`kezek update`) from a small dataset whose numbers can be checked by hand;
/healthz is asked of a real server process.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import application, kindergarten, run_kezek, vacancy, write_dataset
import i18n
from dashboard import labels
from engine import schema

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
LANGS = ("kk", "ru", "en")
# Every page of the navigation, so that a new page is in every test that walks them all.
PAGES = tuple(re.findall(r'st\.Page\("views/(\w+)\.py"', APP.read_text(encoding="utf-8")))
NBSP = "\u00a0"

# --- the dataset --------------------------------------------------------------------------
# Published as of the end of 2018-08-01 (a Wednesday). Two queues hold children born in 2016
# (rules Q1–Q4: the extraordinary first, then first-priority and general interleaved 1 : 3).
#
# Астана (region = locality), born 2016:
#   1 УО.2018.000010.1 extraordinary  notified 23.07 (B8)      (privileged 1)
#   2 УО.2018.000011.1 first          notified 23.07 (B8)      (privileged 2)
#   3 УО.2018.000012.1 none
#   4 УО.2018.000013.1 none
#   5 УО.2018.000024.1 none           registered 31.07 17:29:09
#   6 УО.2018.000025.1 first          registered 31.07 18:00   (privileged 3)
#   – УО.2018.000014.1 free-choice referral 27.07 (B8), enrolled 30.07: no number
# Астана, born 2015: УО.2017.000001.1, УО.2017.000002.1 (queued since March 2017).
# Ақмола облысы, locality Қосшы, born 2016:
#   1 УО.2018.000031.1 first   notified 16.07 (B7), referral 01.08   (privileged 1)
#   2 УО.2018.000032.1 none
#   3 УО.2018.000033.1 none    registered 28.07
#   – УО.2018.000030.1 notified 16.07, referral 17.07, enrolled 01.08: no number
#
# Per week (Monday): new applications, notifications, referrals, enrolments; queue at the end
#   16.07: 0, 2, 1, 0; born 2016: 5 + 3 = 8
#   23.07: 1, 2, 1, 0; born 2016: 5 + 4 = 9   (14 referred, 33 registered)
#   30.07: 2, 0, 1, 2; born 2016: 6 + 3 = 9   (at the end of 01.08, the publication's day)
# Places announced: in August 2018 1 (B9), in 2018 1 345 (B6 1 340, B7 2, B8 2, B9 1).
KNOWN = "УО.2018.000024.1"
AKMOLA, QOSSHY = "Ақмола облысы", "Қосшы"


def dataset(folder: Path) -> Path:
    def child(number, registered_at, privilege="none", status="queued", born="2016-03-01", **kw):
        return application(number, registered_at, privilege, status, birth_date=born, **kw)

    def qosshy(number, registered_at, privilege="none", status="queued", **kw):
        return child(number, registered_at, privilege, status, region=AKMOLA, locality=QOSSHY, **kw)

    def event(number, at, what, **kw):
        return {"application_number": number, "at": at, "event": what, **kw}

    applications = [
        child("УО.2018.000010.1", "2018-01-10 10:00", "extraordinary", "notified",
              privilege_category="military"),
        child("УО.2018.000011.1", "2018-02-01 10:00", "first", "notified", privilege_category="large_family"),
        child("УО.2018.000012.1", "2018-03-01 10:00"),
        child("УО.2018.000013.1", "2018-04-01 10:00"),
        child("УО.2018.000014.1", "2018-05-01 10:00", status="enrolled"),
        child("УО.2018.000024.1", "2018-07-31 17:29:09"),
        child("УО.2018.000025.1", "2018-07-31 18:00:00", "first", privilege_category="disabled_parent"),
        child("УО.2017.000001.1", "2017-03-01 10:00", born="2015-05-05"),
        child("УО.2017.000002.1", "2017-03-02 10:00", born="2015-06-06"),
        qosshy("УО.2018.000030.1", "2018-02-15 10:00", status="enrolled"),
        qosshy("УО.2018.000031.1", "2018-03-20 10:00", "first", "referred", privilege_category="orphan"),
        qosshy("УО.2018.000032.1", "2018-06-01 10:00"),
        qosshy("УО.2018.000033.1", "2018-07-28 12:00"),
    ]
    events = [event(a["application_number"], a["registered_at"], "registered", privilege=a["privilege"])
              for a in applications]
    events += [
        event("УО.2018.000030.1", "2018-07-16 09:10", "notified", bulletin_id="B7"),
        event("УО.2018.000031.1", "2018-07-16 09:10", "notified", bulletin_id="B7"),
        event("УО.2018.000030.1", "2018-07-17 10:00", "referral_issued", bulletin_id="B7",
              kindergarten_id="K6", channel="priority"),
        event("УО.2018.000010.1", "2018-07-23 09:05", "notified", bulletin_id="B8"),
        event("УО.2018.000011.1", "2018-07-23 09:05", "notified", bulletin_id="B8"),
        event("УО.2018.000014.1", "2018-07-27 11:00", "referral_issued", bulletin_id="B8",
              kindergarten_id="K1", channel="free_choice"),
        event("УО.2018.000014.1", "2018-07-30 10:00", "enrolled", kindergarten_id="K1"),
        event("УО.2018.000031.1", "2018-08-01 10:00", "referral_issued", bulletin_id="B7",
              kindergarten_id="K6", channel="priority"),
        event("УО.2018.000030.1", "2018-08-01 11:00", "enrolled", kindergarten_id="K6"),
    ]
    return write_dataset(
        folder,
        {
            "kindergartens": [
                kindergarten("K1", name_kk="№36 «Балапан» балабақшасы", name_ru="Детский сад №36 «Балапан»",
                             district="Сарыарка", languages="kk", latitude=51.183, longitude=71.402,
                             address="Сейфуллин көшесі, 10", capacity=240, phone="+7 7172 00 00 01"),
                kindergarten("K2", name_kk="№42 «Бәйшешек» бөбекжай-бақшасы", name_ru="Ясли-сад №42 «Бәйшешек»",
                             district="Алматы", languages="kk|ru", latitude=51.150, longitude=71.470,
                             address="Абай даңғылы, 5", capacity=320),
                kindergarten("K3", name_kk="№43 «Қызғалдақ» бөбекжай-бақшасы", name_ru="Ясли-сад №43 «Кызгалдак»",
                             district="Есиль", languages="kk", ownership="private_state_order",
                             latitude=51.128, longitude=71.430, capacity=90),
                kindergarten("K4", name_kk=None, name_ru="Частный детский сад «Чирок»", district="Есиль",
                             languages="ru", ownership="private", latitude=51.110, longitude=71.415,
                             capacity=60),
                kindergarten("K5", name_kk="«Айгөлек» шағын орталығы", name_ru="Мини-центр «Айгөлек»",
                             district="Байконур", languages="kk|ru", ownership="mini_centre", capacity=25),
                kindergarten("K6", name_kk="«Балдырған» бөбекжай-бақшасы", name_ru="Ясли-сад «Балдырган»",
                             region=AKMOLA, locality=QOSSHY, district="Целиноград ауданы",
                             languages="kk|ru", latitude=51.030, longitude=71.460, capacity=120),
            ],
            "groups": [
                {"kindergarten_id": "K1", "group_id": "G1", "name": "«Құлыншақ» кіші тобы", "birth_year": 2016,
                 "language": "kk", "capacity": 25, "enrolled": 24, "program": "Біртұтас тәрбие"},
                {"kindergarten_id": "K1", "group_id": "G2", "name": "«Ботақан» ортаңғы тобы", "birth_year": 2015,
                 "language": "kk", "capacity": 30, "enrolled": 30, "program": "Біртұтас тәрбие"},
                {"kindergarten_id": "K2", "group_id": "G1", "name": "Ересек топ", "birth_year": 2013,
                 "language": "ru", "capacity": 28, "enrolled": 20, "program": None},
            ],
            "vacancies": [  # 2015: 1 240, 2014: 2 233, 2013: 1 340 places (the 2017 bulletin)
                vacancy("B1", "K1", birth_year=2015, seats=1000, announced_at="2017-04-10 09:00"),
                vacancy("B2", "K2", birth_year=2015, seats=240, announced_at="2017-04-10 09:00"),
                vacancy("B3", "K1", birth_year=2014, seats=2000, announced_at="2017-04-12 09:00"),
                vacancy("B4", "K3", birth_year=2014, seats=200, announced_at="2017-04-12 09:00"),
                vacancy("B5", "K4", birth_year=2014, seats=33, announced_at="2017-04-12 09:00", language="ru"),
                vacancy("B6", "K2", birth_year=2013, seats=1340, announced_at="2018-07-20 09:00"),
                vacancy("B7", "K6", birth_year=2016, seats=2, announced_at="2018-07-16 09:00", language="ru"),
                vacancy("B8", "K1", birth_year=2016, seats=2, announced_at="2018-07-23 09:00", group_id="G1"),
                vacancy("B9", "K1", birth_year=2016, seats=1, announced_at="2018-08-01 09:00", group_id="G1"),
            ],
            "applications": applications,
            "events": events,
        },
        metadata={"title": "Kezek test", "publisher": "Астана қаласының білім басқармасы",
                  "region": "Астана", "exported_at": "2018-08-01T20:00", "license": "CC-BY-4.0"},
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A home with one snapshot published by `kezek update`."""
    base = tmp_path_factory.mktemp("dashboard")
    home = base / "home"
    run_kezek("update", "--source", str(dataset(base / "dataset")), home=home, check=True)
    return home


@pytest.fixture
def empty_home(tmp_path) -> Path:
    home = tmp_path / "empty"
    home.mkdir()
    return home


def visit(home: Path, monkeypatch, page: str | None = None, lang: str | None = "kk", **params) -> AppTest:
    """Open the dashboard like a browser would: `?lang=…&…`, then go to `page`."""
    monkeypatch.setenv("KEZEK_HOME", str(home))
    at = AppTest.from_file(str(APP), default_timeout=60)
    if lang:
        at.query_params["lang"] = lang
    at.query_params.update(params)
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def values(array) -> list:
    """A Plotly array from a chart's JSON: a list, or a typed array {dtype, bdata}."""
    if isinstance(array, dict) and "bdata" in array:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def texts(at: AppTest) -> str:
    """Everything written on the page, as one string."""
    parts = []
    for kind in ("title", "markdown", "caption", "info", "success", "warning", "error", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


# --- lookup -------------------------------------------------------------------------------

POSITION = {
    "kk": "Балаңыз Астана бойынша 2016 жылы туған балалар кезегінде 5 нөмірмен тұр; кезекте барлығы 6 бала.",
    "ru": "Ваш ребёнок — номер 5 из 6 в очереди детей 2016 года рождения, Астана.",
    "en": "Your child is number 5 of 6 in the queue of children born in 2016 in Астана.",
}
QUEUE_NUMBER = {"kk": "Кезек нөмірі", "ru": "Номер очереди", "en": "Queue number"}
PRIVILEGED = {"kk": "Жеңілдік санаты бойынша кезек нөмірі", "ru": "Номер очереди по льготной категории",
              "en": "Number by privileged category"}


@pytest.mark.parametrize("lang", LANGS)
def test_lookup_from_a_shared_link_shows_the_queue_number(published, monkeypatch, lang):
    at = visit(published, monkeypatch, page="lookup", lang=lang, app=KNOWN)
    assert at.text_input(key="app").value == KNOWN
    number = at.metric[0]
    assert (number.label, number.value) == (QUEUE_NUMBER[lang], "5")
    assert [s.value for s in at.success] == [POSITION[lang]]
    privileged = {m.label: m.value for m in at.metric}[PRIVILEGED[lang]]
    assert privileged == "—"  # not privileged: the portal's 0, shown as a dash
    assert ("01.08.2018" if lang != "en" else "2018-08-01") in texts(at)


@pytest.mark.parametrize("lang", LANGS)
def test_lookup_typed_in_any_case_and_latin_letters_and_kept_in_the_url(published, monkeypatch, lang):
    at = visit(published, monkeypatch, page="lookup", lang=lang)
    assert not at.metric  # nothing asked yet
    at.text_input(key="app").input(" uo.2018.000025.1 ")
    at.button[0].click().run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[QUEUE_NUMBER[lang]] == "6"
    assert metrics[PRIVILEGED[lang]] == "3"
    assert at.query_params["app"] == "uo.2018.000025.1"
    assert at.query_params["lang"] == lang


NOT_FOUND = {"kk": "табылмады", "ru": "не найдено", "en": "No application with this number"}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("number", ["УО.2099.000001.1", "1' OR '1'='1", "<b>x</b>", "9" * 200])
def test_lookup_unknown_or_malformed_number_is_kindly_not_found(published, monkeypatch, lang, number):
    at = visit(published, monkeypatch, page="lookup", lang=lang, app=number)
    assert not at.metric and not at.success
    assert len(at.info) == 1
    message = at.info[0].value
    assert NOT_FOUND[lang] in message
    assert ("01.08.2018" if lang != "en" else "2018-08-01") in message


def test_lookup_of_an_enrolled_child_says_there_is_no_number(published, monkeypatch):
    at = visit(published, monkeypatch, page="lookup", lang="ru", app="УО.2018.000014.1")
    assert not at.metric
    # where and since when, in plain words (dashboard/components/status_panel.py)
    said = [s.value for s in at.success]
    assert len(said) == 1 and said[0].startswith("Статус: Зачислен, с 30.07.2018 10:00.")
    assert "Ваш ребёнок зачислен: Детский сад №36 «Балапан». Заявление вышло из очереди (правило A8)." in said[0]
    # nobody is "ahead" of a child who has no place; how its number moved until then is shown
    assert [h.value for h in at.subheader] == [i18n.t("history.title", "ru")]


AHEAD = {  # rule Q3: E first, then P, G, G, G …
    "kk": "Осы кезекте балаңыздың алдында: кезектен тыс құқығы барлар — **{e}**, "
          "бірінші кезектегі құқығы барлар — **{p}**, жеңілдіксіз — **{g}**.",
    "ru": "Впереди вашего ребёнка в этой очереди: с внеочередным правом — **{e}**, "
          "с первоочередным правом — **{p}**, без льготы — **{g}**.",
    "en": "Ahead of your child in this queue: with an extraordinary right — **{e}**, "
          "with a first-priority right — **{p}**, without a privilege — **{g}**.",
}
RULE = {"kk": "Q3 ережесі", "ru": "правило Q3", "en": "rule Q3"}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("number", "e", "p", "g"), [(KNOWN, 1, 1, 2), ("УО.2018.000025.1", 1, 1, 3),
                                                     ("УО.2018.000033.1", 0, 1, 1)])
def test_lookup_says_who_is_ahead_and_the_rule_that_puts_them_there(published, monkeypatch, lang,
                                                                    number, e, p, g):
    at = visit(published, monkeypatch, page="lookup", lang=lang, app=number)
    assert AHEAD[lang].format(e=e, p=p, g=g) in [m.value for m in at.markdown]
    rule = at.info[0].value
    assert RULE[lang] in rule and "1" in rule and "3" in rule  # one first-priority to three general
    # … and a link to the child's row in the public queue (besides the list of every page)
    (link,) = [e.proto for e in at.get("page_link") if e.proto.label == i18n.t("lookup.see_list", lang)]
    assert link.page == "queue"
    query = dict(urllib.parse.parse_qsl(link.query_string))
    assert query["number"] == number and query["page"] == "1" and query["lang"] == lang


def test_lookup_of_the_first_in_line_says_nobody_is_ahead(published, monkeypatch):
    at = visit(published, monkeypatch, page="lookup", lang="en", app="УО.2017.000001.1")  # first of those born in 2015
    assert "Nobody is ahead of your child: first place in this queue." in [m.value for m in at.markdown]


def test_lookup_of_a_notified_child_says_what_the_offer_means_not_who_is_ahead(published, monkeypatch):
    """УО.2018.000010.1 is first in its queue but notified (B8, 23.07): it waits for no offer."""
    at = visit(published, monkeypatch, page="lookup", lang="en", app="УО.2018.000010.1")
    assert not at.metric and "Nobody is ahead of your child: first place in this queue." not in texts(at)
    assert [s.value for s in at.success][0].startswith("Status: Notified of a place, since 2018-07-23")


def test_an_old_link_to_the_root_with_a_number_still_opens_the_lookup(published, monkeypatch):
    at = visit(published, monkeypatch, lang="ru", app=KNOWN)  # /?app=… when the lookup was the root
    assert at.title[0].value == "Проверьте место в очереди"
    assert at.metric[0].value == "5"


# --- language -----------------------------------------------------------------------------

TITLE = {"kk": "Кезектегі орныңызды тексеріңіз", "ru": "Проверьте место в очереди",
         "en": "Check your place in the queue"}
HOME = {"kk": "Балабақша кезегі: басты көрсеткіштер", "ru": "Очередь в детские сады: главное",
        "en": "The kindergarten queue at a glance"}  # the overview, at the root


@pytest.mark.parametrize(("locale", "expected"), [("ru-RU", "ru"), ("en-GB", "en"), ("kk-KZ", "kk"),
                                                  ("de-DE", "kk"), (None, "kk")])
def test_language_comes_from_the_browser_when_the_url_has_none(published, monkeypatch, locale, expected):
    monkeypatch.setenv("KEZEK_HOME", str(published))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.context["locale"] = locale
    at.run()
    assert at.title[0].value == HOME[expected]
    assert at.query_params["lang"] == expected


def test_the_url_language_wins_over_the_browser(published, monkeypatch):
    monkeypatch.setenv("KEZEK_HOME", str(published))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.context["locale"] = "ru-RU"
    at.query_params["lang"] = "en"
    at.run()
    assert at.title[0].value == HOME["en"]


def test_switching_language_redraws_the_page_and_keeps_it_in_the_url(published, monkeypatch):
    at = visit(published, monkeypatch, page="lookup", lang="kk", app=KNOWN)
    at.button_group(key="lang").set_value("ru").run()
    assert at.title[0].value == TITLE["ru"]
    assert at.success[0].value == POSITION["ru"]
    assert at.query_params["lang"] == "ru"
    assert at.query_params["app"] == KNOWN


# --- kindergartens ------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("params", "expected_ids"),
    [
        ({}, {"K1", "K2", "K3", "K4", "K5", "K6"}),
        ({"district": "Есиль"}, {"K3", "K4"}),
        ({"language": "ru"}, {"K2", "K4", "K5", "K6"}),
        ({"ownership": "state"}, {"K1", "K2", "K6"}),
        ({"region": AKMOLA}, {"K6"}),
        ({"locality": QOSSHY}, {"K6"}),
        ({"region": "Астана", "ownership": "state"}, {"K1", "K2"}),
        ({"has_vacancies": "1"}, {"K1", "K2", "K3", "K4", "K6"}),  # K5 announced no places
        ({"has_vacancies": "1", "district": "Байконур"}, set()),
        ({"district": "Есиль", "ownership": "private"}, {"K4"}),
        ({"q": "балапан"}, {"K1"}),  # any case
        ({"q": "Кызгалдак"}, {"K3"}),  # the Russian name
        ({"q": "ҚЫЗҒАЛДАҚ"}, {"K3"}),  # the Kazakh name, Kazakh letters in upper case
        ({"q": "Чирок"}, {"K4"}),  # a kindergarten with no Kazakh name
        ({"district": "Нигде"}, {"K1", "K2", "K3", "K4", "K5", "K6"}),  # an unknown value is ignored
        ({"q": "%"}, set()),  # no wildcard: nothing is named like that
    ],
)
def test_register_filters_from_the_url(published, monkeypatch, lang, params, expected_ids):
    at = visit(published, monkeypatch, page="kindergartens", lang=lang, **params)
    if expected_ids:
        shown = at.dataframe[0].value
        assert len(shown) == len(expected_ids)
        assert set(shown["kindergarten_id"]) == expected_ids
    else:
        assert not at.dataframe
    count = {"kk": "Табылған балабақшалар: **{n}**", "ru": "Найдено детских садов: **{n}**",
             "en": "Kindergartens found: **{n}**"}[lang].format(n=len(expected_ids))
    assert count in [m.value for m in at.markdown]
    for key, value in params.items():  # a shared link keeps what it asked for …
        if value != "Нигде":
            assert at.query_params[key] == value
    assert "district" not in at.query_params or params.get("district") != "Нигде"  # … but not nonsense


def test_register_names_and_codes_are_in_the_visitors_language(published, monkeypatch):
    at = visit(published, monkeypatch, page="kindergartens", lang="ru", district="Есиль")
    shown = at.dataframe[0].value.set_index("kindergarten_id")
    assert shown.loc["K3", "name"] == "Ясли-сад №43 «Кызгалдак»"
    assert shown.loc["K3", "ownership"] == "Частный с госзаказом"
    assert shown.loc["K4", "languages"] == "русский"
    at = visit(published, monkeypatch, page="kindergartens", lang="kk", district="Есиль")
    shown = at.dataframe[0].value.set_index("kindergarten_id")
    assert shown.loc["K3", "name"] == "№43 «Қызғалдақ» бөбекжай-бақшасы"
    assert shown.loc["K4", "name"] == "Частный детский сад «Чирок»"  # no Kazakh name: the Russian one
    assert shown.loc["K3", "ownership"] == "Жекеменшік, мемлекеттік тапсырыспен"


def test_register_search_typed_on_the_page_goes_into_the_url(published, monkeypatch):
    at = visit(published, monkeypatch, page="kindergartens", lang="en")
    at.text_input(key="q").input("бәйшешек").run()
    assert list(at.dataframe[0].value["kindergarten_id"]) == ["K2"]
    assert at.query_params["q"] == "бәйшешек"
    at.selectbox(key="language").select("ru").run()
    assert at.query_params["language"] == "ru"
    at.text_input(key="q").input("").run()
    assert "q" not in at.query_params
    assert set(at.dataframe[0].value["kindergarten_id"]) == {"K2", "K4", "K5", "K6"}


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[str, bytes]]:
    """(file name, content) of every file a page offers for download."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    offered = []
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if filename:
            offered.append((filename, path_or_data))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return offered


def offered(downloads: list[tuple[str, bytes]], table: str) -> tuple[str, bytes]:
    """(file name, bytes) of the CSV a page offered for `table` (the last drawn); its file
    for Excel must be offered beside it with the same rows (dashboard/downloads.py)."""
    import io

    import pandas as pd

    plain = [(name, data) for name, data in downloads if name.startswith(f"{table}_") and not name.endswith("_excel.csv")]
    assert plain, sorted({name for name, _ in downloads})
    name, data = plain[-1]
    assert re.fullmatch(r"[a-z0-9_-]+_(kk|ru|en)_\d{4}-\d{2}-\d{2}\.csv", name), name  # safe characters only
    twin = dict(downloads)[name.removesuffix(".csv") + "_excel.csv"]
    assert twin.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xef\xbb\xbf")  # a BOM for Excel only
    spreadsheet = pd.read_csv(io.BytesIO(twin), sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert spreadsheet.shape == read_csv(data).shape and list(spreadsheet.columns) == list(read_csv(data).columns)
    return name, data


def read_csv(data: bytes, lang: str | None = None, *names: str):
    """A CSV download's cells as text. With `lang` and `names`: its header row must be those
    columns' names in the language (the catalogs' column.*), and they name the columns."""
    import io

    import pandas as pd

    table = pd.read_csv(io.BytesIO(data), encoding="utf-8", dtype=str, keep_default_na=False)
    if names:
        from dashboard.downloads import column_label

        assert list(table.columns) == [column_label(name, lang) for name in names]
        table.columns = list(names)
    return table


def test_register_offers_the_rows_shown_as_csv(published, monkeypatch, downloads):
    at = visit(published, monkeypatch, page="kindergartens", lang="en", district="Есиль")
    assert [b.proto.label for b in at.get("download_button")] == ["Download CSV", "Download for Excel"]
    name, data = offered(downloads, "kindergartens")
    assert name == "kindergartens_district-esil_en_2018-08-01.csv"  # the filter and the data's day
    columns = list(schema.KINDERGARTENS.column_names)  # the open-data columns, named in English
    table = read_csv(data, "en", *columns)
    assert sorted(table["kindergarten_id"]) == ["K3", "K4"]
    assert set(table["ownership"]) == {"Private with state-funded places", "Private"}  # words, not codes


def test_downloads_speak_the_page_language_and_open_in_a_russian_excel(published, monkeypatch, downloads):
    """The register in Russian: a header row and words a Russian reader knows, a file for Excel
    with ';', a BOM and decimal commas, and the filter in both names."""
    visit(published, monkeypatch, page="kindergartens", lang="ru", language="kk")
    names = [name for name, _ in downloads if name.startswith("kindergartens_")]
    assert names[-2:] == ["kindergartens_language-kk_ru_2018-08-01.csv",
                          "kindergartens_language-kk_ru_2018-08-01_excel.csv"]
    plain, excel = (dict(downloads)[name].decode("utf-8-sig") for name in names[-2:])
    header = plain.splitlines()[0]
    assert header.startswith('"Код детского сада","Наименование на казахском языке","Наименование на русском языке",'
                             '"Регион","Район"')
    assert "Мини-центр" in plain and "mini_centre" not in plain
    assert excel.splitlines()[0] == header.replace('","', '";"')
    assert dict(downloads)[names[-1]].startswith("\ufeff".encode())
    assert "казахский, русский" in plain  # K5 teaches in kk|ru
    row = next(line for line in excel.splitlines() if line.startswith('"K1";')).split(";")
    latitude, longitude = row[header.split(",").index('"Широта"')], row[header.split(",").index('"Долгота"')]
    assert (latitude, longitude) == ('"51,183"', '"71,402"')  # a decimal comma, as Excel in Russian reads it


def test_register_map_shows_every_kindergarten_with_coordinates(published, monkeypatch):
    at = visit(published, monkeypatch, page="kindergartens", lang="en")
    at.session_state["kindergartens_tab"] = "Map"
    at.run()
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    figure = json.loads(charts[0].proto.spec)
    points = sum(len(values(trace["lat"])) for trace in figure["data"])
    assert points == 5  # K5 has no coordinates …
    assert all(trace["type"] == "scattermap" for trace in figure["data"])
    view = figure["layout"]["map"]
    assert view["style"] == "open-street-map"  # no token needed
    # Plotly would open at 0° N 0° E, far from Astana, unless told where to look.
    assert 51.03 < view["center"]["lat"] < 51.19 and 71.40 < view["center"]["lon"] < 71.47
    assert 9 <= view["zoom"] <= 15  # Astana and Qosshy, 20 km apart, both in sight
    assert "Not on the map (no coordinates): 1." in texts(at)  # … and the page says so


# --- vacancies ----------------------------------------------------------------------------

FOR_YEAR = {  # the table as the akimat published it (seed 000: "2015 жылы туған балалар үшін 1240 бос орын")
    "kk": ["2016 жылы туған балалар үшін: 5 бос орын", "2015 жылы туған балалар үшін: 1 240 бос орын",
           "2014 жылы туған балалар үшін: 2 233 бос орын", "2013 жылы туған балалар үшін: 1 340 бос орын",
           "Барлығы: 4 818 бос орын"],
    "ru": ["Свободных мест для детей 2016 года рождения: 5",
           "Свободных мест для детей 2015 года рождения: 1 240",
           "Свободных мест для детей 2014 года рождения: 2 233",
           "Свободных мест для детей 2013 года рождения: 1 340", "Всего 4 818 свободных мест"],
    "en": ["Places for children born in 2016: 5", "Places for children born in 2015: 1,240",
           "Places for children born in 2014: 2,233", "Places for children born in 2013: 1,340",
           "In all: 4,818 places"],
}


@pytest.mark.parametrize("lang", LANGS)
def test_vacancies_per_birth_year(published, monkeypatch, downloads, lang):
    at = visit(published, monkeypatch, page="vacancies", lang=lang)
    name, data = offered(downloads, "vacancies_by_birth_year")
    assert name == f"vacancies_by_birth_year_{lang}_2018-08-01.csv"
    assert read_csv(data, lang, "birth_year", "seats", "bulletins", "kindergartens").to_dict("records") == [
        {"birth_year": "2016", "seats": "5", "bulletins": "3", "kindergartens": "2"},
        {"birth_year": "2015", "seats": "1240", "bulletins": "2", "kindergartens": "2"},
        {"birth_year": "2014", "seats": "2233", "bulletins": "3", "kindergartens": "3"},
        {"birth_year": "2013", "seats": "1340", "bulletins": "1", "kindergartens": "1"},
    ]
    page = texts(at).replace(NBSP, " ")
    for line in FOR_YEAR[lang]:
        assert line in page
    assert at.metric[0].value.replace(NBSP, " ") == ("4,818" if lang == "en" else "4 818")
    table = at.dataframe[0].value
    assert dict(zip(table["birth_year"], table["seats"])) == {2016: 5, 2015: 1240, 2014: 2233, 2013: 1340}
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    bars = dict(zip(values(chart["data"][0]["x"]), values(chart["data"][0]["y"])))
    assert bars == {"2016": 5, "2015": 1240, "2014": 2233, "2013": 1340}
    assert {p.proto.alt for p in at.get("plotly_chart")} and all(p.proto.alt for p in at.get("plotly_chart"))


@pytest.mark.parametrize("lang", LANGS)
def test_vacancies_by_district_language_and_week(published, monkeypatch, downloads, lang):
    at = visit(published, monkeypatch, page="vacancies", lang=lang)
    by_district = read_csv(offered(downloads, "vacancies_by_district_and_language")[1], lang,
                           "district", "language", "birth_year", "seats", "bulletins")
    kk, ru = labels.language("kk", lang), labels.language("ru", lang)  # the language's words for the codes
    assert {(r["district"], r["language"], r["birth_year"]): r["seats"] for r in by_district.to_dict("records")} == {
        ("Алматы", kk, "2015"): "240", ("Алматы", kk, "2013"): "1340",
        ("Есиль", kk, "2014"): "200", ("Есиль", ru, "2014"): "33",
        ("Сарыарка", kk, "2016"): "3", ("Сарыарка", kk, "2015"): "1000", ("Сарыарка", kk, "2014"): "2000",
        ("Целиноград ауданы", ru, "2016"): "2",
    }
    # the table per district: a column per birth year and the total
    districts = at.dataframe[1].value.set_index("district")
    assert districts.loc["Сарыарка", ["2016", "2015", "2014", "total"]].tolist() == [3, 1000, 2000, 3003]
    assert districts.loc["Есиль", "total"] == 233
    languages = at.dataframe[2].value.set_index("language")
    russian = {"kk": "орыс", "ru": "русский", "en": "Russian"}[lang]
    assert languages.loc[russian, "total"] == 35
    weekly = read_csv(offered(downloads, "vacancies_by_week")[1], lang, "week", "birth_year", "seats", "bulletins")
    assert [(r["week"], r["birth_year"], r["seats"]) for r in weekly.to_dict("records")] == [
        ("2017-04-10", "2015", "1240"), ("2017-04-10", "2014", "2233"),
        ("2018-07-16", "2016", "2"), ("2018-07-16", "2013", "1340"),
        ("2018-07-23", "2016", "2"), ("2018-07-30", "2016", "1"),
    ]


@pytest.mark.parametrize(("params", "per_year"), [
    ({"district": "Есиль"}, {2014: 233}),
    ({"language": "ru"}, {2016: 2, 2014: 33}),
    ({"region": AKMOLA}, {2016: 2}),
    ({"district": "Нигде"}, {2016: 5, 2015: 1240, 2014: 2233, 2013: 1340}),  # ignored
])
def test_vacancies_filters_from_the_url(published, monkeypatch, params, per_year):
    at = visit(published, monkeypatch, page="vacancies", lang="en", **params)
    table = at.dataframe[0].value
    assert dict(zip(table["birth_year"], table["seats"])) == per_year
    for key, value in params.items():
        assert at.query_params.get(key) == (None if value == "Нигде" else value)


# --- no snapshot --------------------------------------------------------------------------

NO_DATA = {"kk": "Деректер әлі жарияланбаған", "ru": "Данные ещё не опубликованы", "en": "No data published yet"}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_page_explains_how_to_publish_when_nothing_is_published(empty_home, monkeypatch, lang, page):
    at = visit(empty_home, monkeypatch, page=page, lang=lang, app=KNOWN)
    assert [t.value for t in at.title] == [NO_DATA[lang]]
    assert "kezek update --source" in at.code[0].value
    assert not at.dataframe and not at.metric


def test_a_published_pointer_to_a_missing_file_is_no_snapshot_either(empty_home, monkeypatch):
    from engine.store import write_pointer

    write_pointer(empty_home, "gone", "2018-08-02T00:00:00")
    at = visit(empty_home, monkeypatch, lang="en")
    assert at.title[0].value == NO_DATA["en"]


# --- the demo data -------------------------------------------------------------------------

@pytest.fixture(scope="session")  # shared with test_dashboard_pages.py
def demo(demo_home) -> Path:
    return demo_home("astana-2017")  # `kezek update --source demo:astana-2017`, checked to exit 0


# The Astana akimat's spring 2017 campaign (seed 000): places per birth year.
ASTANA_2017 = {2015: 1240, 2014: 2233, 2013: 1340, 2012: 1111, 2011: 386}


@pytest.mark.parametrize("lang", LANGS)
def test_demo_vacancies_page_shows_the_published_2017_figures(demo, monkeypatch, lang):
    at = visit(demo, monkeypatch, page="vacancies", lang=lang)
    table = at.dataframe[0].value
    assert dict(zip(table["birth_year"], table["seats"])) == ASTANA_2017
    assert at.metric[0].value == i18n.number(6310, lang)
    page = texts(at)
    for year, seats in ASTANA_2017.items():
        assert i18n.t("vacancies.for_year", lang, birth_year=year, seats=i18n.number(seats, lang)) in page


@pytest.mark.parametrize("lang", LANGS)
def test_demo_data_on_every_page(demo, monkeypatch, lang):
    import duckdb

    from engine.store import current

    with duckdb.connect(str(current(demo).path), read_only=True) as con:
        number, queue_number, size = con.execute(
            "SELECT application_number, queue_number, segment_size FROM queue "
            "ORDER BY segment_size DESC, queue_number DESC, application_number LIMIT 1").fetchone()
        seats = con.execute("SELECT sum(seats) FROM vacancies").fetchone()[0]
        kindergartens = con.execute("SELECT count(*) FROM kindergartens").fetchone()[0]
        in_queue = con.execute("SELECT count(*) FROM queue").fetchone()[0]
        files = con.execute("SELECT count(*) FROM sources").fetchone()[0]
    at = visit(demo, monkeypatch, page="lookup", lang=lang, app=number)
    assert at.metric[0].value == i18n.number(queue_number, lang)
    assert i18n.number(size, lang) in at.success[0].value
    del at.query_params["app"]  # the navigation drops the page's own parameters
    at.switch_page("views/overview.py").run()
    assert not at.exception and at.metric[0].value == i18n.number(in_queue, lang)
    at.switch_page("views/kindergartens.py").run()
    assert not at.exception and len(at.dataframe[0].value) == kindergartens
    at.switch_page("views/vacancies.py").run()
    assert not at.exception and at.metric[0].value == i18n.number(seats, lang)
    at.switch_page("views/movement.py").run()
    latest = at.dataframe[0].value.iloc[0]  # the newest week first: the queue at the publication's day
    assert not at.exception and latest.drop("week").sum() == in_queue
    at.switch_page("views/about.py").run()
    assert not at.exception and len(at.dataframe[-1].value) == files


def test_demo_public_queue_jumps_to_the_page_of_a_number_and_pages_on(demo, monkeypatch):
    import duckdb

    from engine.store import current

    with duckdb.connect(str(current(demo).path), read_only=True) as con:
        number, birth_year, size = con.execute(
            "SELECT application_number, birth_year, segment_size FROM queue "
            "WHERE queue_number = 1234 ORDER BY segment_size DESC LIMIT 1").fetchone()
    at = visit(demo, monkeypatch, page="queue", lang="en", number=number.lower())
    rows = at.dataframe[0].value
    assert len(rows) == 50 and rows["queue_number"].iloc[0] == 1201  # page 25 of 50 rows each
    assert number in rows["application_number"].tolist()
    assert at.number_input(key="queue:page").value == 25
    assert (at.query_params["page"], at.query_params["birth_year"]) == ("25", str(birth_year))
    at.number_input(key="queue:page").set_value(26).run()  # paging away from the number sticks
    assert at.dataframe[0].value["queue_number"].iloc[0] == 1251
    assert at.query_params["page"] == "26"
    at.button(key="queue:next").click().run()  # the buttons under the table, for phones
    assert at.dataframe[0].value["queue_number"].iloc[0] == 1301 and at.query_params["page"] == "27"
    at.button(key="queue:previous").click().run()
    assert at.number_input(key="queue:page").value == 26
    last = -(-size // 50)
    at.number_input(key="queue:page").set_value(last).run()
    assert at.dataframe[0].value["queue_number"].iloc[-1] == size
    assert at.button(key="queue:next").disabled  # no page after the last
    other = next(y for y in at.selectbox(key="queue:birth_year").options if y != str(birth_year))
    at.selectbox(key="queue:birth_year").select(other).run()  # another queue starts at its first page
    assert at.dataframe[0].value["queue_number"].iloc[0] == 1
    assert "page" not in at.query_params


# --- catalogs -----------------------------------------------------------------------------

KEY_USE = re.compile(r"""\b(?:t|tn|N_)\(\s*["']([^"']+)["']""")
PLAIN_USE = re.compile(r"""\bt\(\s*["']([^"']+)["']""")
PLURAL_USE = re.compile(r"""\btn\(\s*["']([^"']+)["']""")
CODE = ("dashboard", "kezek")


def keys_in_code(pattern: re.Pattern) -> set[str]:
    found = set()
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def used_keys() -> set[str]:
    """Keys written in the code (given to t, tn or N_), and those the open-data package names
    for each published resource and column, its title and description (engine/resources.py)."""
    from engine.resources import RESOURCES

    found = keys_in_code(KEY_USE)
    for resource in RESOURCES.values():
        found |= {f"resource.{resource.name}", f"resource.{resource.name}_description"}
        found |= {f"column.{name}" for name in resource.column_names}
        found |= {resource.description_key(name) for name in resource.column_names}
    return found


def plural_keys(lang: str) -> set[str]:
    return {key for key, entry in i18n.catalog(lang).items() if isinstance(entry, dict)}


def test_every_language_has_every_key_and_no_other():
    keys = {lang: set(i18n.catalog(lang)) for lang in LANGS}
    for lang in LANGS:
        assert keys[lang] == keys["en"], (lang, keys[lang] ^ keys["en"])


def test_every_key_the_code_uses_exists_and_every_catalog_key_is_used():
    used, known = used_keys(), set(i18n.catalog("en"))
    assert used - known == set(), "used in code but missing from the catalogs"
    assert known - used == set(), "in the catalogs but used nowhere"


@pytest.mark.parametrize("lang", ("kk", "ru"))
def test_translations_have_the_same_placeholders_and_are_translated(lang):
    for key, english in i18n.catalog("en").items():
        entry = i18n.catalog(lang)[key]
        assert all(text.strip() for text in i18n.forms(entry)), (lang, key)
        assert i18n.placeholders(entry) == i18n.placeholders(english), (lang, key)


@pytest.mark.parametrize("lang", LANGS)
def test_every_plural_entry_has_the_forms_of_its_language(lang):
    """A plural entry has exactly the CLDR categories of the language's plural rule (ru: one,
    few, many, other; kk and en: one, other); every form writes the count `{n}` and has the
    same placeholders; a key is a plural entry in every catalog or in none."""
    assert plural_keys(lang) == plural_keys("en"), plural_keys(lang) ^ plural_keys("en")
    assert plural_keys(lang), "no plural entries"
    categories = i18n.plural_categories(lang)
    for key in plural_keys(lang):
        entry = i18n.catalog(lang)[key]
        assert set(entry) == categories, (lang, key, set(entry) ^ categories)
        for category, text in entry.items():
            assert text.strip() and "{n}" in text, (lang, key, category)
            assert i18n.placeholders(text) == i18n.placeholders(entry), (lang, key, category)


def test_the_code_asks_for_a_plural_entry_with_its_count_and_for_a_plain_text_without():
    plural = plural_keys("en")
    assert keys_in_code(PLAIN_USE) & plural == set(), "a plural entry asked for with t(): use tn(key, n, lang)"
    assert keys_in_code(PLURAL_USE) - plural == set(), "tn() asked for a text that has no plural forms"


def test_every_code_of_the_format_has_a_name():
    from engine.audit import FINDING_TYPES, LEGITIMATE_CHANNELS

    for codes, table in ((schema.STATUS, labels.STATUS), (schema.PRIVILEGE, labels.PRIVILEGE),
                         (schema.OWNERSHIP, labels.OWNERSHIP), (FINDING_TYPES, labels.FINDING_TYPE),
                         (LEGITIMATE_CHANNELS, labels.CHANNEL)):
        assert set(codes) <= set(table), set(codes) - set(table)


# --- the server ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture
def server():
    """Start `dashboard.server.serve(home, 127.0.0.1, port)` in its own process."""
    started = []

    def start(home: Path) -> str:
        port = free_port()
        code = "import sys; from dashboard.server import serve; serve(sys.argv[1], '127.0.0.1', int(sys.argv[2]))"
        proc = subprocess.Popen([sys.executable, "-c", code, str(home), str(port)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"server exited {proc.returncode}:\n{proc.stdout.read()}")
            try:
                get(base + "/_stcore/health")
                return base
            except OSError:
                time.sleep(0.2)
        raise AssertionError("server did not start")

    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_healthz_names_the_published_snapshot(published, server):
    base = server(published)
    status, headers, body = get(base + "/healthz")
    pointer = json.loads((published / "published.json").read_text(encoding="utf-8"))
    assert status == 200
    assert json.loads(body) == {"status": "ok", "snapshot": pointer["snapshot"],
                                "published_at": pointer["published_at"]}
    assert headers["Cache-Control"] == "no-store"
    status, _, page = get(base + "/")  # and the dashboard is served beside it
    assert status == 200 and b'<div id="root">' in page


def test_healthz_is_503_with_nothing_published(empty_home, server):
    status, _, body = get(server(empty_home) + "/healthz")
    assert status == 503
    assert json.loads(body) == {"status": "unavailable"}


def test_server_settings_are_those_of_a_public_site():
    code = (
        "import json; from streamlit import config; from dashboard.server import configure, SETTINGS;"
        "configure('127.0.0.1', 8599);"
        "print(json.dumps({k: config.get_option(k) for k in [*SETTINGS, 'server.port']}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    options = json.loads(done.stdout.strip().splitlines()[-1])
    assert options["client.showErrorDetails"] == "none"
    assert options["client.toolbarMode"] == "viewer"
    assert options["browser.gatherUsageStats"] is False
    assert options["server.fileWatcherType"] == "none"
    assert options["server.runOnSave"] is False
    assert options["server.headless"] is True
    assert options["server.maxUploadSize"] <= 1
    assert options["server.port"] == 8599


def test_dates_are_written_one_way_per_language_from_one_place():
    """A date is written as the language writes it (01.08.2018; 2018-08-01 in English) by
    i18n/__init__.py alone: no page keeps a copy of the pattern that could drift."""
    from i18n import date, date_pattern

    root = Path(__file__).resolve().parents[1] / "dashboard"
    copies = [p.name for p in root.rglob("*.py")
              if ("%d.%m.%Y" in p.read_text(encoding="utf-8") or "%Y-%m-%d\"" in p.read_text(encoding="utf-8"))]
    assert copies == []
    assert [date("2018-08-01", lang) for lang in ("kk", "ru", "en")] == ["01.08.2018", "01.08.2018", "2018-08-01"]
    assert date_pattern("ru") == "%d.%m.%Y" and date_pattern("en") == "%Y-%m-%d"
