"""Plural forms, numbers and dates of the catalogs (i18n/), as Babel (CLDR) gives them.

The catalog's own checks (every key in every language, the same placeholders, the forms of
each plural entry) are in test_dashboard.py with the other catalog tests."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest

import i18n
from i18n import tn

COUNTS = (1, 2, 5, 11, 21, 22, 25, 111)


def test_russian_counts_take_the_right_form_of_the_noun():
    """The texts said “Впереди ещё 1 заявок ждут” and “Всего свободных мест: 1”: the noun and
    the verb now agree with the count (1 заявка, 2 заявки, 5 заявок, 11 заявок, 21 заявка)."""
    waiting = [tn("forecast.waiting", n, "ru") for n in COUNTS]
    assert [text.split("ещё ")[1].split(" предложения")[0] for text in waiting] == [
        "1 заявка ждёт", "2 заявки ждут", "5 заявок ждут", "11 заявок ждут", "21 заявка ждёт",
        "22 заявки ждут", "25 заявок ждут", "111 заявок ждут"]
    assert [tn("vacancies.in_all", n, "ru") for n in COUNTS] == [
        "Всего 1 свободное место", "Всего 2 свободных места", "Всего 5 свободных мест", "Всего 11 свободных мест",
        "Всего 21 свободное место", "Всего 22 свободных места", "Всего 25 свободных мест",
        "Всего 111 свободных мест"]
    years = [tn("forecast.not_within", n, "ru").split("предложено ")[1] for n in COUNTS]
    assert years == ["в ближайший 1 год.", "в ближайшие 2 года.", "в ближайшие 5 лет.", "в ближайшие 11 лет.",
                     "в ближайший 21 год.", "в ближайшие 22 года.", "в ближайшие 25 лет.", "в ближайшие 111 лет."]
    weeks = [tn("forecast.too_little_history", n, "ru", needed=20).split(": ")[1] for n in (1, 3, 12)]
    assert weeks == ["1 неделя, нужно не меньше 20.", "3 недели, нужно не меньше 20.", "12 недель, нужно не меньше 20."]
    fewer = [tn("history.fewer", n, "ru", cause="…").split(" меньше")[0] for n in (1, 4, 11, 21)]
    assert fewer == ["впереди стало на 1 заявку", "впереди стало на 4 заявки", "впереди стало на 11 заявок",
                     "впереди стало на 21 заявку"]


def test_a_count_of_a_thousand_and_more_is_written_with_its_separator():
    assert tn("queue.download_help", 1521, "ru").startswith("Вся показанная очередь (1\u00a0521 заявление)")
    assert tn("queue.download_help", 1520, "en").startswith("The whole queue shown (1,520 applications)")


def test_english_and_kazakh_counts():
    assert tn("vacancies.in_all", 1, "en") == "In all: 1 place"
    assert tn("vacancies.in_all", 2, "en") == "In all: 2 places"
    assert tn("forecast.waiting", 1, "en") == "1 application ahead still waits for an offer of a place."
    assert tn("forecast.waiting", 2, "en") == "2 applications ahead still wait for an offer of a place."
    # Kazakh: the noun stays singular after a numeral (3 өтінім), whatever CLDR's category.
    assert tn("forecast.waiting", 1, "kk") == "Алда тағы 1 өтінім орын ұсынысын күтуде."
    assert tn("forecast.waiting", 2, "kk") == "Алда тағы 2 өтінім орын ұсынысын күтуде."
    assert tn("vacancies.in_all", 2, "kk") == "Барлығы: 2 бос орын"


def test_a_text_inside_a_text_agrees_with_its_own_count():
    """“5 more places …: 1 application would get a place”: each count picks its own form."""
    placed = tn("movement.what_if_placed", 1, "ru", extraordinary=0, first=0, general=1)
    text = tn("movement.what_if_result", 5, "ru", birth_year=2016, place="Астана", placed=placed)
    assert text.startswith("Ещё 5 мест для детей 2016 года рождения, Астана: место получила бы **1** заявка")
    free = tn("movement.what_if_free", 2, "en", free=tn("movement.what_if_free_places", 1, "en"))
    assert free == "Only 2 applications in this queue wait for an offer: 1 place would stay free."


@pytest.mark.parametrize("lang", ("kk", "ru", "en"))
def test_the_plural_categories_are_those_of_cldr(lang):
    from babel import Locale

    rule = Locale.parse(lang).plural_form
    assert i18n.plural_categories(lang) == rule.tags | {"other"}
    assert {rule(n) for n in range(200)} <= i18n.plural_categories(lang)


def test_numbers_and_dates_keep_their_public_form():
    assert [i18n.number(1520, lang) for lang in ("kk", "ru", "en")] == ["1\u00a0520", "1\u00a0520", "1,520"]
    assert i18n.number(1234567, "ru") == "1\u00a0234\u00a0567" and i18n.number(-3, "en") == "-3"
    assert [i18n.date(dt.date(2018, 8, 1), lang) for lang in ("kk", "ru", "en")] == [
        "01.08.2018", "01.08.2018", "2018-08-01"]
    moment = dt.datetime(2018, 7, 31, 17, 29, 9, tzinfo=dt.timezone(dt.timedelta(hours=6)))
    assert i18n.date(moment, "ru", with_time=True) == "31.07.2018 17:29"  # as it stands: no time zone change
    assert i18n.date(moment, "en", with_time=True, seconds=True) == "2018-07-31 17:29:09"
    for lang in ("kk", "ru", "en"):  # the charts' strftime pattern writes what date() writes
        assert dt.date(2018, 8, 1).strftime(i18n.date_pattern(lang)) == i18n.date(dt.date(2018, 8, 1), lang)
    assert i18n.separators("kk") == ",\u00a0" and i18n.separators("en") == ".,"


def test_the_examples_in_the_catalog_module_hold():
    assert doctest.testmod(i18n).failed == 0
