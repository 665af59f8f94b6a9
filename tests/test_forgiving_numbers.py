"""Application numbers typed however a parent types them (issue 18, item 3;
open-data-format.md, "Application numbers as people type them").

A small dataset is published by the real pipeline, and every number is looked up through
each forgiving form — spaces, dashes, missing leading zeros, Latin look-alikes, lower case,
mixed — by `engine.lookup.lookup`, `kezek lookup` and the HTTP API, at the snapshot's date
and at a past one. A number found nowhere is answered with the shape of the numbers
(`УО.ГГГГ.NNNNNN.N`), never with an example number. Two published numbers that differ only
in separators or leading zeros are found only as published, and a form that could be
either finds neither. A publication made before keys forgave is still read by its own
keys, and is published again.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import urllib.parse
import warnings
from contextlib import contextmanager

import duckdb
import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():  # Starlette would rather have httpx2; httpx is what we have
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from conftest import application, kindergarten, run_kezek, vacancy, write_dataset
from dashboard import server
from dashboard.api.routes import PREFIX
from engine import number_pattern, store
from engine.application_number import compact, compact_sql, is_well_formed, normalise, normalise_sql
from engine.lookup import lookup
from ingest.problems import BadInput
from kezek import cli
from engine.schema import DUCKDB_TYPE, TABLES
from kezek.pipeline import _complete, _derive_sql, update
from test_dashboard import texts, visit

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

# (number, registered at): all born in 2014, one queue of four
A, B, C, D = "УО.2015.003712.1", "УО.2016.000024.1", "УО.2016.000100.2", "УО.2017.010203.1"
REGISTERED = {A: "2015-03-02 10:00", B: "2016-05-10 10:00", C: "2016-06-01 10:00", D: "2017-01-20 10:00"}
NUMBERS = list(REGISTERED)
PAST = dt.date(2016, 12, 31)  # D not yet registered
PATTERN = {"kk": "УО.ЖЖЖЖ.NNNNNN.N", "ru": "УО.ГГГГ.NNNNNN.N", "en": "УО.YYYY.NNNNNN.N"}


def forms(number: str) -> dict[str, str]:
    """The ways a parent types `number` (none of them as published)."""
    prefix, year, serial, check = number.split(".")
    short = str(int(serial))
    return {
        "spaces": f"{prefix} {year} {serial} {check}",
        "dashes": f"{prefix}-{year}-{serial}-{check}",
        "no leading zeros": f"{prefix}.{year}.{short}.{check}",
        "latin": f"UO.{year}.{serial}.{check}",
        "lower case": number.lower(),
        "mixed": f" uo-{year} -- {short}_{check} ",
        "mixed, look-alikes and runs": f"Yo  {year}..{serial} .{check}",
        "no separator after the letters": f"уо{year}.{short}.{check}",
        "slashes": f"{prefix}/{year}/{short}/{check}",
    }


FORMS = [(number, name, typed) for number in NUMBERS for name, typed in forms(number).items()]
FORM_IDS = [f"{number}-{name}" for number, name, _ in FORMS]


def publish(base, numbers: dict[str, str], name: str, exported_at: str = "2017-08-01 12:00"):
    folder = write_dataset(base / f"{name}-data", {
        "kindergartens": [kindergarten()], "vacancies": [vacancy()],
        "applications": [application(n, at, birth_date="2014-04-04") for n, at in numbers.items()],
    }, {"title": "Forgiving numbers", "exported_at": exported_at})
    home = base / f"{name}-home"
    report = update([str(folder)], home)
    return home, report


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home, _ = publish(tmp_path_factory.mktemp("forgiving"), REGISTERED, "queue")
    return home


@contextmanager
def opened(home):
    """The current snapshot of `home`, as `kezek lookup` opens it."""
    con = store.open_snapshot(store.current(home).path)
    try:
        yield con
    finally:
        con.close()


@pytest.fixture(scope="module")
def con(published):
    with opened(published) as con:
        yield con


@pytest.fixture(scope="module")
def api(published) -> TestClient:
    return TestClient(Starlette(routes=server.routes(published)))  # lookups held in memory, as served


def cli_lookup(capsys, *args: str, home) -> tuple[int, str, str]:
    code = cli.main(["lookup", *args, "--home", str(home)])
    out, err = capsys.readouterr()
    return code, out, err


# --- the key: Python and DuckDB alike -----------------------------------------------------------

def test_every_form_has_the_key_of_the_number():
    for number, _, typed in FORMS:
        assert normalise(typed) == normalise(number) == ".".join(
            [number.split(".")[0], *(str(int(p)) for p in number.split(".")[1:])]), typed
        assert is_well_formed(typed), typed


def test_python_and_duckdb_key_every_form_alike():
    rng = random.Random(18)
    alphabet = "0123456789УОуоUOuoYyАаКкkIiІіӘәҚқЁё.-/_ \t\u00a0\u202f"
    typed = [t for _, _, t in FORMS] + NUMBERS + ["", "0", "000", "УО.0000.0.0", "a0b00c", "--..//", "1-2-3"]
    typed += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24))) for _ in range(5000)]
    with duckdb.connect() as db:
        rows = db.execute(f"SELECT t, {normalise_sql('t')}, {compact_sql('t')} FROM unnest($t) AS u(t)",
                          {"t": typed}).fetchall()
    assert len(rows) == len(typed)
    for t, key, compacted in rows:
        assert (key, compacted) == (normalise(t), compact(t)), repr(t)


def test_derive_publishes_the_key_of_every_number():
    """The published key (normalise_sql) takes a shortcut for numbers of the portal's shape (one replace): every
    number, of that shape or not, gets the key `normalise` gives it."""
    rng = random.Random(20)
    shaped = ["УО.2017.000003.1", "УО.0000.0.0", "УО.2017.000000.10", "ӘҚ.01.001.0010", "УО", "УО.", "УО..1",
              "УО.2017.3", "УO.2017.000003.1", "уо.2017.000003.1", "УО.2017.000003.1.", "Ё.00", "УО.-1"]
    shaped += ["УО" + "".join(f".{'0' * rng.randint(0, 3)}{rng.randint(0, 99)}" for _ in range(rng.randint(0, 4)))
               for _ in range(500)]
    alphabet = "0123456789УОуоUOuoYyАаКкkIiІіӘәҚқЁё.-/_ \t\u00a0\u202f"
    typed = shaped + ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 24))) for _ in range(3000)]
    typed = list(dict.fromkeys(typed))
    with duckdb.connect() as db:
        for name, spec in TABLES.items():  # empty canonical tables, but for the numbers
            columns = ", ".join(f"{c.name!r} {DUCKDB_TYPE[c.type]}".replace("'", '"') for c in spec.columns)
            db.execute(f"CREATE TABLE c_{name} (_file VARCHAR, _row BIGINT, {columns})")
        db.execute("INSERT INTO c_applications (application_number) SELECT unnest($t)", {"t": typed})
        db.execute("ATTACH ':memory:' AS snap")
        db.execute(_derive_sql())
        keys = dict(db.execute("SELECT application_number, number_key FROM snap.applications").fetchall())
    assert keys == {t: normalise(t) for t in typed}


def test_the_published_keys_are_those_of_the_numbers(con):
    assert con.execute("SELECT application_number, number_key FROM lookups ORDER BY 1").fetchall() == \
        sorted((n, normalise(n)) for n in NUMBERS)
    assert dict(con.execute("SELECT key, value FROM meta WHERE key LIKE 'number_%'").fetchall()) == \
        {"number_key": "2", "number_pattern": "УО.{year}.######.#"}


# --- every number, every form, every way in ------------------------------------------------------

@pytest.mark.parametrize("number, name, typed", FORMS, ids=FORM_IDS)
def test_the_engine_finds_every_form(con, number, name, typed):
    assert lookup(con, typed)["application_number"] == number
    past = lookup(con, typed, PAST)
    assert (past and past["application_number"]) == (number if number != D else None)


@pytest.mark.parametrize("number, name, typed", FORMS, ids=FORM_IDS)
def test_kezek_lookup_finds_every_form(published, capsys, number, name, typed):
    code, out, err = cli_lookup(capsys, typed, "--json", home=published)
    assert (code, json.loads(out)["application_number"]) == (0, number), err
    code, out, err = cli_lookup(capsys, typed, "--as-of", PAST.isoformat(), "--json", home=published)
    if number == D:  # registered in 2017
        assert code == 3 and PATTERN["en"] in err
    else:
        assert (code, json.loads(out)["application_number"], json.loads(out)["as_of"]) == (0, number, "2016-12-31")


@pytest.mark.parametrize("number, name, typed", FORMS, ids=FORM_IDS)
def test_the_api_finds_every_form(api, number, name, typed):
    if "/" in typed:  # a path segment cannot hold it: asked for as a parameter instead
        response = api.get(f"{PREFIX}/queue?" + urllib.parse.urlencode({"number": typed}))
        assert response.status_code == 200, response.text
        assert number in [i["application_number"] for i in response.json()["items"]]
        return
    path = f"{PREFIX}/applications/{urllib.parse.quote(typed, safe='')}"
    response = api.get(path)
    assert (response.status_code, response.json()["application_number"]) == (200, number), response.text
    past = api.get(path + f"?as_of={PAST.isoformat()}")
    if number == D:
        assert past.status_code == 404 and past.json()["pattern"] == PATTERN["en"]
    else:
        assert (past.status_code, past.json()["application_number"]) == (200, number)
    assert api.get(path + "/history").json()["application_number"] == number
    assert api.get(path + "/forecast").status_code == 200


def test_a_real_kezek_lookup_process_finds_a_mixed_form(published):
    done = run_kezek("lookup", " uo-2015 3712_1 ", "--as-of", "2016-01-01", "--json", home=published)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["application_number"] == A


def test_the_lookup_page_finds_a_mixed_form(published, monkeypatch):
    at = visit(published, monkeypatch, page="lookup", lang="ru", app="uo 2016-24 1")
    shown = texts(at).replace("\\", "")  # Markdown escapes the dots
    assert "не найдено" not in shown and B in shown


# --- not found: the pattern, and no number ------------------------------------------------------

UNKNOWN = "УО.2099.000001.1"


def without_digits(text: str, *allowed: str) -> bool:
    for part in allowed:
        text = text.replace(part, "")
    return not re.search(r"[0-9]", text)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_lookup_page_says_the_pattern_and_no_number(published, monkeypatch, lang):
    at = visit(published, monkeypatch, page="lookup", lang=lang, app=UNKNOWN)
    [message] = [i.value for i in at.info]
    assert f"`{PATTERN[lang]}`" in message
    assert without_digits(message, "01.08.2017" if lang != "en" else "2017-08-01"), message


@pytest.mark.parametrize("lang, accept", [("en", None), ("ru", "ru-RU,ru;q=0.9"), ("kk", "kk"), ("en", "de")])
def test_the_api_says_the_pattern_in_the_readers_language(api, lang, accept):
    response = api.get(f"{PREFIX}/applications/{UNKNOWN}", headers={"Accept-Language": accept} if accept else {})
    body = response.json()
    assert (response.status_code, body["error"], body["pattern"]) == (404, "not_found", PATTERN[lang])
    assert PATTERN[lang] in body["detail"] and without_digits(body["detail"]), body
    assert response.headers["Content-Language"] == lang and "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize("option", [[], ["--history"], ["--forecast"]])
def test_kezek_lookup_says_the_pattern_in_its_language(published, capsys, lang, option):
    code, out, err = cli_lookup(capsys, UNKNOWN, *option, "--lang", lang, home=published)
    assert (code, out) == (3, "") and PATTERN[lang] in err
    assert without_digits(err, repr(UNKNOWN)), err


def test_the_pattern_is_derived_from_the_numbers():
    def derived(*numbers):
        with duckdb.connect() as db:
            db.execute("CREATE TABLE a AS SELECT unnest($n) AS application_number", {"n": list(numbers)})
            return number_pattern.derive(db, "a")

    assert derived(A, B) == "УО.{year}.######.#"
    assert derived("AB-1234-5", "AB-9876-5") == "AB-####-#"  # 9876 is no year
    assert derived("12345", "67890") == "#####"
    assert derived(A, "УО.2015.3712.1") is None  # no one shape: general words instead
    assert derived("ABC") is None  # no digits: the shape would be the number
    assert derived() is None


# --- numbers that share a key ------------------------------------------------------------------

LONG, SHORT, OTHER = "УО.2018.000016.1", "УО.2018.16.1", "УО.2018.000017.1"


@pytest.fixture(scope="module")
def sharing(tmp_path_factory):
    numbers = {LONG: "2018-01-10 10:00", SHORT: "2018-01-11 10:00", OTHER: "2018-01-12 10:00"}
    return publish(tmp_path_factory.mktemp("sharing"), numbers, "sharing", "2018-08-01 12:00")


def test_numbers_that_share_a_key_are_published_with_a_warning(sharing):
    _, report = sharing
    [warning] = [w.message for w in report.warnings if "leading zeros" in w.message]
    assert LONG in warning and SHORT in warning and OTHER not in warning


@pytest.mark.parametrize("as_of", [None, dt.date(2018, 3, 1)])
def test_a_shared_key_finds_neither_and_the_published_forms_find_their_own(sharing, as_of):
    home, _ = sharing
    with opened(home) as con:
        found = {typed: (doc or {}).get("application_number") for typed in
                 [LONG, SHORT, " уо.2018.000016.1", "UO.2018.16.1", "УО 2018 16 1", "УО-2018-000016-1", "уо.2018.016.1",
                  "УО 2018 17 1"] for doc in [lookup(con, typed, as_of)]}
    assert found == {LONG: LONG, SHORT: SHORT, " уо.2018.000016.1": LONG, "UO.2018.16.1": SHORT,
                     "УО 2018 16 1": None, "УО-2018-000016-1": None, "уо.2018.016.1": None,
                     "УО 2018 17 1": OTHER}  # a number nobody shares a key with stays forgiving


def test_a_shared_key_finds_neither_through_the_api_and_the_cli(sharing, capsys):
    home, _ = sharing
    api = TestClient(Starlette(routes=server.routes(home)))
    assert api.get(f"{PREFIX}/applications/{SHORT}").json()["application_number"] == SHORT
    response = api.get(f"{PREFIX}/applications/УО-2018-16-1", headers={"Accept-Language": "ru"})
    body = response.json()
    assert (response.status_code, "pattern" in body) == (404, False)  # no one shape: general words
    assert "введите его так, как он там записан" in body["detail"] and without_digits(body["detail"])
    code, out, err = cli_lookup(capsys, "УО 2018 16 1", "--json", home=home)
    assert (code, out) == (3, "") and LONG not in err and SHORT not in err and "type it as written there" in err
    code, out, _ = cli_lookup(capsys, "уо.2018.16.1", "--json", home=home)
    assert (code, json.loads(out)["application_number"]) == (0, SHORT)


def test_the_findings_of_a_number_are_its_own_when_its_key_is_shared(sharing):
    from engine.audit.report import _params

    home, _ = sharing
    with opened(home) as con:
        assert _params(con, {"application_number": "уо.2018.16.1"})["number"] == SHORT
        assert _params(con, {"application_number": "УО 2018 16 1"})["number"] is None


def test_numbers_that_differ_only_in_case_or_look_alikes_are_still_refused(tmp_path):
    with pytest.raises(BadInput) as refused:
        publish(tmp_path, {LONG: "2018-01-10 10:00", "uo.2018.000016.1": "2018-01-11 10:00"}, "same")
    assert any("uo.2018.000016.1" in p.message and LONG in p.message for p in refused.value.problems)


# --- a publication made before keys forgave --------------------------------------------------------

def test_an_older_publication_is_read_by_its_own_keys_and_published_again(tmp_path):
    home, _ = publish(tmp_path, REGISTERED, "older")
    assert _complete(home)
    path = store.current(home).path
    with duckdb.connect(str(path)) as db:  # as the previous version left it: compact keys, no meta
        for table in ("applications", "lookups"):
            db.execute(f"DROP INDEX {table}_number_key")
            db.execute(f"UPDATE {table} SET number_key = {compact_sql('application_number')}")
        db.execute("DELETE FROM meta WHERE key IN ('number_key', 'number_pattern')")
    assert not _complete(home)  # an unchanged source is published again (kezek/pipeline.py, COMPLETE_META)
    for hold in (False, True):  # a command reads the file, a server its lookups in memory
        with opened(home) as db:
            snapshot = store.describe(db, hold_lookups=hold)
            assert (snapshot.number_key, snapshot.number_pattern) == (1, None)
            assert lookup(db, "uo.2015. 003712.1", snapshot=snapshot)["application_number"] == A  # as forgiving as it was
            assert lookup(db, "uo.2015. 003712.1", PAST, snapshot=snapshot)["application_number"] == A
            assert lookup(db, "УО.2015.3712.1", snapshot=snapshot) is None  # its keys keep the zeros
    folder = tmp_path / "older-data"
    update([str(folder)], home)
    assert _complete(home)
    with opened(home) as db:
        assert lookup(db, "УО 2015 3712 1")["application_number"] == A
