"""An application's number day by day and the causes of each change (engine/history.py).

Two properties, on random datasets published by the real pipeline and on the demo presets:
every day's number equals what `kezek lookup --as-of` gives for that day, and every day's
causes add up to that day's change. Then the command line and the API.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from conftest import SLOW, application, kindergarten, run_kezek, vacancy, write_dataset
from dashboard import server
from dashboard.components.causes import summary
from engine import store
from engine.history import history
from engine.lookup import lookup
from kezek.pipeline import update

START = dt.date(2018, 1, 1)
DAYS = 60
# Events that move an application in or out of the queue or between its lists.
MOVES = ["privilege_changed", "enrolled", "withdrawn", "deactivated", "reactivated", "stop_listed",
         "stop_list_ended", "removed", "aged_out"]


def check(con, number: str, stride: int = 1) -> int:
    """Compare `number`'s history with lookup --as-of on every `stride`-th day, and check that
    every day's causes add up to its change; return the days compared."""
    doc = history(con, number, every_day=True)
    snapshot = store.describe(con)  # read once, as a server does, not again on each lookup
    for day in doc["days"]:
        assert sum(day["causes"].values()) == day["change"], (number, day)
        assert all(day["causes"].values()), day  # no cause of zero is listed
    for day in doc["days"][::stride]:
        found = lookup(con, number, dt.date.fromisoformat(day["date"]), snapshot=snapshot)
        expected = (found["queue_number"], found["privileged_queue_number"]) if found else (None, None)
        assert (day["queue_number"], day["privileged_queue_number"]) == expected, (number, day, found)
    return len(doc["days"][::stride])


@st.composite
def datasets(draw):
    """One or two segments of a few applications, with privileges, registrations spread over
    two months and random moves in and out of the queue; some statuses only in the register."""
    count = draw(st.integers(3, 14))
    apps, events = [], []
    for i in range(count):
        number = f"УО.2018.{i + 1:06d}.1"
        at = dt.datetime.combine(START, dt.time(9)) + dt.timedelta(days=draw(st.integers(0, DAYS - 1)),
                                                                  minutes=draw(st.integers(0, 600)))
        privilege = draw(st.sampled_from(["none", "none", "first", "extraordinary"]))
        born = draw(st.sampled_from(["2016-03-01", "2016-09-01", "2015-05-05"]))
        row = application(number, at.strftime("%Y-%m-%d %H:%M"), privilege, birth_date=born)
        moves = draw(st.lists(st.tuples(st.sampled_from(MOVES), st.integers(0, DAYS), st.integers(0, 23),
                                        st.sampled_from(["none", "first", "extraordinary"])), max_size=3))
        if moves or draw(st.booleans()):
            events.append({"application_number": number, "at": row["registered_at"], "event": "registered",
                           "privilege": privilege})
            status = "queued"
            for event, day, hour, new in sorted(moves, key=lambda m: (m[1], m[2])):
                when = at + dt.timedelta(days=day, hours=hour - at.hour)
                if when <= at:
                    continue
                e = {"application_number": number, "at": when.strftime("%Y-%m-%d %H:%M"), "event": event}
                if event == "privilege_changed":
                    e["privilege"] = new
                if event == "enrolled":
                    e["kindergarten_id"] = "K1"
                events.append(e)
            row["status"] = status
        else:  # only the register knows: a status and when it took effect
            row["status"] = draw(st.sampled_from(["queued", "enrolled", "withdrawn", "inactive"]))
            if row["status"] != "queued":
                row["status_at"] = (at + dt.timedelta(days=draw(st.integers(1, DAYS)))).strftime("%Y-%m-%d %H:%M")
        apps.append(row)
    return apps, events


@settings(max_examples=150 if SLOW else 5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=datasets())
def test_numbers_equal_lookup_and_causes_add_up_on_random_data(tmp_path_factory, data):
    apps, events = data
    base = tmp_path_factory.mktemp("history")
    tables = {"kindergartens": [kindergarten()], "vacancies": [vacancy()], "applications": apps}
    if events:
        tables["events"] = events
    folder = write_dataset(base / "ds", tables, {"exported_at": (START + dt.timedelta(days=DAYS + 5)).isoformat()})
    report = update([str(folder)], base / "home")
    assert report.snapshot
    con = store.open_snapshot(store.current(base / "home").path)
    try:
        for row in apps:
            check(con, row["application_number"])
    finally:
        con.close()


@st.composite
def series(draw):
    """A series of a few daily lists: applications that appear (some registered long before the
    first list), leave, come back, change privilege or have their registration time changed."""
    days = draw(st.integers(2, 6))
    count = draw(st.integers(3, 12))
    snapshots: list[list[dict]] = [[] for _ in range(days)]
    for i in range(count):
        number = f"УО.2018.{i + 1:06d}.1"
        registered = dt.datetime.combine(START, dt.time(8)) + dt.timedelta(days=draw(st.integers(-300, days - 1)),
                                                                          minutes=draw(st.integers(0, 600)))
        born = draw(st.sampled_from(["2016-03-01", "2016-09-01"]))
        listed = draw(st.lists(st.booleans(), min_size=days, max_size=days))
        changed_at = draw(st.one_of(st.none(), st.integers(1, days - 1)))
        for k in range(days):
            day = dt.datetime.combine(START + dt.timedelta(days=k), dt.time(9))
            if not listed[k] or registered >= day:
                continue
            at = registered - dt.timedelta(days=40) if changed_at is not None and k >= changed_at else registered
            snapshots[k].append(application(number, at.strftime("%Y-%m-%d %H:%M"),
                                            draw(st.sampled_from(["none", "none", "first", "extraordinary"])),
                                            birth_date=born))
    return snapshots


@settings(max_examples=100 if SLOW else 6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(snapshots=series())
def test_on_random_series_numbers_equal_lookup_and_causes_add_up(tmp_path_factory, snapshots):
    """A series' history starts at its first list, and from then on the same two properties
    hold over the events derived from the lists."""
    base = tmp_path_factory.mktemp("series")
    for k, listed in enumerate(snapshots):
        tables = {"applications": listed} if listed else {}
        if k == 0:
            tables |= {"kindergartens": [kindergarten()], "vacancies": [vacancy()]}
        write_dataset(base / "series" / f"{START + dt.timedelta(days=k)}T0900", tables)
    if not any(snapshots):
        return
    update([str(base / "series")], base / "home")
    con = store.open_snapshot(store.current(base / "home").path)
    try:
        for number in sorted({a["application_number"] for listed in snapshots for a in listed}):
            doc = history(con, number)
            assert doc["observed_since"] == START.isoformat()
            assert all(d["date"] >= START.isoformat() for d in doc["days"])
            check(con, number)
    finally:
        con.close()


@pytest.fixture(scope="module", params=["astana-2017", "almaty"])
def demo(request, demo_home):
    home = demo_home(request.param)
    con = store.open_snapshot(store.current(home).path)
    yield home, con
    con.close()


def test_demo_numbers_equal_lookup_and_causes_add_up(demo):
    home, con = demo
    numbers = [n for (n,) in con.execute("SELECT application_number FROM applications ORDER BY application_number").fetchall()]
    checked = sum(check(con, n, stride=9) for n in random.Random(5).sample(numbers, 8))
    assert checked > 150  # days across a year, not a handful


def test_the_document_lists_the_days_of_change_only(demo):
    home, con = demo
    number = con.execute("SELECT application_number FROM queue ORDER BY segment_size DESC, queue_number DESC, "
                         "application_number LIMIT 1").fetchone()[0]
    every = history(con, number, every_day=True)["days"]
    listed = history(con, number)["days"]
    assert {d["date"] for d in every if d["change"]} <= {d["date"] for d in listed}  # every change is listed
    by_date = {d["date"]: i for i, d in enumerate(every)}
    for d in listed:  # and nothing else but entering or leaving the queue
        i = by_date[d["date"]]
        before = every[i - 1]["queue_number"] if i else None
        assert d == every[i]
        assert d["change"] or (d["queue_number"] is None) != (before is None) or i == 0, d
    assert all(d["change"] or d["causes"] == {} for d in listed)
    assert {cause for d in listed for cause in d["causes"]} <= {
        "registered", "enrolled", "withdrawn", "removed", "aged_out", "deactivated", "reactivated",
        "privilege_changed", "register_status", "stop_listed", "stop_list_ended", "interleaving", "own_privilege",
        "notified", "referral_issued", "referral_annulled", "referral_cancelled", "referral_extended",
        "privilege_confirmed", "interest_confirmed"}
    assert listed[-1]["queue_number"] == lookup(con, number)["queue_number"]


def test_a_range_beyond_the_data_is_the_range_of_the_data(demo):
    """Nothing changes before the registration or after the snapshot's day: asking for
    year 1 to year 9999 gives the same days as asking for nothing, and later days none."""
    home, con = demo
    number = con.execute("SELECT application_number FROM queue ORDER BY queue_number DESC, application_number "
                         "LIMIT 1").fetchone()[0]
    whole = history(con, number)
    assert whole["days"] and history(con, number, dt.date(1, 1, 1), dt.date(9999, 12, 31)) == whole
    assert history(con, number, dt.date(9000, 1, 1), dt.date(9999, 12, 31))["days"] == []
    with pytest.raises(ValueError):
        history(con, number, dt.date(2019, 2, 1), dt.date(2019, 1, 1))


def test_cli_prints_the_api_document(demo):
    home, con = demo
    number = con.execute("SELECT application_number FROM queue ORDER BY queue_number DESC, application_number "
                         "LIMIT 1").fetchone()[0]
    done = run_kezek("lookup", number.lower(), "--history", "--json", home=home)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    api = TestClient(Starlette(routes=server.routes(home)))
    response = api.get(f"/api/v1/applications/{number}/history")
    assert response.status_code == 200 and response.json() == doc == history(con, number)
    assert set(doc) == {"application_number", "observed_since", "rules_unknown", "days", "places"} and doc["days"]
    assert (doc["rules_unknown"], doc["places"]) == (False, [])  # the rules of Astana are known; no own queues
    assert doc["observed_since"] is None  # a status log, not a series: nothing limits the history
    first, last = doc["days"][0]["date"], doc["days"][-1]["date"]
    narrowed = api.get(f"/api/v1/applications/{number}/history", params={"from": last, "to": last}).json()
    assert [d["date"] for d in narrowed["days"]] in ([last], [])
    lines = run_kezek("lookup", number, "--history", home=home).stdout.splitlines()
    said = summary(doc, "en")  # the whole history in one sentence first, as on the Lookup page
    if said:
        assert lines.pop(0) == said
    assert len(lines) == len(doc["days"]) and lines[0].startswith(first)


@pytest.mark.parametrize("path, status", [
    ("/applications/УО.2099.000001.1/history", 404),
    ("/applications/x'y/history", 400),
    ("/applications/УО.2017.000001.1/history?from=2018-02-01&to=2018-01-01", 400),
    ("/applications/УО.2017.000001.1/history?from=yesterday", 400),
])
def test_api_errors(demo, path, status):
    home, _ = demo
    response = TestClient(Starlette(routes=server.routes(home))).get("/api/v1" + path)
    assert response.status_code == status, response.text


def test_cli_unknown_number(demo):
    home, _ = demo
    done = run_kezek("lookup", "УО.2099.000001.1", "--history", home=home)
    assert done.returncode == 3 and "not found" in done.stderr


def test_the_lookups_kept_at_publication_are_the_numbers_and_counts_at_its_date(demo):
    """A lookup at the snapshot's date reads one row of `lookups`; computed anew from the
    format's state and the rules (Q1–Q4) at that day, every row must be the same: state,
    numbers, and who stands ahead by privilege class (a self-join, not the window the
    publication uses)."""
    from engine import numbering
    from engine.lookup import snapshot_as_of

    home, con = demo
    params = numbering.state_params(snapshot_as_of(con))
    computed = con.execute(f"""
        WITH q AS ({numbering.queue_sql()}),
        st AS ({numbering.sql('state_at')}),
        ahead AS (
            SELECT me.application_number,
                   count(o.application_number) FILTER (WHERE o.privilege = 'extraordinary') AS e,
                   count(o.application_number) FILTER (WHERE o.privilege = 'first') AS f,
                   count(o.application_number) FILTER (WHERE o.privilege = 'none') AS g
            FROM q AS me LEFT JOIN q AS o
              ON o.region = me.region AND o.locality = me.locality AND o.birth_year = me.birth_year
             AND o.queue_number < me.queue_number
            GROUP BY me.application_number)
        SELECT a.application_number, st.status, st.privilege, q.queue_number, q.privileged_queue_number,
               q.segment_size, ahead.e, ahead.f, ahead.g
        FROM applications AS a JOIN st USING (application_number)
        LEFT JOIN q USING (application_number) LEFT JOIN ahead USING (application_number)
        ORDER BY a.application_number""", params).fetchall()
    kept = con.execute("""
        SELECT application_number, status, privilege, queue_number, privileged_queue_number, segment_size,
               ahead_extraordinary, ahead_first, ahead_none
        FROM lookups ORDER BY application_number""").fetchall()
    assert kept == computed
    assert any(row[6] for row in kept) and any(row[8] for row in kept)  # counts that are not all zero


def test_the_server_s_lookups_in_memory_answer_as_the_snapshot_does(demo):
    """The server holds `lookups` in memory (engine/lookup_index.py); for numbers typed in
    any case, the first and last keys, and numbers that are not there (between two keys,
    beyond the last, longer than every key), it answers exactly what the snapshot does."""
    from engine.lookup_index import LookupIndex

    home, con = demo
    held = store.describe(con, hold_lookups=True)
    assert held.lookups is not None and held.lookups.rows == con.execute("SELECT count(*) FROM lookups").fetchone()[0]
    numbers = [n for (n,) in con.execute(
        "SELECT application_number FROM applications ORDER BY hash(application_number), application_number LIMIT 300").fetchall()]
    first, last = con.execute("SELECT min(application_number), max(application_number) FROM applications").fetchone()
    asked = [*numbers, first, last, *(n.lower() for n in numbers[:20]), last + "0", first[:-1], "Я" * 64, "0"]
    for number in asked:
        assert lookup(con, number, snapshot=held, with_ahead=True) == lookup(con, number, with_ahead=True), number
    assert lookup(con, first, snapshot=held)["application_number"] == first
    assert lookup(con, last + "0", snapshot=held) is None
    empty = con.cursor()
    empty.execute("CREATE TEMP TABLE lookups AS SELECT * FROM main.lookups LIMIT 0")
    nothing = LookupIndex.load(empty)
    assert nothing.rows == 0 and nothing.row(first) is None


def test_the_states_kept_at_publication_are_the_states_at_its_date(demo):
    """The lookup reads each application's status and privilege from `states` (kept at
    publication); they must be exactly the state the format defines at the snapshot's day."""
    from engine import numbering
    from engine.lookup import snapshot_as_of

    home, con = demo
    params = numbering.state_params(snapshot_as_of(con))
    computed = con.execute(f"SELECT application_number, status, privilege FROM ({numbering.sql('state_at')}) "
                           "ORDER BY application_number", params).fetchall()
    kept = con.execute("SELECT application_number, status, privilege FROM states ORDER BY application_number").fetchall()
    assert kept == computed and len(kept) == con.execute("SELECT count(*) FROM applications").fetchone()[0]
