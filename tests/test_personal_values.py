"""Person-shaped values (an ИИН, a phone, an e-mail) wherever a publisher's export may carry
them: withheld in free text, refused where the value is a key, a place or the publisher's
own words, masked in every problem line; and a wide file scanned in little memory."""

from __future__ import annotations

import re
import subprocess
import sys

import duckdb
import pytest

from conftest import KEZEK, application, kindergarten, run_kezek, vacancy, write_csv, write_dataset
from engine import store
from ingest import privacy

# (text, person-shaped, as a problem line shows it)
EXAMPLES = [
    ("900101300123", True, "9001******23"),
    ("ИИН 900101 300 123", True, "ИИН 9001** *** *23"),
    ("9001 0130 0123", True, "9001 **** **23"),
    ("900101-300-123 и 050515600001", True, "9001**-***-*23 и 0505******01"),
    ("77015551234", True, "7701*****34"),
    ("мама 7 701 555 12 34", True, "мама 7 701 *** ** 34"),
    ("+7 701 555 12 34", True, "+7 701 *** ** 34"),
    ("8 (701) 555-12-34", True, "8 (701) ***-**-34"),
    ("ivanova@mail.kz", True, "i***@mail.kz"),
    ("айгерим@почта.қаз", True, "а***@почта.қаз"),
    # numbers a queue export holds that are no one's
    ("УО.2015.003712.1", False, "УО.2015.003712.1"),
    ("B-2017-000001", False, "B-2017-000001"),
    ("201704100001", False, "201704100001"),          # an id that starts with a date: month 17
    ("БИН 170440012345", False, "БИН 170440012345"),  # a company's БИН: "day" 40
    ("2017-04-10 09:00:00", False, "2017-04-10 09:00:00"),
    ("B-2017-000120 2017-04-10", False, "B-2017-000120 2017-04-10"),  # a bulletin and its date, in an audit finding
    ("1234567890123", False, "1234567890123"),
    ("мест: 25, группа 2015", False, "мест: 25, группа 2015"),
]


def test_duckdb_and_python_read_person_shaped_values_alike():
    con = duckdb.connect()
    for text, personal, masked in EXAMPLES:
        in_sql = con.execute(f"SELECT {privacy.looks_personal_sql('$t')}", {"t": text}).fetchone()[0]
        assert (in_sql, privacy.looks_personal(text), privacy.mask(text)) == (personal, personal, masked), text


APPS = [application("УО.2016.000001.1", "2016-02-01 10:00"), application("УО.2016.000002.1", "2016-02-02 10:00")]
REASONS = {  # event reason → published
    "перезвонить 77015551234": None,
    "мама 7 701 555 12 34": None,
    "ИИН ребенка 900101 300 123": None,
    "ответ на айгерим@почта.қаз": None,
    "по заявлению УО.2015.003712.1, приказ 201704100001": "по заявлению УО.2015.003712.1, приказ 201704100001",
}
KINDERGARTENS = [  # a register of institutions: their phones stay, an ИИН or an e-mail does not
    kindergarten("K1", name_ru="ИП 900101 300 123 «Балапан»", district="айгерим@почта.қаз",
                 address="ул. Абая, 5, тел. 8 7172 55 12 34", phone="+7 7172 55 12 34"),
    kindergarten("K2", name_kk="«Балапан» ЖШС, БИН 170440012345", address="ivanova@mail.kz, ул. Абая, 7"),
]
PUBLISHED_KINDERGARTENS = [
    ("K1", "K1 балабақшасы", None, None, "ул. Абая, 5, тел. 8 7172 55 12 34", "+7 7172 55 12 34"),
    ("K2", "«Балапан» ЖШС, БИН 170440012345", "Детский сад K2", None, None, None),
]


def test_person_shaped_values_are_withheld_from_free_text_and_the_register(tmp_path):
    events = [{"application_number": APPS[i % 2]["application_number"], "at": f"2016-03-0{i + 1} 10:00",
               "event": "privilege_changed", "privilege": "none", "reason": reason} for i, reason in enumerate(REASONS)]
    folder = write_dataset(tmp_path / "ds", {"kindergartens": KINDERGARTENS, "vacancies": [vacancy()], "events": events,
                                             "applications": [{**a, "Примечание": n} for a, n in zip(APPS, ["77015551234", "ok"])]})
    home = tmp_path / "home"
    done = run_kezek("update", "--source", str(folder), home=home, check=True)
    assert "withheld in events.csv: reason 4" in done.stdout
    assert "withheld in kindergartens.csv: name_ru 1, district 1, address 1" in done.stdout
    assert "withheld in applications.csv: Примечание 1" in done.stdout

    con = store.open_snapshot(store.current(home).path)
    assert con.execute("SELECT reason FROM events WHERE event = 'privilege_changed' ORDER BY \"at\"").fetchall() == [
        (r,) for r in REASONS.values()]
    assert con.execute("SELECT kindergarten_id, name_kk, name_ru, district, address, phone FROM kindergartens "
                       "ORDER BY kindergarten_id").fetchall() == PUBLISHED_KINDERGARTENS
    archived = {p.stem: duckdb.sql(f"SELECT * FROM '{p}'").fetchall() for p in home.glob("archive/*/*.parquet")}
    leaks = re.compile(privacy.NOT_INSTITUTIONAL_VALUE + "|7 701|77015551234")
    assert [v for rows in archived.values() for row in rows for v in row if isinstance(v, str) and leaks.search(v)] == []

    run_kezek("export", "--out", str(tmp_path / "out"), "--format", "csv", home=home, check=True)
    exported = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out" / "csv").glob("*.csv"))
    assert "8 7172 55 12 34" in exported and not leaks.search(exported)


def broken(tmp_path, *, apps=APPS, metadata=None, mapping=None, events=None):
    tables = {"kindergartens": [kindergarten()], "vacancies": [vacancy()], "applications": apps}
    if events:
        tables["events"] = events
    folder = write_dataset(tmp_path / "ds", tables, metadata)
    if mapping:
        (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
    return folder


REFUSED = {
    "an ИИН as the application number": (
        dict(apps=[APPS[0], application("900101 300-123", "2016-02-02 10:00")]),
        ["applications.csv, row 3, column application_number: looks like an ИИН, a personal identity number: "
         "9001** ***-*23; publish the number the queue gave the application"], ["900101 300-123"]),
    "an e-mail as the locality": (
        dict(apps=[{**APPS[0], "locality": "ivanova@mail.kz"}, APPS[1]]),
        ["applications.csv, row 2, column locality: looks like personal data (an ИИН, a phone or an e-mail), "
         "not a place: i***@mail.kz"], ["ivanova@mail.kz"]),
    "a person in dataset.json": (
        dict(metadata={"title": "Очередь, ответственный ivanova@mail.kz", "publisher": "Иванова А., 8 701 555 12 34"}),
        ["dataset.json, column title: looks like personal data (an ИИН, a phone or an e-mail): "
         "Очередь, ответственный i***@mail.kz; dataset.json is published, name no person in it",
         "dataset.json, column publisher: looks like personal data (an ИИН, a phone or an e-mail): "
         "Иванова А., 8 701 *** ** 34"], ["ivanova@", "555 12 34"]),
    "a full name mapped to a published column": (
        dict(mapping='[tables.events.columns]\n"ФИО ребенка" = "reason"\n',
             events=[{"application_number": APPS[0]["application_number"], "at": "2016-03-01 10:00",
                      "event": "privilege_changed", "privilege": "none", "ФИО ребенка": "Жекебаева Айгерим"}]),
        ["mapping.toml: table events: header 'ФИО ребенка' names personal data; it cannot be mapped to 'reason', "
         "which is published"], ["Жекебаева"]),
    "problem lines quote values": (
        dict(apps=[{**APPS[0], "birth_date": "900101300123"}, {**APPS[1], "status": "мама +7 701 555 12 34"},
                   application("УО.2016.000003.1", "2016-02-03 10:00", privilege="ivanova@mail.kz")]),
        ["applications.csv, row 2, column birth_date: cannot read the value as a date",  # a birth date is never quoted
         "applications.csv, row 3, column status: unknown value мама +7 701 *** ** 34; expected one of",
         "applications.csv, row 4, column privilege: unknown value i***@mail.kz; expected one of"],
        ["900101300123", "555 12 34", "ivanova@"]),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_personal_values_in_keys_places_metadata_and_mappings_are_refused_and_masked(tmp_path, case):
    given, messages, secrets = REFUSED[case]
    home = tmp_path / "home"
    done = run_kezek("update", "--source", str(broken(tmp_path, **given)), home=home)
    assert done.returncode == 2, done.stderr
    for message in messages:
        assert message in done.stderr
    logged = done.stdout + done.stderr + (home / "update.log").read_text(encoding="utf-8")
    assert [s for s in secrets if s in logged] == []
    assert not (home / "published.json").exists()


def test_a_wide_file_of_free_text_is_scanned_in_little_memory(tmp_path):
    """About 100 KB, 900 columns the format does not know (free text, each scanned for
    personal values): the update stays under 500 MB. Was 700 MB, and quadratic in the
    columns: one pattern per column in one statement."""
    folder = write_dataset(tmp_path / "ds", {"kindergartens": [kindergarten()], "vacancies": [vacancy()]})
    notes = [f"n{j}" for j in range(900)]
    rows = [{**application(f"УО.2016.{i:06d}.1", "2016-02-01 10:00"), **{h: f"t{(i + j) % 9}" for j, h in enumerate(notes)}}
            for i in range(1, 35)]
    rows[3]["n5"], rows[7]["n800"] = "звоните +7 701 555 12 34", "ivanova@mail.kz"
    write_csv(folder / "applications.csv", rows)
    assert 90_000 < (folder / "applications.csv").stat().st_size < 110_000
    # The peak resident memory of the `kezek update` process, as its parent's rusage has it.
    measured = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(done.returncode)")
    done = subprocess.run([sys.executable, "-c", measured, *KEZEK, "update", "--source", str(folder),
                           "--home", str(tmp_path / "home")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "withheld in applications.csv: n5 1, n800 1" in done.stdout
    peak_mb = int(done.stderr.split()[-1]) / 1024  # ru_maxrss is in KB on Linux
    assert peak_mb < 500, f"peak {peak_mb:.0f} MB"


@pytest.mark.parametrize("table, column, value", [("kindergartens", "kindergarten_id", "900101 300 123"),
                                                  ("groups", "group_id", "ivanova@mail.kz"),
                                                  ("vacancies", "bulletin_id", "900101-300-123")])
def test_an_id_that_is_an_iin_or_an_e_mail_is_refused_and_masked(tmp_path, table, column, value):
    """A sole proprietor's kindergarten keyed by its owner's ИИН; a group id typed as a
    teacher's e-mail. Ids are published as they are: refused, the value masked in the line."""
    kid = value if column == "kindergarten_id" else "K1"
    tables = {"kindergartens": [kindergarten(kid)],
              "vacancies": [vacancy(value if column == "bulletin_id" else "B1", kid)],
              "applications": [application("УО.2016.000001.1", "2016-02-01 10:00")]}
    if table == "groups":
        tables["groups"] = [{"kindergarten_id": kid, "group_id": value, "name": "Балапан", "birth_year": 2016,
                             "language": "kk", "capacity": 20}]
    done = run_kezek("update", "--source", str(write_dataset(tmp_path / "ds", tables)), home=tmp_path / "home")
    assert done.returncode == 2, done.stderr
    assert f"{table}.csv, row 2, column {column}: looks like personal data (an ИИН or an e-mail), not an id" in done.stderr
    assert value not in done.stderr and not (tmp_path / "home" / "published.json").exists()
