"""End to end: `kezek serve` on a free loopback port, Debian's Chromium driven by Playwright.

The dataset is the hand-computable one of test_dashboard.py (published by `kezek update`).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import urllib.parse
import urllib.request

import pytest

from conftest import run_kezek, serve
from engine.rules import RULES
from test_dashboard import AKMOLA, KNOWN, QOSSHY, dataset

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
WAIT = 30_000  # ms: a cold Streamlit session on a slow CI machine


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    home = root / "home"
    run_kezek("update", "--source", str(dataset(root / "ds")), home=home, check=True)
    yield from serve(home)


@pytest.fixture(scope="module")
def almaty_server(demo_home):
    """The Almaty demo: a year of allocations, enough history for forecasts."""
    home = demo_home("almaty")
    for url in serve(home):
        yield url, home


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def wait_for_rows(tab, present: str, absent: str) -> None:
    """Wait until the grids show a row with `present` and none with `absent` (redrawn)."""
    tab.wait_for_function(
        """([present, absent]) => {
            const texts = [...document.querySelectorAll('[role=gridcell]')].map(c => c.innerText);
            return texts.includes(present) && !texts.includes(absent);
        }""", arg=[present, absent], timeout=WAIT)


def choose(tab, label: str, option: str) -> None:
    """Pick `option` in the select box `label`. A rerun that lands while the list is open
    (the expander just opened, the URL just changed) closes it again, and a list far down
    the page may not open on a click: type the option's text, which opens the list on it."""
    from playwright.sync_api import TimeoutError as Timeout

    box = tab.get_by_role("combobox", name=label)
    item = tab.get_by_role("option", name=option)
    for attempt in range(10):
        box.click()
        if attempt % 2:
            box.fill(option)
        try:
            item.wait_for(timeout=2_000)
            item.click(timeout=2_000)
        except Timeout:  # closed by a rerun, or not opened: again
            continue
        return
    raise AssertionError(f"the list {label!r} never showed {option!r}")


def cells(tab) -> list[str]:
    """The texts of the data grids' cells: the grid draws on a canvas and mirrors its cells in
    a table for screen readers, which Playwright's role queries treat as hidden."""
    return tab.eval_on_selector_all("[role=gridcell]", "cells => cells.map(c => c.innerText)")


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_lookup_link_shows_the_queue_number(server, browser, lang):
    from i18n import t

    tab = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    # Typed as a parent might: Latin look-alikes and lower case.
    tab.goto(f"{server}/lookup?app=uo.2018.000024.1&lang={lang}")
    sentence = t("lookup.position", lang, queue_number="5", segment_size="6", birth_year=2016, place="Астана")
    tab.get_by_text(sentence).wait_for(timeout=WAIT)
    tab.get_by_text(t("lookup.ahead_title", lang)).wait_for(timeout=WAIT)  # who is ahead, and why
    assert KNOWN in tab.inner_text("body")
    tab.close()


def test_unknown_number_says_so(server, page):
    page.goto(f"{server}/lookup?app=УО.2099.000001.1&lang=ru")
    page.get_by_text("не найден").first.wait_for(timeout=WAIT)
    assert "Traceback" not in page.inner_text("body")


def test_switching_language_on_the_landing_page(server, page):
    page.goto(f"{server}/?lang=kk")
    page.get_by_role("heading", name="Балабақша кезегі: басты көрсеткіштер").wait_for(timeout=WAIT)
    page.get_by_role("radio", name="Русский").click()  # the language switch
    page.get_by_role("heading", name="Очередь в детские сады: главное").wait_for(timeout=WAIT)
    page.get_by_role("link", name="Детские сады").first.wait_for(timeout=WAIT)  # the navigation too
    page.wait_for_function("() => location.search.includes('lang=ru')", timeout=WAIT)
    assert query(page.url)["lang"] == "ru"


def test_filtering_the_register_changes_the_rows_and_the_link(server, page):
    page.goto(f"{server}/kindergartens?lang=en")
    page.get_by_text("Kindergartens found: 6").wait_for(timeout=WAIT)
    page.get_by_text("Filters").first.click()
    choose(page, "District", "Есиль")
    page.get_by_text("Kindergartens found: 2").wait_for(timeout=WAIT)
    page.wait_for_function("() => location.search.includes('district=')", timeout=WAIT)
    assert query(page.url)["district"] == "Есиль"
    wait_for_rows(page, present="Частный детский сад «Чирок»", absent="«Айгөлек» шағын орталығы")
    shown = cells(page)
    assert "Ясли-сад №43 «Кызгалдак»" not in shown  # English visitors read the Kazakh name …
    assert "№43 «Қызғалдақ» бөбекжай-бақшасы" in shown and "Частный детский сад «Чирок»" in shown
    assert "№36 «Балапан» балабақшасы" not in shown
    page.get_by_text("Only those that announced places").click()  # both announced some: still 2
    page.wait_for_function("() => location.search.includes('has_vacancies=1')", timeout=WAIT)
    page.get_by_text("Kindergartens found: 2").wait_for(timeout=WAIT)
    # The link keeps the view: opened afresh, it shows the same rows.
    page.goto(page.url)
    page.get_by_text("Kindergartens found: 2").wait_for(timeout=WAIT)


def test_downloading_for_excel_what_the_page_shows(server, page):
    """A Russian reader's filtered table: a file Excel opens right (';', BOM), named with the
    filter, the language and the data's day, with Russian column names."""
    import pandas as pd

    page.goto(f"{server}/vacancies?lang=ru&district=Есиль")
    buttons = page.get_by_role("button", name="Скачать для Excel")
    buttons.first.wait_for(timeout=WAIT)
    offered = {}
    for button in buttons.all():  # one per table of the page
        with page.expect_download(timeout=WAIT) as info:
            button.click()
        offered[info.value.suggested_filename] = info.value
    download = offered["vacancies_by_birth_year_district-esil_ru_2018-08-01_excel.csv"]
    data = open(download.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", sep=";")
    assert list(table.columns) == ["Год рождения", "Свободные места", "Бюллетени", "Детские сады"]
    assert dict(zip(table["Год рождения"], table["Свободные места"])) == {2014: 233}


def test_public_queue_searched_by_number(server, page):
    page.goto(f"{server}/queue?lang=ru")
    page.get_by_role("heading", name="Список очереди").wait_for(timeout=WAIT)
    page.get_by_text("из 6 в очереди детей 2016 года рождения, Астана").wait_for(timeout=WAIT)
    search = page.get_by_role("textbox", name="Найти номер заявления")
    search.fill("uo.2018.000032.1")
    search.press("Enter")
    page.get_by_text("номер 2 в своей очереди").wait_for(timeout=WAIT)
    page.wait_for_function("() => location.search.includes('number=')", timeout=WAIT)
    params = query(page.url)
    assert (params["number"], params["region"], params["locality"], params["birth_year"]) == (
        "uo.2018.000032.1", AKMOLA, QOSSHY, "2016")
    wait_for_rows(page, present="УО.2018.000032.1", absent="УО.2018.000024.1")
    shown = cells(page)
    assert shown[:6] == ["1", "УО.2018.000031.1", "20.03.2018 10:00:00", "Первоочередное", "Выдано направление", "1"]
    assert "УО.2018.000032.1" in shown and "УО.2018.000024.1" not in shown  # Qosshy's queue, not Astana's
    # The shared link opens the same queue at the same place.
    page.goto(page.url)
    page.get_by_text("номер 2 в своей очереди").wait_for(timeout=WAIT)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_audit_page_opens_a_finding_to_its_evidence(server, page, lang):
    import i18n
    from dashboard.views import audit

    with urllib.request.urlopen(f"{server}/api/v1/findings?type=early_free_choice", timeout=10) as r:
        finding = json.load(r)["items"][0]  # the free-choice referral of the dataset made too early (A3)
    page.goto(f"{server}/audit?lang={lang}")
    page.get_by_role("heading", name=i18n.t("audit.title", lang)).wait_for(timeout=WAIT)
    label = f"№{finding['finding_id']} · {audit.type_label('early_free_choice', lang)} · {finding['application_number']}"
    choose(page, i18n.t("audit.open", lang), label)
    page.get_by_role("paragraph").filter(has_text=finding["explanation"][lang]).wait_for(timeout=WAIT)
    page.get_by_text(RULES["A3"].text[lang]).wait_for(timeout=WAIT)
    page.wait_for_function("() => location.search.includes('finding=')", timeout=WAIT)
    assert query(page.url)["finding"] == str(finding["finding_id"])
    # the evidence by its labels in the page's language, never a key or a birth date
    wait_for_rows(page, present=i18n.t("evidence.window_closes_at", lang), absent="birth_date")
    cells = page.locator("[role=gridcell]").all_inner_texts()
    assert "window_closes_at" not in cells and not any(c.startswith("{") for c in cells)
    page.get_by_text(i18n.t("audit.lookup_link", lang, number=finding["application_number"])).click()
    page.wait_for_function("() => location.pathname.endsWith('/lookup')", timeout=WAIT)
    assert query(page.url)["app"] == finding["application_number"]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_lookup_shows_why_the_number_moved(server, page, lang):
    import i18n
    from dashboard.components import causes as history

    page.goto(f"{server}/lookup?app=УО.2018.000032.1&lang={lang}")
    page.get_by_role("heading", name=i18n.t("history.title", lang)).wait_for(timeout=WAIT)
    day = "2018-08-01" if lang == "en" else "01.08.2018"
    why = i18n.t("history.why", lang, day=day, before="3", after="2", causes=history.cause_words("enrolled", -1, lang))
    page.get_by_text(why).wait_for(timeout=WAIT)
    page.locator(".js-plotly-plot").first.wait_for(timeout=WAIT)  # the chart of the number, drawn


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_lookup_shows_the_forecast_range(almaty_server, page, lang):
    import duckdb

    import i18n
    from engine import forecast

    url, home = almaty_server
    (snapshot,) = (home / "snapshots").glob("*.duckdb")
    with duckdb.connect(str(snapshot), read_only=True) as con:
        (number,) = con.execute("""SELECT application_number FROM queue
                                   WHERE birth_year = 2016 AND status = 'queued' AND privilege = 'none'
                                   ORDER BY queue_number LIMIT 1 OFFSET 1500""").fetchone()
        expected = forecast.forecast(con, number)
    page.goto(f"{url}/lookup?app={number}&lang={lang}")
    page.get_by_role("heading", name=i18n.t("forecast.title", lang)).wait_for(timeout=WAIT)
    page.get_by_role("heading", name=i18n.t("history.title", lang)).wait_for(timeout=WAIT)
    page.locator(".js-plotly-plot").first.wait_for(timeout=WAIT)  # the history chart, drawn
    # the forecast's last part, drawn after the chart (on a busy machine, a while after)
    page.get_by_text(i18n.t("forecast.assumptions", lang)).first.wait_for(timeout=WAIT)
    body = page.inner_text("body")
    for key in ("p10", "p50", "p90"):  # the range as the visitor's language writes dates
        assert i18n.date(expected[key], lang) in body
    assert i18n.t("forecast.assumptions", lang) in body
    assert i18n.tn("forecast.waiting", expected["waiting_ahead"], lang) in body


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_light_page_shows_the_number_with_javascript_off(server, browser, lang):
    """/n/{number} on a phone whose browser runs no JavaScript: the number and what it means
    are on the page as served, in the language asked for; its language links work too."""
    from i18n import t

    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    tab = context.new_page()
    tab.goto(f"{server}/n/uo.2018.000024.1?lang={lang}")  # typed as a parent might
    body = tab.inner_text("body")
    assert KNOWN in body
    assert t("lookup.position", lang, queue_number="5", segment_size="6", birth_year=2016, place="Астана") in body
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    other = "ru" if lang == "kk" else "kk"
    tab.get_by_role("link", name={"kk": "Қазақша", "ru": "Русский"}[other]).click()
    assert t("lookup.position", other, queue_number="5", segment_size="6", birth_year=2016,
             place="Астана") in tab.inner_text("body")
    context.close()
