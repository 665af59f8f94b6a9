"""How each queue moved, week by week (the snapshot's `segment_movement`, its API route).

On the hand-computed dataset of test_dashboard.py (its weekly figures are counted in the
comment at its top) and on the demo presets, where every week's queue length must equal
the numbering of rules Q1-Q4 at the end of that week."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from dashboard import server
from engine import numbering, store
from kezek.pipeline import update
from test_dashboard import dataset


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    base = tmp_path_factory.mktemp("movement")
    update([str(dataset(base / "ds"))], base / "home")
    con = store.open_snapshot(store.current(base / "home").path)
    yield base / "home", con
    con.close()


def test_the_weeks_of_july_2018_as_counted_by_hand(hand):
    _, con = hand
    rows = con.execute("""
        SELECT week, sum(queue_length) FILTER (WHERE birth_year = 2016), sum(new_applications), sum(notifications),
               sum(referrals_priority + referrals_free_choice + referrals_staff_child + referrals_private_state_order),
               sum(enrolments)
        FROM segment_movement WHERE week BETWEEN '2018-07-16' AND '2018-07-30' GROUP BY week ORDER BY week""").fetchall()
    assert rows == [(dt.date(2018, 7, 16), 8, 0, 2, 1, 0),
                    (dt.date(2018, 7, 23), 9, 1, 2, 1, 0),
                    (dt.date(2018, 7, 30), 9, 2, 0, 1, 2)]
    # the last week ends with the publication's day: the queue as published
    last = con.execute("""SELECT region, locality, birth_year, queue_length FROM segment_movement
                          WHERE week = (SELECT max(week) FROM segment_movement) ORDER BY ALL""").fetchall()
    published = con.execute("SELECT region, locality, birth_year, count(*) FROM queue GROUP BY ALL ORDER BY ALL").fetchall()
    assert last == published


def test_the_api_pages_and_filters_the_weeks(hand):
    home, con = hand
    api = TestClient(Starlette(routes=server.routes(home)))
    body = api.get("/api/v1/stats/segment_movement", params={"region": "Ақмола облысы", "birth_year": 2016,
                                                             "from": "2018-07-18", "to": "2018-08-01"}).json()
    assert [(i["week"], i["queue_length"], i["referrals_priority"], i["enrolments"]) for i in body["items"]] == [
        ("2018-07-16", 3, 1, 0), ("2018-07-23", 4, 0, 0), ("2018-07-30", 3, 1, 1)]  # 000033 came 28.07
    assert body["items"][-1]["front_registered_at"] == "2018-03-20T10:00:00"  # УО.2018.000031.1 referred 01.08
    total = con.execute("SELECT count(*) FROM segment_movement").fetchone()[0]
    page = api.get("/api/v1/stats/segment_movement", params={"limit": 5, "offset": 5}).json()
    assert page["total"] == total and len(page["items"]) == 5
    assert api.get("/api/v1/stats/segment_movement", params={"from": "2018-08-01", "to": "2018-07-01"}).status_code == 400


@pytest.mark.parametrize("preset", ["astana-2017", "almaty"])
def test_every_weeks_queue_length_is_the_numbering_at_its_end(preset, demo_home):
    con = store.open_snapshot(store.current(demo_home(preset)).path)
    weeks = [w for (w,) in con.execute("SELECT DISTINCT week FROM segment_movement ORDER BY week").fetchall()]
    as_of = dt.date.fromisoformat(con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()[0])
    for week in random.Random(3).sample(weeks[-60:], 6) + [weeks[-1]]:
        end = min(week + dt.timedelta(days=6), as_of)
        expected = dict(((r, l, y), n) for r, l, y, n in con.execute(
            f"SELECT region, locality, birth_year, count(*) FROM ({numbering.queue_sql()}) GROUP BY ALL",
            numbering.state_params(end)).fetchall())
        got = {(r, l, y): n for r, l, y, n in con.execute(
            "SELECT region, locality, birth_year, queue_length FROM segment_movement WHERE week = ? AND queue_length > 0",
            [week]).fetchall()}
        assert got == expected, week
    con.close()
