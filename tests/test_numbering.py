"""Queue numbering, rules Q1–Q4, on datasets published through the real pipeline."""

from __future__ import annotations

import datetime as dt
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
    assert all(f"'{s}'" in numbering.sql("numbering") for s in NUMBERED_STATUSES)
