"""What a parent meets on a phone, in Chromium (the server and browser of test_browser.py):
the number box first, every page by a labelled link, not a word of English in Kazakh or
Russian, and how old the data are."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

import i18n
from conftest import run_kezek, serve
from test_browser import WAIT, browser, server  # noqa: F401 (fixtures)
from test_dashboard import KNOWN, dataset

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
# Every page, with what makes it show its content (a lookup's answer, a queue around a number).
PAGES = {"overview": "", "lookup": f"app={KNOWN}", "queue": f"number={KNOWN}", "movement": "",
         "kindergartens": "", "vacancies": "", "audit": "", "districts": "months=all", "open-data": "", "about": ""}
# Words that are the same in every language: names, formats, units, the switch's "English".
# The methodology cites two news outlets by the names they publish under in every language.
ALLOWED = {"Kezek", "CSV", "Excel", "Parquet", "JSON", "API", "ZIP", "UTC", "UTF", "SHA", "English", "Data", "Package",
           "Frictionless", "GET", "XLSX", "JSONL", "ETag", "OpenAPI", "hive", "Streamlit", "Sputnik", "Tengrinews"}
# The open-data format's own names, which the Open data page lists as they are in the files:
# its tables and the Frictionless types of their fields.
FORMAT = {"kindergartens", "groups", "vacancies", "applications", "events", "positions", "queue", "findings",
          "choices", "region", "locality", "privilege", "status", "string", "integer", "number", "datetime",
          "date", "boolean"}
# What a person reads: visible text outside code (commands, addresses, column names are code)
# and the labels a screen reader says. Icons are ligatures hidden from screen readers.
READ = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('[aria-hidden="true"], script, style, noscript, code, pre')) continue;
    if (n.textContent.trim()) out.push(n.textContent.trim());
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
    if (el.closest('[aria-hidden="true"]')) continue;
    for (const a of ['aria-label', 'title', 'placeholder', 'alt'])
      if (el.getAttribute(a) && el.getAttribute(a).trim()) out.push(el.getAttribute(a).trim());
  }
  return out;
}"""
TECHNICAL = re.compile(r"[\w.-]+\.(csv|json|zip|parquet)\b"  # file names
                       r"|\b[a-z]+(_[a-z0-9]+)+\b"  # column and table names of the open-data format
                       r"|https?://\S+|/[\w/{}.-]+|\b[a-z0-9-]+(\.[a-z0-9-]+)*\.kz\b"  # addresses, sites
                       r"|\b\d{8}T\d{6}-[0-9a-f]+\b|\b[0-9a-f]{16,}\b"  # snapshot ids, checksums
                       r"|\b[a-z]+-\d{4}\b"  # rulesets (astana-2017)
                       r"|\b\w+(/\w+)+\.\w+\b"  # the code's files (engine/sql/numbering.sql)
                       r"|\b\w+=")  # a partition's key (region=…)


def settle(tab) -> None:
    """Streamlit has run the page, and the script that translates its own words has run."""
    tab.locator("h1").first.wait_for(timeout=WAIT)
    tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                          " && !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=WAIT)
    tab.wait_for_timeout(1500)  # the data grid and the charts draw after the script has run


def english(texts: list[str], data: set[str]) -> set[str]:
    """English words of `texts`, leaving out the data's own words (the publisher's title and
    licence), file and column names, addresses, rule ids (Q3, A3) and the allowed words."""
    found = set()
    for text in texts:
        for value in data:
            text = text.replace(value, " ")
        text = TECHNICAL.sub(" ", text)
        if text.strip() in FORMAT:  # a cell that names a table, a field or a type
            continue
        found |= {w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED}
    return found


@pytest.fixture
def phone(browser):  # noqa: F811
    context = browser.new_context(viewport=PHONE)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_english_on_any_page_in_kazakh_and_russian(server, phone, name, lang, tmp_path_factory):  # noqa: F811
    phone.goto(f"{server}/{'' if name == 'overview' else name}?lang={lang}&{PAGES[name]}")
    settle(phone)
    texts = phone.evaluate(READ)
    assert english(texts, {"Kezek test", "CC-BY-4.0"}) == set(), name
    # No path of the server: neither the folder the data were published from nor the code's.
    html = phone.content()
    for path in (tmp_path_factory.getbasetemp(), Path(__file__).resolve().parents[1]):
        assert str(path) not in html, name
    body = phone.inner_text("body")
    assert "1 more" not in body and "Press Enter" not in body
    # How old the data are, in words, on every page ("обновлено 2 минуты назад")
    assert re.search({"kk": r"жаңартылды", "ru": r"обновлено"}[lang], body)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_no_english_in_the_menu(server, phone, lang):  # noqa: F811
    phone.goto(f"{server}/vacancies?lang={lang}")
    settle(phone)
    phone.get_by_role("button", name=i18n.t("chrome.menu", lang)).click()
    menu = phone.locator('[data-testid="stMainMenuPopover"]').first
    menu.wait_for(timeout=WAIT)
    phone.wait_for_timeout(500)  # the translating script runs as the menu appears
    assert i18n.t("chrome.print", lang) in menu.inner_text()
    assert english(phone.evaluate(READ), {"Kezek test", "CC-BY-4.0"}) == set()


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_landing_page_on_a_phone_starts_with_the_number_box(server, phone, lang):  # noqa: F811
    phone.goto(f"{server}/?lang={lang}")
    settle(phone)
    box = phone.get_by_role("textbox", name=i18n.t("lookup.number_label", lang))
    title = phone.get_by_role("heading", name=i18n.t("overview.title", lang))
    where, below = box.bounding_box(), title.bounding_box()
    assert where["y"] + where["height"] < PHONE["height"]  # on the first screen, without scrolling
    assert where["y"] < below["y"]  # before the statistics
    assert phone.locator("input").first.get_attribute("aria-label") == i18n.t("lookup.number_label", lang)
    box.fill("uo.2018.000024.1")  # as a parent might type it
    box.press("Enter")
    phone.wait_for_function("() => location.pathname.endsWith('/lookup')", timeout=WAIT)
    sentence = i18n.t("lookup.position", lang, queue_number="5", segment_size="6", birth_year=2016, place="Астана")
    phone.get_by_text(sentence).wait_for(timeout=WAIT)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_page_is_a_labelled_link_on_every_page(server, phone, lang):  # noqa: F811
    from dashboard import app

    phone.goto(f"{server}/lookup?lang={lang}")
    settle(phone)
    titles = [i18n.t(key, lang) for key in ("overview.nav", "lookup.nav", "queue.nav", "movement.nav",
                                            "kindergartens.nav", "vacancies.nav", "audit.nav", "open_data.nav",
                                            "about.nav")]
    pages = phone.locator(f".st-key-{app.PAGES_ANCHOR}")
    for title in titles:
        link = pages.get_by_role("link", name=title, exact=True)
        assert link.count() == 1, title
        assert link.get_attribute("href")
    # On a phone the list comes after the page, and a link at the top leads to it.
    phone.get_by_role("link", name=i18n.t("nav.to_pages", lang)).click()
    pages.get_by_role("link", name=titles[-1], exact=True).click()
    phone.get_by_role("heading", name=i18n.t("about.title", lang)).wait_for(timeout=WAIT)
    assert f"lang={lang}" in phone.url


@pytest.fixture(scope="module")
def stale_server(tmp_path_factory):
    """A server for which the data are stale as soon as they are published."""
    root = tmp_path_factory.mktemp("stale")
    home = root / "home"
    run_kezek("update", "--source", str(dataset(root / "ds")), home=home, check=True)
    before = os.environ.get("KEZEK_STALE_AFTER_DAYS")
    os.environ["KEZEK_STALE_AFTER_DAYS"] = "0.00001"  # a second
    try:
        yield from serve(home)
    finally:
        if before is None:
            del os.environ["KEZEK_STALE_AFTER_DAYS"]
        else:
            os.environ["KEZEK_STALE_AFTER_DAYS"] = before


@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("name", ["overview", "lookup", "vacancies"])
def test_old_data_are_said_in_a_warning(stale_server, phone, name, lang):
    phone.goto(f"{stale_server}/{'' if name == 'overview' else name}?lang={lang}")
    settle(phone)
    start = i18n.t("freshness.stale", lang, when="\x00").split("\x00")[0]
    warning = phone.get_by_role("alert").filter(has_text=start)
    warning.wait_for(timeout=WAIT)
    assert warning.is_visible()
