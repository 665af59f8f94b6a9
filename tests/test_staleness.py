"""How old the data are (dashboard/staleness.py): the last successful update counts a run that
found the sources unchanged; every page says the age in words and warns past
KEZEK_STALE_AFTER_DAYS; every API answer carries the moments."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

import i18n
from dashboard import staleness
from dashboard.context import md
from test_api import client_for
from test_dashboard import published, visit  # noqa: F401 (fixture)

UTC = dt.timezone.utc


def published_at(home: Path) -> str:
    return json.loads((home / "published.json").read_text(encoding="utf-8"))["published_at"]


def stale_start(lang: str) -> str:
    """The warning's words before the date."""
    return i18n.t("freshness.stale", lang, when="\x00").split("\x00")[0]


@pytest.fixture
def home(published, tmp_path):  # noqa: F811
    """A copy of the published home, whose run log a test may write."""
    return Path(shutil.copytree(published, tmp_path / "home"))


def test_the_last_successful_update_is_the_last_run_that_ended_well(home):
    then = dt.datetime.fromisoformat(published_at(home))
    log = home / "update.log"
    assert staleness.last_update(home, published_at(home)) >= then
    unchanged = then + dt.timedelta(days=1)
    failed = then + dt.timedelta(days=2)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"{unchanged.isoformat()} exit=0 0.4s sources=https://example.kz/q.csv source unchanged "
                 "since the last publication: nothing downloaded, nothing published\n")
        fh.write(f"{failed.isoformat()} exit=1 3.0s sources=https://example.kz/q.csv could not fetch the source\n")
    assert staleness.last_update(home, published_at(home)) == unchanged  # the failure does not count
    assert staleness.is_stale(unchanged, now=unchanged + dt.timedelta(days=2, minutes=1))
    assert not staleness.is_stale(unchanged, now=unchanged + dt.timedelta(days=1, hours=23))


def test_without_a_run_log_the_publication_is_the_last_update(home):
    (home / "update.log").unlink(missing_ok=True)
    assert staleness.last_update(home, published_at(home)) == dt.datetime.fromisoformat(published_at(home))


def test_the_limit_is_a_setting(monkeypatch):
    since = dt.datetime(2018, 8, 1, 6, tzinfo=UTC)
    monkeypatch.setenv("KEZEK_STALE_AFTER_DAYS", "7")
    assert not staleness.is_stale(since, now=since + dt.timedelta(days=6))
    assert staleness.is_stale(since, now=since + dt.timedelta(days=8))


@pytest.mark.parametrize(("lang", "days", "said"), [
    ("ru", 1, "обновлено 24 часа назад"), ("ru", 3, "обновлено 3 дня назад"), ("ru", 5, "обновлено 5 дней назад"),
    ("kk", 3, "3 күн бұрын жаңартылды"), ("en", 1, "updated 24 hours ago"), ("en", 21, "updated 21 days ago")])
def test_the_age_in_words(lang, days, said):
    since = dt.datetime(2018, 8, 1, 6, tzinfo=UTC)
    assert staleness.age(since, lang, now=since + dt.timedelta(days=days)) == said


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_page_says_how_old_the_data_are(published, monkeypatch, lang):  # noqa: F811
    at = visit(published, monkeypatch, page="vacancies", lang=lang)
    captions = " ".join(c.value for c in at.caption)
    assert staleness.age(staleness.last_update(published, published_at(published)), lang) in captions
    assert not [w for w in at.warning if w.value.startswith(stale_start(lang))]  # published just now


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_page_warns_when_the_last_update_is_too_old(published, monkeypatch, lang):  # noqa: F811
    monkeypatch.setenv("KEZEK_STALE_AFTER_DAYS", "0.00001")  # about a second
    at = visit(published, monkeypatch, page="lookup", lang=lang)
    assert [w for w in at.warning if w.value.startswith(stale_start(lang))]


def test_every_api_answer_says_when_the_data_were_published_and_last_updated(home):
    with open(home / "update.log", "a", encoding="utf-8") as fh:
        fh.write("2099-01-01T00:00:00+00:00 exit=0 0.4s sources=x source unchanged since the last publication\n")
    api = client_for(home)
    for path in ("/api/v1/kindergartens", "/api/v1/applications/УО.2099.000001.1"):  # an answer and a 404
        answer = api.get(path)
        assert answer.headers["X-Kezek-Published-At"] == published_at(home)
        assert answer.headers["X-Kezek-Updated-At"] == "2099-01-01T00:00:00+00:00"


def test_the_overview_names_a_run_that_found_the_sources_unchanged(home, monkeypatch):
    with open(home / "update.log", "a", encoding="utf-8") as fh:  # an hour after the publication
        later = dt.datetime.fromisoformat(published_at(home)) + dt.timedelta(hours=1)
        fh.write(f"{later.isoformat()} exit=0 0.4s sources=x source unchanged since the last publication\n")
    at = visit(home, monkeypatch, lang="ru")
    local = later.astimezone(dt.timezone(dt.timedelta(hours=5)))  # the dataset's Asia/Almaty
    shown = md(f"{i18n.date(local, 'ru', with_time=True)} (UTC+5)")
    line = f"- {i18n.t('overview.last_update', 'ru')}: **{shown}**"
    assert line in "\n".join(m.value for m in at.markdown)


def test_a_limit_that_cannot_be_meant_is_logged_and_the_default_used(monkeypatch, caplog):
    since = dt.datetime(2018, 8, 1, 6, tzinfo=UTC)
    monkeypatch.setenv("KEZEK_STALE_AFTER_DAYS", "two")
    assert not staleness.is_stale(since, now=since + dt.timedelta(days=1))
    assert staleness.is_stale(since, now=since + dt.timedelta(days=3))
    assert "KEZEK_STALE_AFTER_DAYS must be a number above 0, not 'two'" in caplog.text
