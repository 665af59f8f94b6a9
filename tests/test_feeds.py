"""The Atom feeds (interfaces.md, "Additions of 2026-12"), read as a feed reader reads them.

The Astana 2017 demo is published by the real pipeline, the feeds are asked of the server's
own Starlette routes, and every answer is parsed by feedparser (what many readers and bots
use) and by ElementTree for the elements RFC 4287 requires exactly once. Publishing the same
data again, and then the data with one more change, shows what a subscribed reader sees:
the same entries under the same ids, and one new entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import re
import shutil
import urllib.parse
import urllib.error
import urllib.request
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pyarrow as pa
import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():  # Starlette would rather have httpx2; httpx is what we have
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from conftest import application, kindergarten, serve, vacancy, write_dataset
from dashboard import server
from engine.history import history
from engine.store import current, open_snapshot
from i18n import t
from kezek.pipeline import update

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

ATOM = "{http://www.w3.org/2005/Atom}"
STOP_LISTED = "УО.2014.000723.1"  # stop-listed on 2017-05-22 after a privilege it did not confirm
SITE = "http://testserver/"


def client_for(home: Path) -> TestClient:
    return TestClient(Starlette(routes=server.routes(home)))


def read(response) -> feedparser.FeedParserDict:
    """The answer as a feed reader sees it (its address resolves relative links)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content, response_headers={
        "content-location": str(response.url), "content-type": response.headers["content-type"]})
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def feed_of(client: TestClient, number: str, **params) -> feedparser.FeedParserDict:
    query = urllib.parse.urlencode(params)
    return read(client.get(f"/n/{urllib.parse.quote(number, safe='')}/feed" + (f"?{query}" if query else "")))


def bulletins(client: TestClient, **params):
    return client.get("/feeds/bulletins?" + urllib.parse.urlencode(params))


def link(entry_or_feed, rel: str) -> str:
    return next(l["href"] for l in entry_or_feed.links if l["rel"] == rel)


def ids(feed) -> list[str]:
    return [e.id for e in feed.entries]


# --- the published demo, and the application followed through publications -------------------

@pytest.fixture(scope="module")
def demo(demo_data):
    return demo_data("astana-2017")


@pytest.fixture(scope="module")
def dataset(demo, tmp_path_factory) -> Path:
    return demo.write(tmp_path_factory.mktemp("feeds") / "astana-2017")


@pytest.fixture(scope="module")
def home(dataset, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("feeds-home") / "home"
    update([str(dataset)], home)
    return home


@pytest.fixture(scope="module")
def client(home) -> TestClient:
    return client_for(home)


@pytest.fixture(scope="module")
def followed(home) -> tuple[str, str]:
    """(A, B): A the queued general application waiting longest behind at least 19 others, whose
    number changed many times; B the general application just ahead of it."""
    con = open_snapshot(current(home).path)
    try:
        a, region, locality, year, number = con.execute("""
            SELECT application_number, region, locality, birth_year, queue_number FROM queue
            WHERE status = 'queued' AND privilege = 'none' AND queue_number >= 20
            ORDER BY registered_at, application_number LIMIT 1""").fetchone()
        b = con.execute("""
            SELECT application_number FROM queue
            WHERE (region, locality, birth_year) = ($r, $l, $y) AND status = 'queued' AND privilege = 'none'
              AND queue_number < $q
            ORDER BY queue_number DESC LIMIT 1""", {"r": region, "l": locality, "y": year, "q": number}).fetchone()[0]
    finally:
        con.close()
    return a, b


# --- the application's feed -------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_an_applications_feed_has_what_rfc_4287_requires(client, lang):
    response = client.get(f"/n/{urllib.parse.quote(STOP_LISTED)}/feed?lang={lang}")
    feed = read(response)
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):  # exactly one each (RFC 4287 §4.1.1)
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name").text == "Kezek"  # stands for every entry
    assert feed.feed.language == lang
    assert link(feed.feed, "self") == f"{SITE}n/{urllib.parse.quote(STOP_LISTED)}/feed?lang={lang}"
    assert STOP_LISTED in feed.feed.title
    assert feed.entries
    for entry, element in zip(feed.entries, root.findall(f"{ATOM}entry"), strict=True):
        for name in ("id", "title", "updated"):
            assert len(element.findall(f"{ATOM}{name}")) == 1, name
        assert entry.id.startswith("tag:kezek,2026:n/") and entry.title and entry.summary
        assert link(entry, "alternate") == f"{SITE}n/{urllib.parse.quote(STOP_LISTED)}?lang={lang}"
    updated = [e.updated_parsed for e in feed.entries]
    assert updated == sorted(updated, reverse=True)  # newest first
    assert feed.feed.updated == feed.entries[0].updated  # the newest change, a date of the data
    assert len(set(ids(feed))) == len(feed.entries)


def test_each_change_of_the_number_is_an_entry_with_its_causes_in_words(client, home):
    con = open_snapshot(current(home).path)
    days = [d for d in history(con, STOP_LISTED)["days"] if d["change"]]
    con.close()
    feed = feed_of(client, STOP_LISTED, lang="ru")
    by_id = {e.id: e for e in feed.entries}
    newest = days[-1]  # 2017-05-29: 195 → 197, two new applications placed ahead
    entry = by_id[f"tag:kezek,2026:n/{urllib.parse.quote(STOP_LISTED)}/{newest['date']}"]
    assert (entry.title, newest["queue_number"], newest["change"]) == ("Номер 197 (+2)", 197, 2)
    assert "195 → 197" in entry.summary and "впереди стало на 2 заявки больше" in entry.summary
    assert entry.updated.startswith(newest["date"])
    privilege = by_id[f"tag:kezek,2026:n/{urllib.parse.quote(STOP_LISTED)}/2017-05-22"]  # lost its privilege
    assert privilege.title == "Номер 194 (+161)" and t("cause.own_privilege", "ru") in privilege.summary
    assert len(days) > 50 and len(feed.entries) == 50  # the newest 50 of its changes, of number or status
    numbered = [e.id for e in feed.entries if e.title.startswith("Номер ")]
    assert numbered == [f"tag:kezek,2026:n/{urllib.parse.quote(STOP_LISTED)}/{d['date']}" for d in days[::-1]][:len(numbered)]


@pytest.mark.parametrize("lang, status, privilege", [
    ("ru", "Статус: Стоп-лист", "Льгота: Без льготы"),
    ("kk", "Мәртебесі: Стоп-тізім", "Жеңілдік: Жеңілдіксіз"),
    ("en", "Status: Stop list", "Privilege: None"),
])
def test_status_and_privilege_changes_are_entries_in_the_readers_language(client, lang, status, privilege):
    feed = feed_of(client, STOP_LISTED, lang=lang)
    titles = {e.title: e for e in feed.entries}
    assert titles[status].updated == "2017-05-22T18:00:19+06:00"  # Astana's offset in 2017
    assert titles[privilege].updated == "2017-05-22T18:00:21+06:00"
    number = t("feed.number_title", lang, number="197", change="+2")
    assert feed.entries[0].title == number


def test_the_language_comes_from_accept_language_without_lang(client):
    response = client.get(f"/n/{urllib.parse.quote(STOP_LISTED)}/feed", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert read(response).feed.language == "ru" and "Accept-Language" in response.headers["vary"]
    assert read(client.get(f"/n/{urllib.parse.quote(STOP_LISTED)}/feed")).feed.language == "kk"  # the default
    explicit = client.get(f"/n/{urllib.parse.quote(STOP_LISTED)}/feed?lang=en", headers={"Accept-Language": "ru"})
    assert read(explicit).feed.language == "en" and "Accept-Language" not in explicit.headers["vary"]


def test_a_number_typed_any_way_finds_the_same_feed(client):
    typed = feed_of(client, " uo.2014. 000723.1", lang="ru")
    assert ids(typed) == ids(feed_of(client, STOP_LISTED, lang="ru"))


def test_the_feed_is_bounded_to_the_newest_50_entries(client, followed, home):
    a, _ = followed
    con = open_snapshot(current(home).path)
    changes = sum(1 for d in history(con, a)["days"] if d["change"])
    con.close()
    assert changes > 50  # the test means something
    assert len(feed_of(client, a, lang="en").entries) == 50


def test_headers_label_the_snapshot_and_let_a_reader_revalidate(client, home):
    path = f"/n/{urllib.parse.quote(STOP_LISTED)}/feed?lang=kk"
    first = client.get(path)
    assert first.headers["x-kezek-snapshot"] == current(home).snapshot
    assert first.headers["cache-control"] == "public, max-age=60"
    again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other_language = client.get(f"/n/{urllib.parse.quote(STOP_LISTED)}/feed?lang=ru")
    assert other_language.headers["etag"] != first.headers["etag"]
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == first.content


@pytest.mark.parametrize("path, status, parameter", [
    (f"/n/{urllib.parse.quote('УО.1999.000001.1')}/feed", 404, None),
    ("/n/1'%20OR%20'1'='1/feed", 400, "number"),
    (f"/n/{urllib.parse.quote(STOP_LISTED)}/feed?lang=de", 400, "lang"),
    (f"/n/{urllib.parse.quote(STOP_LISTED)}/feed?since=2017-01-01", 400, "since"),
])
def test_unknown_and_malformed_requests_are_answered_as_the_api_does(client, path, status, parameter):
    response = client.get(path)
    assert response.status_code == status
    assert response.json().get("parameter") == parameter
    if parameter == "lang":
        assert all(lang in response.json()["detail"] for lang in ("'kk'", "'ru'", "'en'"))


@pytest.fixture
def served(home):
    yield from serve(home)


def test_kezek_serve_answers_the_feeds_itself_not_the_dashboards_pages(served):
    """Through the real server: /n/ and /feeds/ go to Kezek's own routes (server.OWN_PATHS),
    gzipped for a reader that asks, and the links are those of the address asked."""
    base = served  # http://127.0.0.1:PORT
    request = urllib.request.Request(f"{base}/n/{urllib.parse.quote(STOP_LISTED)}/feed?lang=ru",
                                     headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        assert answer.headers["Content-Encoding"] == "gzip"
        feed = feedparser.parse(gzip.decompress(answer.read()))
    assert not feed.bozo and feed.entries[0].title == "Номер 197 (+2)"
    assert link(feed.feed, "self") == f"{base}/n/{urllib.parse.quote(STOP_LISTED)}/feed?lang=ru"
    with urllib.request.urlopen(f"{base}/feeds/bulletins?region={urllib.parse.quote('Астана')}", timeout=30) as answer:
        assert not feedparser.parse(answer.read()).bozo
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/feeds/bulletins?region=Vilnius", timeout=30)
    assert refused.value.code == 400 and json.loads(refused.value.read())["allowed"] == ["Астана"]


# --- across publications ----------------------------------------------------------------------

def feeds_of(client: TestClient, numbers) -> dict[str, feedparser.FeedParserDict]:
    return {(n, lang): feed_of(client, n, lang=lang) for n in numbers for lang in ("kk", "ru")}


def test_ids_and_entries_are_the_same_after_publishing_the_same_data_again(client, home, dataset, followed,
                                                                          tmp_path):
    numbers = (STOP_LISTED, *followed)
    before = feeds_of(client, numbers)
    again = tmp_path / "home"
    shutil.copytree(home, again)
    # the same files from another folder (the same folder again is not published: test_links.py)
    update([str(shutil.copytree(dataset, tmp_path / "copy"))], again)
    assert current(again).snapshot != current(home).snapshot
    after = feeds_of(client_for(again), numbers)
    for key in before:
        assert [(e.id, e.title, e.updated, e.summary) for e in after[key].entries] == \
            [(e.id, e.title, e.updated, e.summary) for e in before[key].entries], key
        assert (after[key].feed.id, after[key].feed.updated) == (before[key].feed.id, before[key].feed.updated)
    path = f"/n/{urllib.parse.quote(STOP_LISTED)}/feed?lang=kk"
    etag = client.get(path).headers["etag"]  # the feed did not change: a reader's copy is still good
    assert client_for(again).get(path, headers={"If-None-Match": etag}).status_code == 304


def with_one_more_change(demo, folder: Path, ahead: str) -> Path:
    """The demo a day later, on which `ahead` was withdrawn: one change for those behind it."""
    when = dt.datetime(2017, 6, 6, 10, 0)
    apps = demo.tables["applications"].to_pylist()
    for row in apps:
        if row["application_number"] == ahead:
            row.update(status="withdrawn", status_at=when)
    events = demo.tables["events"]
    row = {name: None for name in events.schema.names} | {
        "application_number": ahead, "at": when, "event": "withdrawn", "reason": "by_parent"}
    tables = dict(demo.tables) | {
        "applications": pa.Table.from_pylist(apps, schema=demo.tables["applications"].schema),
        "events": pa.concat_tables([events, pa.Table.from_pylist([row], schema=events.schema)]),
    }
    later = dataclasses.replace(demo, tables=tables, metadata=demo.metadata | {"exported_at": "2017-06-06T20:00:00"})
    return later.write(folder)


def test_after_one_more_change_the_entries_seen_keep_their_ids_and_one_is_new(client, home, demo, followed,
                                                                            tmp_path):
    a, b = followed
    before = feed_of(client, a, lang="ru")
    later = tmp_path / "home"
    shutil.copytree(home, later)
    update([str(with_one_more_change(demo, tmp_path / "later", b))], later)
    after = feed_of(client_for(later), a, lang="ru")
    seen = {e.id: e.title for e in before.entries}
    new = [e for e in after.entries if e.id not in seen]
    (entry,) = new
    assert entry.id == f"tag:kezek,2026:n/{urllib.parse.quote(a)}/2017-06-06" and entry.updated.startswith("2017-06-06")
    assert entry.title.endswith("(-1)") and t("cause.withdrawn", "ru") in entry.summary
    assert after.entries[0].id == entry.id
    kept = [(e.id, e.title, e.summary) for e in after.entries if e.id in seen]
    assert kept == [(e.id, e.title, e.summary) for e in before.entries][:50 - len(new)]  # the oldest fell off
    status = feed_of(client_for(later), b, lang="ru").entries[0]  # B's own feed says it was withdrawn
    assert status.title == "Статус: " + t("status.withdrawn", "ru")


# --- where no ruleset covers the region: the city's own places --------------------------------

@pytest.fixture(scope="module")
def vilnius(tmp_path_factory) -> Path:
    """A Vilnius-like dataset: no ruleset, each kindergarten's own queue as the city published it."""
    root = tmp_path_factory.mktemp("feeds-vilnius")
    places = [("2017-04-01", "V1", 7), ("2017-04-05", "V1", 5), ("2017-04-09", "V1", 5), ("2017-04-09", "V2", 3)]
    folder = write_dataset(root / "ds", {
        "kindergartens": [kindergarten("V1", region="Vilnius", name_kk=None, name_ru="Lopšelis-darželis «Pasaka»"),
                          kindergarten("V2", region="Vilnius", name_kk=None, name_ru="Lopšelis-darželis «Saulutė»")],
        "vacancies": [vacancy("B1", "V1", birth_year=2015, seats=2)],
        "applications": [application("VLN-1", "2016-02-01 10:00", region="Vilnius"),
                         application("VLN-2", "2016-02-02 10:00", region="Vilnius")],
        "positions": [{"as_of": day, "application_number": "VLN-1", "queue_number": n, "privileged_queue_number": None,
                       "queue_id": k} for day, k, n in places],
    }, {"title": "Vilnius-like", "exported_at": "2017-04-10 12:00"})
    update([str(folder)], root / "home")
    return root / "home"


def test_where_the_rules_are_unknown_the_entries_are_the_citys_published_places(vilnius):
    feed = feed_of(client_for(vilnius), "VLN-1", lang="en")
    places = [(e.id.rsplit("/", 2)[-2:], e.title) for e in feed.entries if "place" in e.title]
    assert places == [  # newest first; an unchanged place (V1 on 2017-04-09) is no news
        (["2017-04-09", "V2"], "Lopšelis-darželis «Saulutė»: place 3"),
        (["2017-04-05", "V1"], "Lopšelis-darželis «Pasaka»: place 5 (-2)"),
        (["2017-04-01", "V1"], "Lopšelis-darželis «Pasaka»: place 7"),
    ]
    assert not any(e.title.startswith("Number") for e in feed.entries)  # no number computed by unknown rules
    assert feed.feed.subtitle == t("feed.places_subtitle", "en")


# --- the vacancy bulletins' feed --------------------------------------------------------------

@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_bulletins_feed_lists_the_newest_bulletins(client, home, lang):
    response = bulletins(client, region="Астана", lang=lang)
    feed = read(response)
    root = ET.fromstring(response.content)
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    con = open_snapshot(current(home).path)
    newest = con.execute("SELECT bulletin_id, seats, birth_year FROM vacancies "
                         "ORDER BY announced_at DESC, bulletin_id DESC LIMIT 50").fetchall()
    con.close()
    assert ids(feed) == [f"tag:kezek,2026:bulletin/{b}" for b, _, _ in newest]
    assert "Астана" in feed.feed.title and link(feed.feed, "self").startswith(f"{SITE}feeds/bulletins?")
    for entry, (_, seats, year) in zip(feed.entries, newest):
        assert str(year) in entry.title and str(seats) in entry.title
        assert link(entry, "alternate").startswith(f"{SITE}kindergartens?kg=")
    assert feed.feed.updated == feed.entries[0].updated
    assert response.headers["x-kezek-snapshot"] == current(home).snapshot and response.headers["etag"]


def test_bulletins_of_one_birth_year_and_district(client, home):
    con = open_snapshot(current(home).path)
    district, year, count = con.execute("""
        SELECT k.district, v.birth_year, count(*) FROM vacancies v JOIN kindergartens k USING (kindergarten_id)
        GROUP BY ALL ORDER BY count(*), k.district, v.birth_year LIMIT 1""").fetchone()
    con.close()
    feed = read(bulletins(client, region="Астана", district=district, birth_year=year, lang="ru"))
    assert len(feed.entries) == count
    assert all(f"{year} года рождения" in e.title and f"Район: {district}." in e.summary for e in feed.entries)
    assert f"дети {year} года рождения" in feed.feed.title and district in feed.feed.title


@pytest.mark.parametrize("params, parameter, allowed", [
    ({"region": "Алматы"}, "region", ["Астана"]),
    ({}, "region", ["Астана"]),
    ({"region": "Астана", "district": "Медеу"}, "district", ["Алматы", "Байқоңыр", "Есіл", "Сарыарқа"]),
])
def test_an_unknown_region_or_district_is_answered_with_the_valid_values(client, params, parameter, allowed):
    response = bulletins(client, **params)
    assert response.status_code == 400
    body = response.json()
    assert (body["parameter"], sorted(body["allowed"])) == (parameter, allowed)
    assert all(value in body["detail"] for value in allowed)


def test_a_malformed_birth_year_is_a_bad_request(client):
    assert bulletins(client, region="Астана", birth_year="2015a").json()["parameter"] == "birth_year"


# --- no personal data -------------------------------------------------------------------------

IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")


def test_no_feed_holds_a_birth_date_or_an_iin(client, demo, followed):
    born = {r["application_number"]: r["birth_date"] for r in demo.tables["applications"].select(
        ["application_number", "birth_date"]).to_pylist() if r["application_number"] in (STOP_LISTED, *followed)}
    for number, birth_date in born.items():
        for lang in ("kk", "ru", "en"):
            text = client.get(f"/n/{urllib.parse.quote(number)}/feed?lang={lang}").text
            for written in (birth_date.isoformat(), birth_date.strftime("%d.%m.%Y")):
                assert written not in text, (number, lang)
            assert not IIN.search(text)
    for lang in ("kk", "ru", "en"):
        assert not IIN.search(bulletins(client, region="Астана", lang=lang).text)
