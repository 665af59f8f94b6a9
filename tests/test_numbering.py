"""Queue numbering, rules Q1–Q4, on datasets published through the real pipeline."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from conftest import application, kindergarten, vacancy, write_dataset
from engine import store
from engine.lookup import lookup
from engine.numbering import queue_at
from kezek.pipeline import update
from reference import STATUS_OF_EVENT
from reference import queue as reference_queue

DAY = dt.date(2017, 6, 1)


def ts(day: int, hour: int = 9, minute: int = 0) -> str:
    """A registration time in January 2016, as exports write it."""
    return f"2016-01-{day:02d} {hour:02d}:{minute:02d}"


def publish(tmp_path, apps, events=(), **meta):
    tables = {"kindergartens": [kindergarten()], "vacancies": [vacancy()], "applications": list(apps)}
    if events:
        tables["events"] = list(events)
    home = tmp_path / "home"
    meta = {"exported_at": DAY.isoformat(), **meta}  # the data describe the queue up to DAY
    update([str(write_dataset(tmp_path / "ds", tables, meta))], home)
    return store.open_snapshot(store.current(home).path)


def numbers(con, day=DAY):
    out = {}
    for (number,) in con.execute("SELECT application_number FROM applications ORDER BY 1").fetchall():
        doc = lookup(con, number, day)
        if doc and doc["in_queue"]:
            out[number] = (doc["queue_number"], doc["privileged_queue_number"])
    return out


E, P, G = "extraordinary", "first", "none"

CASES = {
    # queue-rules.md Q3 example: E1 E2 P1 G1 G2 G3 P2 G4 G5 G6 P3 G7
    "Q3 worked example": (
        [("E1", 1, E), ("E2", 2, E), ("P1", 3, P), ("P2", 4, P), ("P3", 5, P)]
        + [(f"G{i}", 5 + i, G) for i in range(1, 8)],
        {"E1": (1, 1), "E2": (2, 2), "P1": (3, 3), "G1": (4, 0), "G2": (5, 0), "G3": (6, 0),
         "P2": (7, 4), "G4": (8, 0), "G5": (9, 0), "G6": (10, 0), "P3": (11, 5), "G7": (12, 0)},
    ),
    # Q3: "with P = {P1} only: P1 G1 G2 G3 G4 …" (general list continues alone)
    "Q3 first-priority list exhausted": (
        [("P1", 9, P)] + [(f"G{i}", i, G) for i in range(1, 6)],
        {"P1": (1, 1), "G1": (2, 0), "G2": (3, 0), "G3": (4, 0), "G4": (5, 0), "G5": (6, 0)},
    ),
    # Q3: when the general list is exhausted the first-priority list follows in its order
    "Q3 general list exhausted": (
        [("G1", 1, G), ("P1", 2, P), ("P2", 3, P), ("P3", 4, P)],
        {"P1": (1, 1), "G1": (2, 0), "P2": (3, 2), "P3": (4, 3)},
    ),
    # Q3: extraordinary first even when registered last
    "Q3 extraordinary ahead of older applications": (
        [("G1", 1, G), ("P1", 2, P), ("E1", 20, E)],
        {"E1": (1, 1), "P1": (2, 2), "G1": (3, 0)},
    ),
    # Q3 ties on registration time: application_number decides
    "Q3 tie on registered_at": (
        [("УО.2016.000003.1", 5, G), ("УО.2016.000001.1", 5, G), ("УО.2016.000002.1", 5, G)],
        {"УО.2016.000001.1": (1, 0), "УО.2016.000002.1": (2, 0), "УО.2016.000003.1": (3, 0)},
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_numbers_follow_q3_and_q4(tmp_path, case):
    apps, expected = CASES[case]
    con = publish(tmp_path, [application(n, ts(d), p) for n, d, p in apps])
    assert numbers(con) == expected


def test_q1_segments_never_compete(tmp_path):
    con = publish(tmp_path, [
        application("A1", ts(2)), application("A2", ts(1), birth_date="2014-05-05"),
        application("A3", ts(3), locality="Қосшы"), application("A4", ts(1), region="Алматы"),
    ])
    assert numbers(con) == {"A1": (1, 0), "A2": (1, 0), "A3": (1, 0), "A4": (1, 0)}
    doc = lookup(con, "A1", DAY)
    assert (doc["segment_size"], doc["birth_year"], doc["locality"]) == (1, 2015, "Астана")


def ev(number, at, event, **kw):
    return {"application_number": number, "at": at, "event": event, **kw}


def test_q2_leaving_and_returning(tmp_path):
    """Enrolled and inactive applications leave the queue; stop-list keeps its place (Q2)."""
    apps = [application(f"G{i}", ts(i), status=s) for i, s in
            [(1, "enrolled"), (2, "queued"), (3, "queued"), (4, "stop_list")]]
    events = [ev(f"G{i}", ts(i), "registered", privilege="none") for i in range(1, 5)] + [
        ev("G1", "2017-04-12 10:00", "referral_issued", bulletin_id="B1", kindergarten_id="K1", channel="priority"),
        ev("G1", "2017-04-14 10:00", "enrolled", kindergarten_id="K1"),
        ev("G2", "2017-04-20 10:00", "deactivated"),
        ev("G2", "2017-05-10 10:00", "reactivated"),
        ev("G4", "2017-05-02 10:00", "stop_listed"),
    ]
    con = publish(tmp_path, apps, events)
    assert numbers(con, dt.date(2017, 4, 13)) == {"G1": (1, 0), "G2": (2, 0), "G3": (3, 0), "G4": (4, 0)}
    assert numbers(con, dt.date(2017, 4, 14)) == {"G2": (1, 0), "G3": (2, 0), "G4": (3, 0)}
    assert numbers(con, dt.date(2017, 4, 20)) == {"G3": (1, 0), "G4": (2, 0)}
    assert numbers(con, dt.date(2017, 5, 10)) == {"G2": (1, 0), "G3": (2, 0), "G4": (3, 0)}
    doc = lookup(con, "G4", dt.date(2017, 5, 3))
    assert (doc["status"], doc["queue_number"]) == ("stop_list", 2)
    assert lookup(con, "G1", dt.date(2017, 4, 14))["in_queue"] is False


def test_q5_privilege_lost_moves_to_general_queue_at_original_date(tmp_path):
    apps = [application("P1", ts(5), privilege="none"), application("G1", ts(1)), application("G2", ts(2)),
            application("G3", ts(3)), application("G4", ts(9))]
    events = [ev("P1", ts(5), "registered", privilege="first"),
              ev("P1", "2017-05-01 12:00", "privilege_changed", privilege="none")]
    con = publish(tmp_path, apps, events)
    assert numbers(con, dt.date(2017, 4, 30)) == {"P1": (1, 1), "G1": (2, 0), "G2": (3, 0), "G3": (4, 0), "G4": (5, 0)}
    # From 1 May P1 is general, at its original registration date (after G3, before G4).
    assert numbers(con, dt.date(2017, 5, 1)) == {"G1": (1, 0), "G2": (2, 0), "G3": (3, 0), "P1": (4, 0), "G4": (5, 0)}


def test_state_without_events_follows_the_register(tmp_path):
    """No events: the register's status holds from status_at; before it the child was queued."""
    apps = [application("G1", ts(1), status="enrolled", status_at="2017-05-15 10:00"), application("G2", ts(2))]
    con = publish(tmp_path, apps)
    assert numbers(con, dt.date(2017, 5, 14)) == {"G1": (1, 0), "G2": (2, 0)}
    assert numbers(con, dt.date(2017, 5, 15)) == {"G2": (1, 0)}
    assert lookup(con, "G2", dt.date(2015, 12, 31)) is None  # not yet registered


def random_dataset(rng: random.Random, n_apps: int):
    """Applications with random privileges, ties and event histories over two months."""
    apps, events = [], []
    start = dt.datetime(2017, 3, 1)
    for i in range(n_apps):
        number = f"УО.2016.{rng.randint(0, 999):06d}.{i}"
        registered = start + dt.timedelta(days=rng.randint(0, 40), hours=rng.choice([9, 9, 10]))
        privilege = rng.choice(["none"] * 6 + ["first"] * 3 + ["extraordinary"])
        app = {"application_number": number, "region": "Астана", "locality": rng.choice(["Астана", "Қосшы"]),
               "birth_date": dt.date(rng.choice([2014, 2015]), 3, 1), "registered_at": registered,
               "privilege": privilege, "status": "queued", "status_at": None}
        own = [{"application_number": number, "at": registered, "event": "registered", "privilege": privilege}]
        at = registered
        for _ in range(rng.randint(0, 4)):
            at += dt.timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 5))
            kind = rng.choice(["privilege_changed", "stop_listed", "stop_list_ended", "deactivated",
                               "reactivated", "enrolled", "withdrawn", "notified", "referral_cancelled"])
            e = {"application_number": number, "at": at, "event": kind}
            if kind == "privilege_changed":
                e["privilege"] = rng.choice(["none", "first", "extraordinary"])
            if kind == "notified":
                e["bulletin_id"] = "B1"
            if kind == "enrolled":
                e["kindergarten_id"] = "K1"
            own.append(e)
        events += own
        last = [e for e in own if e["event"] != "privilege_changed"][-1]
        app["status"], app["status_at"] = STATUS_OF_EVENT[last["event"]], last["at"]
        privs = [e["privilege"] for e in own if "privilege" in e]
        app["privilege"] = privs[-1]
        apps.append(app)
    return apps, events


def _rows(records):
    fmt = lambda v: v.strftime("%d.%m.%Y %H:%M") if isinstance(v, dt.datetime) else (v.isoformat() if isinstance(v, dt.date) else v)
    return [{k: fmt(v) for k, v in r.items()} for r in records]


@pytest.mark.parametrize("seed", range(3))
def test_lookup_agrees_with_the_rules_on_every_day(tmp_path, seed):
    """Random histories: every application on every day, engine against the plain reading."""
    rng = random.Random(seed)
    apps, events = random_dataset(rng, 60)
    headers = ["application_number", "at", "event", "privilege", "bulletin_id", "kindergarten_id"]
    home = tmp_path / "home"
    folder = write_dataset(tmp_path / "ds", {"kindergartens": [kindergarten()], "vacancies": [vacancy()],
                                             "applications": _rows(apps)},
                           {"exported_at": "2017-05-15"})  # the data describe the queue up to the last day checked
    from conftest import write_csv
    write_csv(folder / "events.csv", _rows(events), headers=headers)
    update([str(folder)], home)
    con = store.open_snapshot(store.current(home).path)
    snapshot = store.describe(con)  # read once, as a server does, not again on each lookup
    day, checked = dt.date(2017, 3, 1), 0
    while day <= dt.date(2017, 5, 15):
        expected = reference_queue(apps, events, day)
        whole = {n: (q, p, s) for n, _, _, _, _, _, _, q, p, s in queue_at(con, day).fetchall()}
        assert whole == expected, day
        if day.day % 10 == 1:  # `kezek lookup`'s own path, one application at a time
            for app in apps:
                doc = lookup(con, app["application_number"], day, snapshot=snapshot)
                got = (doc["queue_number"], doc["privileged_queue_number"], doc["segment_size"]) if doc and doc["in_queue"] else None
                assert got == expected.get(app["application_number"]), (day, app["application_number"])
                checked += 1
        day += dt.timedelta(days=1)
    assert checked == 60 * 9  # 1, 11, 21 and 31 March, 1, 11 and 21 April, 1 and 11 May


def test_the_numbered_statuses_are_written_once():
    """Rule Q2's statuses come from engine/schema.py into every query that numbers: no SQL
    file or module keeps its own list that could drift, and every placeholder is filled."""
    import re
    from pathlib import Path

    from engine import audit, numbering
    from engine.schema import NUMBERED_STATUSES

    root = Path(__file__).resolve().parents[1]
    spelled = re.compile(r"""['"]queued['"],\s*['"]notified['"]""")
    copies = [str(p.relative_to(root)) for folder in ("engine", "ingest", "kezek", "dashboard", "bench")
              for p in (root / folder).rglob("*") if p.suffix in (".py", ".sql") and p.name != "schema.py"
              and spelled.search(p.read_text(encoding="utf-8"))]
    assert copies == []
    texts = [numbering.sql(p.stem) for p in (root / "engine" / "sql").glob("*.sql")] + [t for _, t in audit.sql_files()]
    assert not [t for t in texts if "{numbered_statuses}" in t]
    assert all(f"'{s}'" in numbering.sql("macros") for s in NUMBERED_STATUSES)
    assert [name for name in ("numbering", "spans") if "is_numbered(" not in numbering.sql(name)] == []


# Q3 as macros.sql writes it: the merged list sorted by q3_merge_key, and who stands ahead
# counted along that order.
SORTED_BY_MERGE_KEY = """
WITH keyed AS (
    SELECT *, q3_block(privilege) AS block,
           q3_merge_key(privilege, row_number() OVER (PARTITION BY region, locality, birth_year, privilege
                                                      ORDER BY registered_at, application_number),
                        ratio_first, ratio_general, starts_first) AS merge_key
    FROM state JOIN numbering_rules USING (region) WHERE is_numbered(status))
SELECT application_number, row_number() OVER merged AS queue_number,
       CASE WHEN privilege = 'none' THEN 0 ELSE count(*) FILTER (WHERE privilege <> 'none') OVER merged END,
       count(*) OVER (PARTITION BY region, locality, birth_year),
       count(*) FILTER (WHERE privilege = 'extraordinary') OVER merged - (privilege = 'extraordinary')::INT,
       count(*) FILTER (WHERE privilege = 'first') OVER merged - (privilege = 'first')::INT,
       count(*) FILTER (WHERE privilege = 'none') OVER merged - (privilege = 'none')::INT
FROM keyed
WINDOW merged AS (PARTITION BY region, locality, birth_year ORDER BY block, merge_key ROWS UNBOUNDED PRECEDING)
"""


def test_counting_the_merge_gives_the_order_of_the_merge_key():
    """numbering.sql numbers without sorting the merged list: each application's place is its
    rank in its list plus how many of the other lists come before it. For any ratio and either
    list starting a cycle, random queues get the numbers and the counts ahead that sorting by
    q3_merge_key gives."""
    import duckdb

    from engine import numbering

    rng = random.Random(20)
    con = duckdb.connect()
    con.execute("CREATE TABLE applications (application_number VARCHAR, region VARCHAR, locality VARCHAR, "
                "birth_year INTEGER)")  # segment_applications (macros.sql) reads it
    numbering.create_macros(con)
    columns = "application_number, queue_number, privileged_queue_number, segment_size, ahead_extraordinary, " \
              "ahead_first, ahead_none"
    for _ in range(60):
        con.execute("CREATE OR REPLACE TABLE state (application_number VARCHAR, region VARCHAR, locality VARCHAR, "
                    "birth_year INTEGER, registered_at TIMESTAMP, privilege VARCHAR, status VARCHAR)")
        con.executemany("INSERT INTO state VALUES (?, ?, 'L', ?, ?, ?, ?)", [
            (f"N{i:03d}", rng.choice("AB"), rng.choice([2019, 2020]), dt.datetime(2020, 1, 1, rng.randint(0, 12)),
             rng.choice([E, P, G, G]), rng.choice(["queued", "queued", "enrolled"])) for i in range(rng.randint(1, 40))])
        con.execute("CREATE OR REPLACE TABLE numbering_rules AS SELECT * FROM (VALUES "
                    "('A', TIMESTAMP '2000-01-01', TIMESTAMP '2100-01-01', $a1, $g1, $s1), "
                    "('B', TIMESTAMP '2000-01-01', TIMESTAMP '2100-01-01', $a2, $g2, $s2)) "
                    "AS r(region, valid_from, valid_until, ratio_first, ratio_general, starts_first)",
                    {"a1": rng.randint(1, 4), "g1": rng.randint(1, 4), "s1": rng.random() < 0.5,
                     "a2": rng.randint(1, 4), "g2": rng.randint(1, 4), "s2": rng.random() < 0.5})
        counted = con.execute(f"SELECT {columns} FROM ({numbering.sql('numbering')}) ORDER BY 1",
                              {"until": dt.datetime(2021, 1, 1)}).fetchall()
        assert counted == con.execute(SORTED_BY_MERGE_KEY + " ORDER BY 1").fetchall()


# --- the ruleset drives the numbers and the audit alike ----------------------------------------

ONE_TO_TWO = """
title = "Q3 1:2 (Astana 2017, two general for each first-priority)"
story = '''
Ten applications for children born in 2015 wait in Astana in April 2017: four
first-priority (P1-P4) and six general (G1-G6), registered in the order P1 G1 G2 G3 G4 G5
P2 G6 P3 P4. A four-seat bulletin is offered to P1, G1, G2 and P2: the first four in the
ratio 1:2, not in the ratio 1:3 of Astana's rules (there G3 comes before P2).
'''
ruleset = "astana-2017"
exported_at = "2017-06-05 08:00"
kindergartens = [{ id = "K1" }]
bulletins = [{ id = "B1", kindergarten = "K1", announced_at = "2017-04-10 09:00", birth_year = 2015, language = "kk", seats = 4 }]
applications = [
  { number = "P1", born = "2015-01-15", registered = "2015-02-01 10:00", language = "kk", privilege = "first" },
  { number = "G1", born = "2015-01-15", registered = "2015-02-02 10:00", language = "kk" },
  { number = "G2", born = "2015-01-15", registered = "2015-02-03 10:00", language = "kk" },
  { number = "G3", born = "2015-01-15", registered = "2015-02-04 10:00", language = "kk" },
  { number = "G4", born = "2015-01-15", registered = "2015-02-05 10:00", language = "kk" },
  { number = "G5", born = "2015-01-15", registered = "2015-02-06 10:00", language = "kk" },
  { number = "P2", born = "2015-01-15", registered = "2015-02-07 10:00", language = "kk", privilege = "first" },
  { number = "G6", born = "2015-01-15", registered = "2015-02-08 10:00", language = "kk" },
  { number = "P3", born = "2015-01-15", registered = "2015-02-09 10:00", language = "kk", privilege = "first" },
  { number = "P4", born = "2015-01-15", registered = "2015-02-10 10:00", language = "kk", privilege = "first" },
]
events = '''
2017-04-10 09:00  P1  notified         bulletin=B1
2017-04-10 09:00  G1  notified         bulletin=B1
2017-04-10 09:00  G2  notified         bulletin=B1
2017-04-10 09:00  P2  notified         bulletin=B1
2017-04-11 10:00  P1  referral_issued  bulletin=B1 channel=priority
2017-04-11 10:00  G1  referral_issued  bulletin=B1 channel=priority
2017-04-11 10:00  G2  referral_issued  bulletin=B1 channel=priority
2017-04-11 10:00  P2  referral_issued  bulletin=B1 channel=priority
2017-04-13 10:00  P1  enrolled
2017-04-13 10:00  G1  enrolled
2017-04-13 10:00  G2  enrolled
2017-04-13 10:00  P2  enrolled
'''
"""


def test_a_ruleset_with_a_one_to_two_ratio_changes_the_published_numbers_and_the_audit_alike(tmp_path):
    """The same queue published under Astana's rules (Q3 1:3) and under the publisher's own
    ruleset file, the same rules but two general applications for each first-priority one:
    the published queue, a lookup on a past day, a history and the audit all follow the
    ratio of the ruleset in force."""
    import re
    import tomllib
    from pathlib import Path

    from engine.history import history
    from test_audit_scenarios import dataset

    tables, meta = dataset(tomllib.loads(ONE_TO_TWO))
    root = Path(__file__).resolve().parents[1]
    own = (root / "engine" / "rulesets" / "astana-2017.toml").read_text(encoding="utf-8")
    own = own.replace('name = "astana-2017"', 'name = "astana-2017-one-to-two"')
    own, changed = re.subn(r'(ratio_general = \[\{ from = 2017-04-10, value = )3,', r"\g<1>2,", own)
    assert changed == 1

    published = {}
    for name, ruleset in (("one-to-three", meta["ruleset"]), ("one-to-two", "rules.toml")):
        folder = write_dataset(tmp_path / name, tables, {**meta, "ruleset": ruleset})
        (folder / "rules.toml").write_text(own, encoding="utf-8")
        update([str(folder)], tmp_path / f"home-{name}")
        con = store.open_snapshot(store.current(tmp_path / f"home-{name}").path)
        published[name] = {
            "queue": [n for (n,) in con.execute("SELECT application_number FROM queue ORDER BY queue_number").fetchall()],
            "before": {n: lookup(con, n, dt.date(2017, 4, 9))["queue_number"] for n in ("P2", "G3", "P4")},
            "history": [(d["date"], d["queue_number"]) for d in history(con, "P4", dt.date(2017, 4, 9))["days"]],
            "findings": sorted(con.execute("SELECT type, application_number FROM findings").fetchall()),
            "rules": con.execute("SELECT DISTINCT ruleset, ratio_first, ratio_general FROM numbering_rules").fetchall(),
            "audit_rules": con.execute("SELECT DISTINCT ruleset, value FROM audit_rules "
                                       "WHERE parameter = 'ratio_general'").fetchall(),
        }
        con.close()
    three, two = published["one-to-three"], published["one-to-two"]
    # the queue left after the bulletin: P3 G3 G4 | P4 comes one place earlier with 1:2
    assert three["queue"] == ["P3", "G3", "G4", "G5", "P4", "G6"]
    assert two["queue"] == ["P3", "G3", "G4", "P4", "G5", "G6"]
    # the day before the bulletin: P1 G1 G2 G3 P2 … (1:3) and P1 G1 G2 P2 G3 … (1:2)
    assert three["before"] == {"P2": 5, "G3": 4, "P4": 10}
    assert two["before"] == {"P2": 4, "G3": 5, "P4": 10}
    # the four enrolled leave on 13 April: P4's 10 becomes 5 under 1:3, 4 under 1:2
    assert three["history"] == [("2017-04-13", 5)]
    assert two["history"] == [("2017-04-13", 4)]
    # the audit replays the same ratio: under 1:3 the offer to P2 passed G3 over; under 1:2 it was its turn
    assert ("out_of_order_offer", "P2") in three["findings"]
    assert two["findings"] == []
    assert three["rules"] == [("astana-2017", 1, 3)] and three["audit_rules"] == [("astana-2017", "3")]
    assert two["rules"] == [("astana-2017-one-to-two", 1, 2)] and two["audit_rules"] == [("astana-2017-one-to-two", "2")]


def test_a_ruleset_file_is_checked_like_the_built_in_ones(tmp_path):
    """A publisher's ruleset with a unit its parameter cannot have is refused before anything
    is published: exit 2, naming the file, the parameter and the unit."""
    import tomllib
    from pathlib import Path

    from conftest import run_kezek
    from test_audit_scenarios import dataset

    tables, meta = dataset(tomllib.loads(ONE_TO_TWO))
    folder = write_dataset(tmp_path / "ds", tables, {**meta, "ruleset": "rules.toml"})
    own = (Path(__file__).resolve().parents[1] / "engine" / "rulesets" / "astana-2017.toml").read_text(encoding="utf-8")
    own = own.replace('name = "astana-2017"', 'name = "own"').replace('value = 3, unit = "application"',
                                                                  'value = 3, unit = "apple"')
    (folder / "rules.toml").write_text(own, encoding="utf-8")
    done = run_kezek("update", "--source", str(folder), home=tmp_path / "home")
    assert done.returncode == 2, done.stderr
    assert "rules.toml" in done.stderr and "ratio_general" in done.stderr and "'apple'" in done.stderr
    assert not (tmp_path / "home" / "published.json").exists()
    (folder / "dataset.json").write_text(json.dumps({**meta, "ruleset": "../rules.toml"}), encoding="utf-8")
    done = run_kezek("update", "--source", str(folder), home=tmp_path / "home")
    assert done.returncode == 2 and "not a file of the dataset's folder" in done.stderr
