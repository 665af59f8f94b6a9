"""The light page `GET /n/{number}` (interfaces.md, "Additions of 2026-12"), asked of the
server's own Starlette routes over snapshots the real pipeline published: the Astana demo,
a small dataset published twice, and a day of Vilnius (rules unknown). What is checked is
what a parent reads: the page's visible text, in kk, ru and en."""

from __future__ import annotations

import datetime as dt
import html.parser
import urllib.parse
import warnings
from pathlib import Path

import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():  # Starlette would rather have httpx2; httpx is what we have
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

import i18n
from conftest import application, kindergarten, run_kezek, vacancy, write_dataset
from dashboard import background, labels, light_page, recent_history, server
from dashboard.lru import LRU
from engine import store
from engine.lookup import lookup
from i18n import t
from kezek.pipeline import update

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
ROOT = Path(__file__).resolve().parent.parent
LANGS = ("kk", "ru", "en")
MAX_BYTES = 50 * 1024


class Visible(html.parser.HTMLParser):
    """The text a reader sees: everything outside <head>, <style> and <script>, and the
    values of input boxes (the share link is one); and the addresses of the links."""

    INLINE = {"strong", "a", "span", "label", "b", "em"}

    def __init__(self):
        super().__init__()
        self.parts, self.hidden, self.links = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "script"):
            self.hidden += 1
        if tag == "input":
            self.parts.append(" " + (dict(attrs).get("value") or "") + " ")
        if tag == "a":
            self.links.append(dict(attrs)["href"])
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("head", "style", "script"):
            self.hidden -= 1
        if tag not in self.INLINE:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def read(body: str) -> Visible:
    parser = Visible()
    parser.feed(body)
    return parser


def visible(body: str) -> str:
    return " ".join("".join(read(body).parts).split())


def plain(text: str) -> str:
    """A catalog text as it reads on the page: its **bold** marks are markup, not text."""
    return " ".join(text.replace("**", "").split())


def client_for(home: Path) -> TestClient:
    return TestClient(Starlette(routes=server.routes(home)))


def page_path(number: str, **params) -> str:
    return f"/n/{urllib.parse.quote(number, safe='')}" + (f"?{urllib.parse.urlencode(params)}" if params else "")


# --- the Astana demo ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def astana(demo_home):
    home = demo_home("astana-2017")
    con = store.open_snapshot(store.current(home).path)
    # An application in the middle of the largest queue, waiting (a number and a forecast).
    number = con.execute("SELECT application_number FROM queue WHERE status = 'queued' "
                         "ORDER BY segment_size DESC, abs(queue_number - 100), application_number LIMIT 1").fetchone()[0]
    enrolled = con.execute("SELECT application_number FROM lookups WHERE status = 'enrolled' "
                           "ORDER BY application_number LIMIT 1").fetchone()[0]
    docs = {n: lookup(con, n, with_ahead=True) for n in (number, enrolled)}
    con.close()
    return client_for(home), number, enrolled, docs


@pytest.mark.parametrize("lang", LANGS)
def test_the_page_says_the_number_and_what_it_means(astana, lang):
    api, number, _, docs = astana
    doc = docs[number]
    response = api.get(page_path(number, lang=lang))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-language"] == lang
    text = visible(response.text)
    assert number in text
    assert plain(t("lookup.position", lang, queue_number=i18n.number(doc["queue_number"], lang),
                   segment_size=i18n.number(doc["segment_size"], lang), birth_year=doc["birth_year"],
                   place=doc["region"])) in text
    assert t("lookup.ahead_title", lang) in text
    assert plain(t("lookup.ahead", lang, extraordinary=i18n.number(doc["ahead"]["extraordinary"], lang),
                   first=i18n.number(doc["ahead"]["first"], lang), general=i18n.number(doc["ahead"]["none"], lang))) in text
    assert labels.status("queued", lang) in text
    assert t("lookup.as_of", lang, as_of=i18n.date(doc["as_of"], lang)) in text
    assert t("light.computed", lang) in text  # computed by rules, and said so
    assert f'<html lang="{lang}">' in response.text


@pytest.mark.parametrize("lang", LANGS)
def test_old_data_are_said_to_be_old(astana, lang):
    api, number, _, docs = astana
    text = visible(api.get(page_path(number, lang=lang)).text)
    age = (dt.date.today() - dt.date.fromisoformat(docs[number]["as_of"])).days
    assert any(plain(i18n.tn("light.stale", n, lang)) in text for n in (age - 1, age, age + 1))


def test_the_page_is_light_and_has_no_script(astana):
    api, number, enrolled, _ = astana
    for n in (number, enrolled):
        for lang in LANGS:
            body = api.get(page_path(n, lang=lang)).content
            assert len(body) <= MAX_BYTES
            assert b"<script" not in body.lower()
            assert b"<!doctype html>" in body[:20].lower()


@pytest.mark.parametrize("lang", LANGS)
def test_an_application_without_a_number_says_why(astana, lang):
    api, _, enrolled, _ = astana
    text = visible(api.get(page_path(enrolled, lang=lang)).text)
    assert enrolled in text
    # in plain words, as on the dashboard: enrolled, and where (the kindergarten's name follows)
    assert labels.status("enrolled", lang) in text
    assert t("lookup.meaning_enrolled", lang, kindergarten="\x00").split("\x00")[0] in text
    assert t("lookup.queue_number", lang) not in text


def test_the_language_comes_from_the_browser_when_not_asked_for(astana):
    api, number, _, _ = astana
    assert api.get(page_path(number), headers={"Accept-Language": "kk-KZ,ru;q=0.8"}).headers["content-language"] == "kk"
    assert api.get(page_path(number), headers={"Accept-Language": "ru-RU,en;q=0.5"}).headers["content-language"] == "ru"
    assert api.get(page_path(number), headers={"Accept-Language": "de-DE"}).headers["content-language"] == "en"
    assert api.get(page_path(number, lang="ru"), headers={"Accept-Language": "kk"}).headers["content-language"] == "ru"


def test_links_switch_the_language_share_the_page_and_open_the_dashboard(astana):
    api, number, _, _ = astana
    response = api.get(page_path(number.lower(), lang="ru"))  # typed in small letters: the canonical number
    quoted = number  # the number as it is written, not percent-encoded: a link people can read
    links = read(response.text).links
    assert {f"/n/{quoted}?lang={lang}" for lang in LANGS} <= set(links)
    assert f"http://testserver/n/{quoted}?lang=ru" in visible(response.text)  # the share link, to copy
    assert f"http://testserver/n/{quoted}?lang=ru" in links
    assert f'rel="canonical" href="http://testserver/n/{quoted}?lang=ru"' in response.text
    assert "/lookup?" + urllib.parse.urlencode({"app": number, "lang": "ru"}) in links
    assert f"/n/{quoted}/feed" in links


def test_headers_name_the_snapshot_and_revalidate(astana, demo_home):
    api, number, _, _ = astana
    snapshot = store.current(demo_home("astana-2017")).snapshot
    api.get(page_path(number, lang="kk"))
    background.worker.settle()  # a page still being completed changes its ETag once made
    response = api.get(page_path(number, lang="kk"))
    assert not response.headers["etag"].endswith('.pending"')
    assert response.headers["x-kezek-snapshot"] == snapshot
    assert snapshot in response.headers["etag"]
    assert response.headers["cache-control"] == "public, max-age=60"
    assert api.get(page_path(number, lang="kk"), headers={"If-None-Match": response.headers["etag"]}).status_code == 304
    assert response.headers["etag"] != api.get(page_path(number, lang="ru")).headers["etag"]


@pytest.mark.parametrize("lang", LANGS)
def test_an_unknown_number_is_a_404_page_with_the_pattern(astana, lang):
    api, *_ = astana
    response = api.get(page_path("УО.2099.000001.1", lang=lang))
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    text = visible(response.text)
    assert t("light.not_found_title", lang) in text and t("light.pattern", lang) in text
    assert f"/lookup?lang={lang}" in read(response.text).links
    assert "УО.2099.000001.1" not in text  # nothing of any application is shown


@pytest.mark.parametrize("typed", ["1' OR '1'='1", "<b>", "УО;2018"])
def test_a_malformed_number_is_a_400_page(astana, typed):
    api, *_ = astana
    response = api.get(page_path(typed, lang="ru"))
    assert response.status_code == 400
    text = visible(response.text)
    assert t("light.malformed_title", "ru") in text and t("light.pattern", "ru") in text
    assert "<b>" not in response.text  # what was typed is never markup


# --- a small dataset published twice: the page is made once per snapshot -------------------------

ONE, TWO, EARLY = "УО.2018.000001.1", "УО.2018.000002.1", "УО.2018.000003.1"


def small(folder: Path, with_early: bool) -> Path:
    apps = [application(ONE, "2018-01-05 10:00", birth_date="2016-03-01"),
            application(TWO, "2018-01-06 10:00", birth_date="2016-03-01")]
    if with_early:  # registered earlier, published later: it stands ahead of both
        apps.append(application(EARLY, "2018-01-04 10:00", birth_date="2016-03-01"))
    return write_dataset(folder, {"kindergartens": [kindergarten("K1")], "vacancies": [vacancy()],
                                  "applications": apps},
                         metadata={"title": "Kezek light test", "region": "Астана", "exported_at": "2018-08-01T20:00",
                                   "license": "CC-BY-4.0"})


def test_the_same_bytes_until_a_new_publication(tmp_path):
    home = tmp_path / "home"
    update([str(small(tmp_path / "a", with_early=False))], home)
    api = client_for(home)
    api.get(page_path(TWO, lang="ru"))  # a first visit asks for the last changes
    background.worker.settle()
    first = api.get(page_path(TWO, lang="ru"))
    again = api.get(page_path(TWO, lang="ru"))
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert i18n.number(2, "ru") in visible(first.text).split(t("lookup.queue_number", "ru"))[1][:5]
    update([str(small(tmp_path / "b", with_early=True))], home)
    after = api.get(page_path(TWO, lang="ru"))
    assert after.headers["x-kezek-snapshot"] != first.headers["x-kezek-snapshot"]
    assert after.content != first.content
    assert plain(t("lookup.position", "ru", queue_number="3", segment_size="3", birth_year=2016,
                   place="Астана")) in visible(after.text)


@pytest.fixture
def nothing_made(monkeypatch):
    """The server as just started: no page, history or segment's paths made yet."""
    from engine.forecast_paths import SegmentPathsCache

    for name, made in (("pages", LRU(100)), ("facts", LRU(100)), ("segment_paths", SegmentPathsCache())):
        monkeypatch.setattr(light_page, name, made)
    monkeypatch.setattr(recent_history, "_kept", LRU(100))


@pytest.mark.parametrize("lang", LANGS)
def test_a_first_visit_is_answered_at_once_and_the_next_shows_the_last_changes(demo_home, nothing_made, lang):
    """A first visit needs no replay of the history nor a simulation: it says the changes and the
    forecast come next time, and the next visit, once they are made in the background, lists the
    number's last changes with their causes and the forecast's range."""
    from engine.forecast import forecast
    from dashboard.components.history_panel import explain
    from engine.history import history

    home = demo_home("astana-2017")
    con = store.open_snapshot(store.current(home).path)
    # a waiting application whose number moved more than five times, not asked for by other tests
    (number,) = con.execute("SELECT application_number FROM queue WHERE status = 'queued' AND queue_number > 300 "
                            "ORDER BY hash(application_number, $lang), application_number LIMIT 1",
                            {"lang": lang}).fetchone()
    changed = [d for d in history(con, number)["days"] if d["change"] and d["queue_number"] is not None]
    expected_forecast, doc = forecast(con, number), lookup(con, number)
    con.close()
    assert len(changed) > recent_history.LAST_CHANGES
    api = client_for(home)
    first = api.get(page_path(number, lang=lang))
    assert first.status_code == 200
    assert t("light.changes_pending", lang) in visible(first.text)
    assert t("light.forecast_pending", lang) in visible(first.text)
    assert t("lookup.queue_number", lang) in visible(first.text)  # the answer itself does not wait
    background.worker.settle()
    second = api.get(page_path(number, lang=lang), headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200 and second.headers["etag"] != first.headers["etag"]
    text = visible(second.text)
    assert t("light.changes_pending", lang) not in text and t("light.forecast_pending", lang) not in text
    # the forecast the simulation in SQL gives, in the page's words
    assert visible("".join(light_page.outlook(expected_forecast, doc, lang))) in text
    listed = text.split(t("light.last_changes", lang), 1)[1]
    expected = [plain(explain(d, lang)) for d in changed[-recent_history.LAST_CHANGES:][::-1]]  # newest first
    positions = [listed.find(e) for e in expected]
    assert -1 not in positions and positions == sorted(positions)
    assert plain(explain(changed[-recent_history.LAST_CHANGES - 1], lang)) not in listed


def test_the_cache_forgets_the_least_recently_used():
    cache = LRU(2)
    cache.put("a", 1), cache.put("b", 2), cache.get("a"), cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


# --- Vilnius: the rules of the region are not known ---------------------------------------------------

MAPPING = ROOT / "examples" / "vilnius" / "mapping.toml"
DAY = ROOT / "tests" / "data" / "vilnius-excerpt" / "2026-03-10T0210"


@pytest.fixture(scope="module")
def vilnius(tmp_path_factory):
    home = tmp_path_factory.mktemp("light-vilnius") / "home"
    run_kezek("update", "--source", str(DAY), "--mapping", str(MAPPING), home=home, check=True)
    con = store.open_snapshot(store.current(home).path)
    number = con.execute("SELECT application_number FROM positions WHERE queue_id IS NOT NULL "
                         "GROUP BY ALL ORDER BY count(*) DESC, application_number LIMIT 1").fetchone()[0]
    doc = lookup(con, number)
    con.close()
    return client_for(home), number, doc


@pytest.mark.parametrize("lang", LANGS)
def test_where_the_rules_are_unknown_the_page_says_so_and_shows_the_citys_places(vilnius, lang):
    api, number, doc = vilnius
    response = api.get(page_path(number, lang=lang))
    assert response.status_code == 200
    text = visible(response.text)
    assert t("lookup.rules_unknown_number", lang, region="Vilnius") in text
    assert t("light.published", lang) in text and t("light.computed", lang) not in text
    placed = [c for c in doc["choices"] if c["queue_number"] is not None]
    assert placed
    for c in placed:
        names = (c["name_kk"], c["name_ru"]) if lang == "kk" else (c["name_ru"], c["name_kk"])
        name = next((n for n in names if n), c["kindergarten_id"])
        assert plain(t("lookup.choice_place", lang, rank=c["rank"], kindergarten=name,
                       place=i18n.number(c["queue_number"], lang), as_of=i18n.date(c["as_of"], lang))) in text
    assert t("lookup.queue_number", lang) not in text  # no number by rules Kezek does not know


@pytest.mark.parametrize("lang", LANGS)
def test_recent_data_say_their_age_without_a_warning(tmp_path, lang):
    """The page made on the data's own day, the day after, and three days after (old by then)."""
    home = tmp_path / "home"
    update([str(small(tmp_path / "a", with_early=False))], home)
    reader = store.Reader(home)
    cur, snapshot = reader.open()
    found = light_page.read_facts(cur, snapshot, ONE)
    cur.close()
    on = {days: visible(light_page.render(found, lang, snapshot.as_of + dt.timedelta(days=days),
                                          "https://kezek.example").decode()) for days in (0, 1, 3)}
    assert t("light.fresh", lang) in on[0]
    assert i18n.tn("light.age", 1, lang) in on[1] and i18n.tn("light.stale", 1, lang) not in on[1]
    assert i18n.tn("light.stale", 3, lang) in on[3]
    assert f"https://kezek.example/n/{ONE}?lang={lang}" in on[0]  # the share link


def test_a_browser_asking_for_gzip_gets_the_same_page_compressed(astana):
    api, number, _, _ = astana
    plain_page = api.get(page_path(number, lang="kk"), headers={"Accept-Encoding": "identity"})
    packed = api.get(page_path(number, lang="kk"), headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain_page.headers
    assert packed.content == plain_page.content  # httpx unpacks it: the same page
    assert int(packed.headers["content-length"]) < len(plain_page.content) / 2
