"""Every status in plain words: the Lookup page, the lookup document's `status_detail` and the
command line, for one application in each status, in kk, ru and en.

The dataset is published as of the end of Friday 14.03.2025, when the ruleset kz-2024 holds
in Астана (choice_window 2 working days, then inactive; inactive restorable within 28
calendar days; referral_valid 5 working days; stop_list_duration 10 working days;
max_annulments 2). Kazakhstan's days off that matter: Monday 10.03.2025 (Women's Day of
Saturday 8 March, moved). The deadlines, counted by hand, each period starting the day after
the event (the audit's reading):

    notified  14.03 09:00          2 working days:  17.03, 18.03            -> end of 18.03
    referred  07.03 10:00 (K1)     5 working days:  11, 12, 13, 14, 17.03   -> end of 17.03
    stop_list 04.03 (annulled)    10 working days:  5, 6, 7, 11-14, 17-19.03 -> end of 19.03
    inactive  06.03 10:00         28 calendar days: 07.03 … 03.04           -> end of 03.04
    referred  25.02 10:00, extended 03.03: valid to the end of 04.03 (26-28.02, 3, 4.03),
              then 30 calendar days more                                -> end of 03.04
    enrolled  14.02.2025 11:00 in K2

Vilnius is covered by no ruleset: its stop-listed child is told no deadline is computed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import i18n
from conftest import application, kindergarten, run_kezek, vacancy, write_dataset
from dashboard import labels
from dashboard.api import models
from dashboard.components.causes import causes_words
from engine import store
from engine.history import history
from engine.lookup import lookup
from test_dashboard import texts, visit

LANGS = ("kk", "ru", "en")
AS_OF = "2025-03-14"


def number(i: int) -> str:
    return f"УО.2024.{i:06d}.1"


QUEUED, NOTIFIED, REFERRED, STOP_LIST, INACTIVE, ENROLLED, WITHDRAWN, REMOVED, AGED_OUT, LEFT, UNKNOWN, EXTENDED = (
    number(i) for i in range(1, 13))
STATUS = {QUEUED: "queued", NOTIFIED: "notified", REFERRED: "referred", STOP_LIST: "stop_list",
          INACTIVE: "inactive", ENROLLED: "enrolled", WITHDRAWN: "withdrawn", REMOVED: "removed",
          AGED_OUT: "aged_out", LEFT: "left", UNKNOWN: "stop_list", EXTENDED: "referred"}


def events() -> list[dict]:
    def e(n, at, event, **kw):
        return {"application_number": n, "at": at, "event": event, **kw}

    rows = [e(n, f"2024-06-{i:02d} 10:00", "registered", privilege="none")
            for i, n in enumerate(STATUS, start=3)]
    return rows + [
        e(NOTIFIED, "2025-03-14 09:00", "notified", bulletin_id="B2"),
        e(REFERRED, "2025-03-06 09:00", "notified", bulletin_id="B1"),
        e(REFERRED, "2025-03-07 10:00", "referral_issued", bulletin_id="B1", kindergarten_id="K1", channel="priority"),
        e(STOP_LIST, "2025-02-20 09:00", "notified", bulletin_id="B1"),
        e(STOP_LIST, "2025-02-21 10:00", "referral_issued", bulletin_id="B1", kindergarten_id="K1", channel="priority"),
        e(STOP_LIST, "2025-03-04 10:00", "referral_annulled"),
        e(INACTIVE, "2025-03-03 09:00", "notified", bulletin_id="B1"),
        e(INACTIVE, "2025-03-06 10:00", "deactivated"),
        e(ENROLLED, "2025-02-10 09:00", "notified", bulletin_id="B1"),
        e(ENROLLED, "2025-02-11 10:00", "referral_issued", bulletin_id="B1", kindergarten_id="K2", channel="priority"),
        e(ENROLLED, "2025-02-14 11:00", "enrolled", kindergarten_id="K2"),
        e(WITHDRAWN, "2025-01-20 12:00", "withdrawn"),
        e(REMOVED, "2025-02-03 12:00", "removed"),
        e(AGED_OUT, "2024-09-01 00:00", "aged_out"),
        e(LEFT, "2025-03-12 02:10", "left"),
        e(UNKNOWN, "2025-03-10 12:00", "stop_listed"),
        e(EXTENDED, "2025-02-24 09:00", "notified", bulletin_id="B1"),
        e(EXTENDED, "2025-02-25 10:00", "referral_issued", bulletin_id="B1", kindergarten_id="K1", channel="priority"),
        e(EXTENDED, "2025-03-03 10:00", "referral_extended"),
    ]


def applications() -> list[dict]:
    rows = []
    for i, (n, status) in enumerate(STATUS.items(), start=3):
        row = application(n, f"2024-06-{i:02d} 10:00", status=status, birth_date="2021-05-05")
        if n == AGED_OUT:
            row["birth_date"] = "2018-05-05"
        if n == UNKNOWN:
            row["region"] = "Vilnius"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    folder = write_dataset(tmp_path_factory.mktemp("statuses") / "data", {
        "kindergartens": [kindergarten("K1", name_kk="Балапан", name_ru="Балапанчик"),
                          kindergarten("K2", name_kk="Айгөлек", name_ru="Айгуль")],
        "vacancies": [vacancy("B1", "K1", announced_at="2025-02-01 09:00", birth_year=2021, seats=5),
                      vacancy("B2", "K2", announced_at="2025-03-14 08:00", birth_year=2021, seats=1)],
        "applications": applications(),
        "events": events(),
    }, metadata={"exported_at": AS_OF})
    home = folder.parent / "home"
    run_kezek("update", "--source", str(folder), home=home, check=True)
    return home


@pytest.fixture(scope="module")
def con(home):
    con = store.open_snapshot(store.current(home).path)
    yield con
    con.close()


def detail(con, n: str) -> dict:
    doc = lookup(con, n)
    assert doc["status"] == STATUS[n]
    return doc["status_detail"]


# --- the lookup document's status_detail ---------------------------------------------------

def test_notified_has_the_choice_window_of_the_ruleset_in_force(con):
    d = detail(con, NOTIFIED)
    assert d["since"] == "2025-03-14T09:00:00" and d["event"] == "notified"
    assert (d["kindergarten_id"], d["name_kk"], d["name_ru"]) == ("K2", "Айгөлек", "Айгуль")  # the bulletin's
    assert d["until"] == "2025-03-19T00:00:00"  # end of 18.03: two working days after the 14th
    assert (d["rule"], d["ruleset"], d["parameter"], d["value"], d["unit"]) == (
        "A2", "kz-2024", "choice_window", 2, "working_day")
    assert d["on_window_missed"] == "inactive"


def test_referred_counts_working_days_past_a_holiday(con):
    d = detail(con, REFERRED)
    assert d["since"] == "2025-03-07T10:00:00" and d["kindergarten_id"] == "K1" and d["name_ru"] == "Балапанчик"
    assert d["until"] == "2025-03-18T00:00:00"  # end of 17.03: Monday 10.03 is a day off
    assert (d["rule"], d["parameter"], d["value"]) == ("A4", "referral_valid", 5)


def test_an_extended_referral_is_valid_30_calendar_days_more(con):
    d = detail(con, EXTENDED)
    assert d["since"] == "2025-02-25T10:00:00" and d["kindergarten_id"] == "K1"
    assert d["until"] == "2025-04-04T00:00:00"
    assert (d["rule"], d["parameter"], d["value"], d["unit"]) == ("A4", "extension_max", 30, "calendar_day")


def test_stop_list_names_rule_e3_and_its_end(con):
    d = detail(con, STOP_LIST)
    assert d["since"] == "2025-03-04T10:00:00" and d["event"] == "referral_annulled"
    assert d["until"] == "2025-03-20T00:00:00"  # end of 19.03
    assert (d["rule"], d["parameter"], d["value"]) == ("E3", "stop_list_duration", 10)
    assert (d["annulments"], d["max_annulments"]) == (1, 2)


def test_inactive_is_restorable_within_calendar_days(con):
    d = detail(con, INACTIVE)
    assert d["since"] == "2025-03-06T10:00:00" and d["event"] == "deactivated"
    assert d["until"] == "2025-04-04T00:00:00"  # end of 03.04: 28 calendar days after the 6th
    assert (d["parameter"], d["value"], d["unit"]) == ("inactive_restorable", 28, "calendar_day")


def test_enrolled_says_where_and_since_when(con):
    d = detail(con, ENROLLED)
    assert d["since"] == "2025-02-14T11:00:00" and d["kindergarten_id"] == "K2" and d["name_kk"] == "Айгөлек"
    assert d["until"] is None and d["rule"] == "A8"


@pytest.mark.parametrize("n, since", [(WITHDRAWN, "2025-01-20T12:00:00"), (REMOVED, "2025-02-03T12:00:00"),
                                      (AGED_OUT, "2024-09-01T00:00:00"), (LEFT, "2025-03-12T02:10:00")])
def test_other_statuses_say_since_when_and_no_deadline(con, n, since):
    d = detail(con, n)
    assert d["since"] == since and d["until"] is None and d["kindergarten_id"] is None


def test_a_queued_application_has_no_status_detail(con):
    """Its number and who is ahead say what waiting means (and a server answers it from memory)."""
    assert lookup(con, QUEUED)["status_detail"] is None


def test_no_deadline_where_the_rules_are_unknown(con):
    doc = lookup(con, UNKNOWN)
    assert doc["rules_unknown"] is True
    d = doc["status_detail"]
    assert d["since"] == "2025-03-10T12:00:00" and d["until"] is None and d["ruleset"] is None


def test_what_a_publication_keeps_of_each_status_is_what_its_events_say(con, demo_home):
    """The status facts kept in `lookups` at publication (sql/status_facts.sql, set-based) give
    the same status_detail as the application's own events read at the lookup: here for every
    status of this dataset, and for up to 25 applications of each status of the Astana demo."""
    from engine.lookup_index import STATUS_COLUMNS
    from engine.status_detail import status_detail

    astana = store.open_snapshot(store.current(demo_home("astana-2017")).path)
    compared = set()
    for c in (con, astana):
        snapshot = store.describe(c)
        assert snapshot.status_facts
        sample = c.execute(f"""
            SELECT application_number, {', '.join(STATUS_COLUMNS)} FROM lookups WHERE status <> 'queued'
            QUALIFY row_number() OVER (PARTITION BY status ORDER BY hash(application_number), application_number) <= 25
            ORDER BY application_number""").fetchall()
        for n, *kept in sample:
            doc = lookup(c, n, snapshot=snapshot)
            read = status_detail(c, doc, snapshot.as_of, snapshot)  # from the events
            assert doc["status_detail"] == read, n
            assert read["since"] is not None or doc["status"] == "left", n
            compared.add(doc["status"])
    astana.close()
    assert compared >= {"notified", "referred", "stop_list", "inactive", "enrolled", "withdrawn", "removed", "aged_out"}


def test_a_past_day_has_the_status_of_that_day(con):
    d = lookup(con, ENROLLED, dt.date(2025, 2, 12))["status_detail"]  # referred then, at K2
    assert (d["since"], d["kindergarten_id"], d["until"]) == ("2025-02-11T10:00:00", "K2", "2025-02-19T00:00:00")


# --- the Lookup page, every status in every language ---------------------------------------

def day(iso: str, lang: str) -> str:
    y, m, d = iso.split("-")
    return iso if lang == "en" else f"{d}.{m}.{y}"


# number → (what the parent must read, in every language: dates, kindergarten names)
MUST = {
    QUEUED: lambda lang: [],
    NOTIFIED: lambda lang: [day("2025-03-14", lang) + " 09:00", day("2025-03-18", lang),
                            "Айгөлек" if lang == "kk" else "Айгуль"],
    REFERRED: lambda lang: [day("2025-03-07", lang) + " 10:00", day("2025-03-17", lang),
                            "Балапан" if lang == "kk" else "Балапанчик"],
    STOP_LIST: lambda lang: [day("2025-03-04", lang) + " 10:00", day("2025-03-19", lang), "E3", "A4"],
    INACTIVE: lambda lang: [day("2025-03-06", lang) + " 10:00", day("2025-04-03", lang)],
    ENROLLED: lambda lang: [day("2025-02-14", lang) + " 11:00", "Айгөлек" if lang == "kk" else "Айгуль", "A8"],
    WITHDRAWN: lambda lang: [day("2025-01-20", lang) + " 12:00"],
    REMOVED: lambda lang: [day("2025-02-03", lang) + " 12:00"],
    AGED_OUT: lambda lang: [day("2024-09-01", lang) + " 00:00", "E2"],
    LEFT: lambda lang: [day("2025-03-12", lang) + " 02:10"],
    UNKNOWN: lambda lang: [day("2025-03-10", lang) + " 12:00", "Vilnius"],
    EXTENDED: lambda lang: [day("2025-02-25", lang) + " 10:00", day("2025-04-03", lang),
                            "Балапан" if lang == "kk" else "Балапанчик"],
}
# The words that say a child waits normally with a number, in each language (lookup.position).
WAITING_WORDS = {"kk": "нөмірмен тұр", "ru": "Ваш ребёнок — номер", "en": "Your child is number"}
# The words that say a deadline is Kezek's computation by the rules, not a published date.
COMPUTED = {"kk": "Мерзімді Kezek қолданыстағы ережелер", "ru": "Срок вычислен Kezek по действующим правилам",
            "en": "The deadline is computed by Kezek from the rules in force"}
# What a stop-listed child is told first, in each language (rule E3).
NO_OFFERS = {"kk": "Өтініш стоп-тізімде: ол кезектегі орнын сақтайды, бірақ орын ұсыныстарын алмайды (E3 ережесі).",
             "ru": "Заявление в стоп-листе: оно сохраняет место в очереди, но предложений места не получает (правило E3).",
             "en": "The application is on the stop-list: it keeps its place in the queue but gets no offers of a place "
                   "(rule E3)."}


def page(home, monkeypatch, n: str, lang: str):
    at = visit(home, monkeypatch, page="lookup", lang=lang, app=n)
    return at, texts(at)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("n", list(STATUS))
def test_every_status_in_plain_words(home, monkeypatch, n, lang):
    at, text = page(home, monkeypatch, n, lang)
    forecast = i18n.t("forecast.title", lang) in [h.value for h in at.subheader]
    assert labels.status(STATUS[n], lang) in text
    for words in MUST[n](lang):
        assert words in text, (n, lang, words)
    if n == QUEUED:  # the one waiting normally: its number, who is ahead, a forecast
        assert WAITING_WORDS[lang] in text and at.metric and forecast
        return
    # Nobody else is told a number as if waiting, and a deadline is said to be computed by rules.
    assert WAITING_WORDS[lang] not in text, (n, lang)
    assert not at.metric
    if STATUS[n] in ("notified", "referred", "stop_list", "inactive") and n != UNKNOWN:
        assert COMPUTED[lang] in text and "kz-2024" in text
    else:
        assert COMPUTED[lang] not in text
    if STATUS[n] == "stop_list":  # no offers, so no forecast of one either
        assert NO_OFFERS[lang] in text and not forecast


def test_the_english_words_of_each_status(home, monkeypatch):
    """The sentences themselves, in one language, as a parent reads them."""
    said = {n: page(home, monkeypatch, n, "en")[1] for n in (NOTIFIED, REFERRED, STOP_LIST, INACTIVE, ENROLLED, UNKNOWN, LEFT)}
    assert "A place is offered to your child: Детский сад K2" not in said[NOTIFIED]  # the published name, not a made-up one
    assert "A place is offered to your child: Айгуль." in said[NOTIFIED]
    assert "Answer by the end of 2025-03-18." in said[NOTIFIED]
    assert "If you do not answer by then, the application becomes inactive." in said[NOTIFIED]
    assert "kz-2024: 2 working days, rule A2" in said[NOTIFIED]
    assert "A referral has been issued for your child: Балапанчик." in said[REFERRED]
    assert "by the end of 2025-03-17" in said[REFERRED] and "kz-2024: 5 working days, rule A4" in said[REFERRED]
    assert "Status: Stop list, since 2025-03-04 10:00." in said[STOP_LIST]
    assert "gets no offers of a place (rule E3)" in said[STOP_LIST]
    assert "No offers until the end of 2025-03-19" in said[STOP_LIST]
    assert "Why: a referral was not used in time and was annulled (rule A4)." in said[STOP_LIST]
    assert "after 2 annulled referrals the application is removed from the queue (rule A4). Annulled so far: 1." in said[STOP_LIST]
    assert "Its number in the queue: 4 (rule Q2)." in said[STOP_LIST]  # behind the queued, notified and referred
    assert "It can be restored once, until the end of 2025-04-03." in said[INACTIVE]
    assert "28 calendar days" in said[INACTIVE]
    assert "Your child is enrolled: Айгуль. The application has left the queue (rule A8)." in said[ENROLLED]
    assert "Kezek computes no deadline here: the queue rules of Vilnius are not known to it." in said[UNKNOWN]
    assert "The list does not say why" in said[LEFT]


@pytest.mark.parametrize("lang", LANGS)
def test_the_history_is_summed_up_in_one_sentence(home, monkeypatch, lang):
    """The child who left the list entered its queue (Астана, born 2021) 9th, behind the eight
    registered before it; then one of them was withdrawn, one removed, one enrolled and one
    made inactive: it was 5th when it left."""
    _, text = page(home, monkeypatch, LEFT, lang)
    causes = causes_words({"withdrawn": -1, "removed": -1, "enrolled": -1, "deactivated": -1}, lang)
    assert i18n.t("history.summary", lang, first="9", last="5", causes=causes) in text
    assert i18n.tn("history.fewer", 1, lang, cause=i18n.t("cause.enrolled", lang)) in causes


# --- the command line ---------------------------------------------------------------------

def test_the_command_line_names_the_causes_as_the_page_does(home, con):
    """`kezek lookup --history`: the summary and each day's causes in the page's words, in the
    language asked for (default English); `--json` is the history document, unchanged."""
    english = run_kezek("lookup", LEFT, "--history", home=home, check=True).stdout.splitlines()
    assert english[0].startswith("Since registration the number went from 9 to 5: ")
    enrolled = [line for line in english if line.startswith("2025-02-14")]
    assert enrolled == ["2025-02-14  6  (-1: 1 fewer application ahead of you — children were enrolled in a kindergarten)"]
    assert not any("enrolled -1" in line or "withdrawn -1" in line for line in english)  # no engine keys
    russian = run_kezek("lookup", LEFT, "--history", "--lang", "ru", home=home, check=True).stdout
    assert i18n.t("cause.enrolled", "ru") in russian and "С регистрации номер изменился: 9 → 5." in russian
    done = run_kezek("lookup", LEFT, "--history", "--json", "--lang", "kk", home=home, check=True)
    assert json.loads(done.stdout) == history(con, LEFT)


def test_the_json_lookup_carries_status_detail_and_the_api_declares_it(home):
    doc = json.loads(run_kezek("lookup", STOP_LIST, "--json", home=home, check=True).stdout)
    assert doc["status_detail"]["until"] == "2025-03-20T00:00:00" and doc["status_detail"]["rule"] == "E3"
    assert models.Lookup.model_validate(doc).model_dump(mode="json")["status_detail"] == doc["status_detail"]


def test_the_api_answers_the_same_status_detail(home, con):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from dashboard import server

    api = TestClient(Starlette(routes=server.routes(home)))
    for n in (NOTIFIED, REFERRED, STOP_LIST, ENROLLED, QUEUED):
        answer = api.get(f"/api/v1/applications/{n}")
        assert answer.status_code == 200
        assert answer.json()["status_detail"] == lookup(con, n)["status_detail"], n


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("n", list(STATUS))
def test_every_status_in_plain_words_on_the_light_page(home, n, lang):
    """/n/{number}, the page a parent opens on a phone without JavaScript, says what the
    dashboard says: the same facts, and no "your child is number N" but for a child waiting."""
    from test_light_page import client_for, page_path, visible

    response = client_for(home).get(page_path(n, lang=lang))
    assert response.status_code == 200, response.text
    text = visible(response.text)
    assert labels.status(STATUS[n], lang) in text
    for words in MUST[n](lang):
        assert words in text, (n, lang, words)
    assert ('<p class="big">' in response.text) == (n == QUEUED), (n, lang)  # the big number: a child waiting
    if STATUS[n] == "stop_list":
        assert NO_OFFERS[lang] in text
