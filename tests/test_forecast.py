"""When a queue number is likely reached (engine/forecast.py): the simulation against
figures worked out by hand, its behaviour on the Almaty demo, and the backtest kept with
every publication."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from engine import forecast
from engine.forecast import Model, week_end
from engine.lookup import snapshot_as_of

AS_OF = dt.date(2019, 1, 27)  # a Sunday: the history is the 52 whole weeks up to it
EXACT = Model(paths=5, sigma=0.0, sigma_unseen=0.0, shift=0)  # no spread: every path alike
COLUMNS = ("notifications", "referrals_priority", "referrals_free_choice", "referrals_staff_child",
           "referrals_private_state_order", "enrolments", "departures", "privileged_insertions")


def movement(rows: list[tuple[int, dt.date, dict]]) -> duckdb.DuckDBPyConnection:
    """A `segment_movement` of the region Р (one settlement): (birth year, week, flows)."""
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE segment_movement (region VARCHAR, locality VARCHAR, birth_year INTEGER,
                    week DATE, {', '.join(f'{c} BIGINT' for c in COLUMNS)})""")
    con.executemany(f"INSERT INTO segment_movement VALUES ('Р', 'Р', ?, ?, {', '.join('?' for _ in COLUMNS)})",
                    [[year, week, *(flows.get(c, 0) for c in COLUMNS)] for year, week, flows in rows])
    return con


def last_year(birth_year: int, **flows) -> list:
    """The same flows in each of the 52 weeks before AS_OF."""
    monday = forecast.history_until(AS_OF)
    return [(birth_year, monday - dt.timedelta(days=7 * k), flows) for k in range(1, 53)]


def target(waiting: int, general: bool = True, share: float = 0.5, birth_year: int = 2016) -> str:
    return (f"SELECT 'A' AS target, 'Р' AS region, 'Р' AS locality, {birth_year} AS birth_year, "
            f"{waiting} AS waiting, {share} AS share_ahead, {str(general).lower()} AS general")


def test_the_number_is_reached_when_the_offers_of_the_older_cohort_add_up_to_it():
    # The 2015-born got 10 offers a week last year: 25 waiting (24 ahead and this one) are
    # reached in the third week (10, 20, 30).
    con = movement(last_year(2015, notifications=10))
    (found,) = forecast.run(con, target(25), AS_OF, EXACT)
    assert found["weeks"] == (3, 3, 3)
    assert found["range"] == (dt.date(2019, 2, 17),) * 3 == (week_end(AS_OF, 3),) * 3
    assert found["offers_next_year"] == 520


def test_privileged_insertions_hold_back_a_general_application_only():
    # 10 offers, 2 privileged applications slotted ahead a week: a general application moves
    # 8 a week (25 → the fourth week), a privileged one 10 (the third).
    con = movement(last_year(2015, notifications=10, privileged_insertions=2))
    (general,) = forecast.run(con, target(25, general=True), AS_OF, EXACT)
    (privileged,) = forecast.run(con, target(25, general=False), AS_OF, EXACT)
    assert general["weeks"] == (4, 4, 4) and general["insertions_ahead_next_year"] == 104
    assert privileged["weeks"] == (3, 3, 3) and privileged["insertions_ahead_next_year"] == 0


def test_departures_count_in_proportion_to_the_queue_ahead():
    # 4 offers and 8 departures a week, half of the queue ahead: 4 + 4 = 8 a week → 3 weeks for 20.
    con = movement(last_year(2015, notifications=4, departures=8))
    (found,) = forecast.run(con, target(20, share=0.5), AS_OF, EXACT)
    assert found["weeks"] == (3, 3, 3)
    (alone,) = forecast.run(con, target(20, share=0.0), AS_OF, EXACT)
    assert alone["weeks"] == (5, 5, 5)


def test_a_cohort_without_older_children_in_the_data_is_not_reached_within_the_horizon():
    con = movement(last_year(2016, notifications=10))  # only its own history: nothing older
    (found,) = forecast.run(con, target(25), AS_OF, EXACT)
    assert found["range"] == (None, None, None)


def test_weeks_missing_from_the_history_take_the_recent_pace_of_a_cohort_that_age():
    # Only the last 4 weeks are in the data: the first year ahead takes the cohort's own pace
    # (5 a week), so 12 are reached in the third week.
    monday = forecast.history_until(AS_OF)
    con = movement([(2016, monday - dt.timedelta(days=7 * k), {"notifications": 5}) for k in range(1, 5)])
    (found,) = forecast.run(con, target(12), AS_OF, EXACT)
    assert found["weeks"] == (3, 3, 3)


def test_the_spread_widens_the_range_around_the_middle():
    con = movement(last_year(2015, notifications=10))
    (found,) = forecast.run(con, target(300), AS_OF, Model(paths=200))
    j10, j50, j90 = found["weeks"]
    assert j10 < j50 < j90
    assert j10 <= 30 <= j90  # 300 at 10 a week: the thirtieth week lies inside the range
    assert forecast.run(con, target(300), AS_OF, Model(paths=200)) == [found]  # the same data, the same answer


@pytest.fixture(scope="module")
def almaty_home(demo_home):
    return demo_home("almaty")


@pytest.fixture(scope="module")
def almaty_snapshot(almaty_home):
    (path,) = (almaty_home / "snapshots").glob("*.duckdb")
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def test_deeper_in_the_same_queue_means_no_earlier_turn(almaty_snapshot):
    rows = almaty_snapshot.execute("""
        SELECT application_number FROM queue
        WHERE birth_year = 2016 AND status = 'queued' AND privilege = 'none'
        ORDER BY queue_number LIMIT 4 OFFSET 1500""").fetchall()
    first, *_, last = rows
    near, far = forecast.forecast(almaty_snapshot, first[0]), forecast.forecast(almaty_snapshot, last[0])
    assert near["p10"] <= near["p50"] <= near["p90"]
    assert near["p50"] <= far["p50"] and near["waiting_ahead"] < far["waiting_ahead"]
    assert near["as_of"] == snapshot_as_of(almaty_snapshot).isoformat() < near["p10"]


def test_an_application_already_offered_a_place_gets_no_forecast(almaty_snapshot):
    (number,) = almaty_snapshot.execute(
        "SELECT application_number FROM queue WHERE status = 'referred' ORDER BY application_number LIMIT 1").fetchone()
    doc = forecast.forecast(almaty_snapshot, number)
    assert doc["waiting"] is False and (doc["p10"], doc["p50"], doc["p90"], doc["waiting_ahead"]) == (None,) * 4


def test_the_backtest_of_the_publication_is_kept_with_it(almaty_snapshot):
    rows = almaty_snapshot.execute("SELECT * FROM forecast_backtest ORDER BY horizon_weeks").df()
    assert list(rows["horizon_weeks"]) == list(forecast.BACKTEST_HORIZONS)
    assert (rows["judged"] == rows["inside"] + rows["early"] + rows["late"]).all()
    assert rows["judged"].sum() > 100  # Almaty's year of allocations judges some hundreds
    judged = rows[rows["judged"] > 0]
    assert ((judged["inside"] / judged["judged"]).round(3) == judged["coverage"]).all()
    # Recomputed from the snapshot it is the same: the backtest is deterministic.
    again = forecast.backtest(almaty_snapshot, snapshot_as_of(almaty_snapshot))
    assert [r["inside"] for r in again] == list(rows["inside"])


def test_the_backtest_forecasts_each_target_as_the_simulation_does(almaty_snapshot):
    """The backtest simulates each segment once and answers its targets from the paths
    (backtest_forecasts): the same targets and weeks as forecast.sql run for them."""
    from engine import numbering

    con = almaty_snapshot
    first = forecast.first_allocation_week(con)
    horizon, cutoff, forecasts = con.execute(
        "SELECT horizon_weeks, cutoff, forecasts FROM forecast_backtest WHERE judged > 0 "
        "ORDER BY horizon_weeks DESC LIMIT 1").fetchone()
    fast = forecast.backtest_forecasts(con, cutoff, horizon, first=first)
    targets = (f"SELECT * FROM ({forecast.targets_sql(numbering.queue_sql())}) "
               f"WHERE status IN ({forecast.WAITING_SQL}) "
               f"ORDER BY hash(target, $seed), target LIMIT {forecast.BACKTEST_SAMPLE}")
    simulated = forecast.run(con, targets, cutoff, weeks=horizon, params=numbering.state_params(cutoff), first=first)
    assert len(fast) == forecasts == len(simulated) > 1000
    assert fast == [(f["target"], f["weeks"]) for f in simulated]
    assert {weeks[2] <= horizon for _, weeks in fast} == {True, False}  # some judged, some not


def test_what_if_gives_the_places_to_the_first_waiting_in_queue_order():
    from engine.what_if import what_if

    con = duckdb.connect()
    con.execute("""CREATE TABLE queue AS SELECT * FROM (VALUES
        ('Р', 'Р', 2016, 1, TIMESTAMP '2016-03-01 10:00', 'extraordinary', 'queued'),
        ('Р', 'Р', 2016, 2, TIMESTAMP '2016-02-01 10:00', 'first', 'notified'),
        ('Р', 'Р', 2016, 3, TIMESTAMP '2016-01-05 10:00', 'none', 'queued'),
        ('Р', 'Р', 2016, 4, TIMESTAMP '2016-01-06 10:00', 'none', 'stop_list'),
        ('Р', 'Р', 2016, 5, TIMESTAMP '2016-01-07 10:00', 'first', 'queued'),
        ('Р', 'Р', 2016, 6, TIMESTAMP '2016-01-08 10:00', 'none', 'queued'),
        ('Р', 'Р', 2015, 1, TIMESTAMP '2015-01-08 10:00', 'none', 'queued'))
        AS q(region, locality, birth_year, queue_number, registered_at, privilege, status)""")
    # Two places: No. 1 and No. 3 (No. 2 already has an offer); the front moves to No. 5.
    two = what_if(con, "Р", "Р", 2016, 2)
    assert (two["placed"], two["extraordinary"], two["first"], two["general"]) == (2, 1, 0, 1)
    assert (two["front_before"], two["front_after"]) == (1, 5)
    assert two["general_reached"] == dt.datetime(2016, 1, 5, 10)
    # Ten places: only the 4 waiting get one; nobody is left waiting.
    ten = what_if(con, "Р", "Р", 2016, 10)
    assert (ten["waiting"], ten["placed"], ten["front_after"]) == (4, 4, None)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_movement_page_answers_what_if(almaty_home, almaty_snapshot, lang, monkeypatch):
    from test_dashboard import texts, visit

    from i18n import number, t, tn
    from engine.what_if import what_if

    expected = what_if(almaty_snapshot, "Алматы", "Алматы", 2016, 500)
    at = visit(almaty_home, monkeypatch, "movement", lang, what_if_year="2016", what_if_places="500")
    shown = texts(at)
    placed = tn("movement.what_if_placed", expected["placed"], lang,
                extraordinary=number(expected["extraordinary"], lang), first=number(expected["first"], lang),
                general=number(expected["general"], lang))
    assert tn("movement.what_if_result", 500, lang, birth_year="2016", place="Алматы", placed=placed) in shown
    assert t("movement.what_if_front", lang, before=number(expected["front_before"], lang),
             after=number(expected["front_after"], lang)) in shown


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_lookup_page_shows_the_forecast_and_the_about_page_its_backtest(almaty_home, almaty_snapshot, lang,
                                                                          monkeypatch):
    from test_dashboard import texts, visit

    from i18n import date, number, t

    (number_,) = almaty_snapshot.execute("""SELECT application_number FROM queue
        WHERE birth_year = 2016 AND status = 'queued' AND privilege = 'none'
        ORDER BY queue_number LIMIT 1 OFFSET 1500""").fetchone()
    expected = forecast.forecast(almaty_snapshot, number_)
    shown = texts(visit(almaty_home, monkeypatch, "lookup", lang, app=number_))
    assert t("forecast.range", lang, p10=date(expected["p10"], lang), p50=date(expected["p50"], lang),
             p90=date(expected["p90"], lang)) in shown
    rows = almaty_snapshot.execute("SELECT sum(inside), sum(judged) FROM forecast_backtest").fetchone()
    about = texts(visit(almaty_home, monkeypatch, "about", lang))
    assert t("about.forecast_coverage", lang, inside=number(rows[0], lang), judged=number(rows[1], lang),
             share=f"{100 * rows[0] / rows[1]:.0f}") in about


def test_the_api_gives_the_same_forecast_for_a_number_typed_any_way(almaty_home, almaty_snapshot):
    from test_api import PREFIX, client_for

    (number,) = almaty_snapshot.execute("""SELECT application_number FROM queue
        WHERE birth_year = 2016 AND status = 'queued' AND privilege = 'none'
        ORDER BY queue_number LIMIT 1 OFFSET 1500""").fetchone()
    api = client_for(almaty_home)
    body = api.get(f"{PREFIX}/applications/{number.lower().replace('УО', 'уо')}/forecast").json()
    assert body == forecast.forecast(almaty_snapshot, number)
    assert body["waiting"] and body["p10"] <= body["p50"] <= body["p90"]


def test_the_movement_page_shows_how_far_the_front_reached(almaty_home, almaty_snapshot, monkeypatch):
    import json

    from test_dashboard import values, visit

    from i18n import t

    at = visit(almaty_home, monkeypatch, "movement", "en")
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (front,) = [c for c in charts if c["layout"]["yaxis"]["title"]["text"] == t("column.front", "en")]
    trace = next(d for d in front["data"] if d["name"] == "2016")
    week, reached = almaty_snapshot.execute("""SELECT week, front_registered_at FROM segment_movement
        WHERE birth_year = 2016 AND front_registered_at IS NOT NULL ORDER BY week DESC LIMIT 1""").fetchone()
    assert str(values(trace["x"])[-1])[:10] == week.isoformat()
    assert str(values(trace["y"])[-1])[:19].replace("T", " ") == reached.isoformat(sep=" ")


def test_kezek_lookup_forecast_prints_the_api_document(almaty_home, almaty_snapshot):
    import json

    from conftest import run_kezek

    (number,) = almaty_snapshot.execute("""SELECT application_number FROM queue
        WHERE birth_year = 2017 AND status = 'queued' AND privilege = 'first'
        ORDER BY queue_number LIMIT 1 OFFSET 300""").fetchone()
    done = run_kezek("lookup", number, "--forecast", "--json", home=almaty_home, check=True)
    assert json.loads(done.stdout) == forecast.forecast(almaty_snapshot, number)
    missing = run_kezek("lookup", "УО.2099.000001.1", "--forecast", home=almaty_home)
    assert missing.returncode != 0 and "not found" in missing.stderr


def test_a_server_answers_every_waiting_application_as_the_simulation_does(almaty_snapshot):
    """engine/forecast_paths.py: a segment simulated once, then each target from the paths held
    in memory — the same weeks, figures and dates as forecast.sql for every target compared."""
    from engine.forecast_paths import SegmentPathsCache, held_forecast
    from engine.lookup import lookup

    con, as_of = almaty_snapshot, snapshot_as_of(almaty_snapshot)
    first = forecast.first_allocation_week(con)
    cache = SegmentPathsCache()
    segments = con.execute(f"""
        SELECT region, locality, birth_year FROM queue WHERE status IN ({forecast.WAITING_SQL})
        GROUP BY ALL ORDER BY count(*) DESC, region, locality, birth_year LIMIT 3""").fetchall()
    compared = 0
    for region, locality, birth_year in segments:
        one_segment = ("SELECT * FROM queue WHERE region = $region AND locality IS NOT DISTINCT FROM $locality "
                       "AND birth_year = $birth_year")
        where = {"region": region, "locality": locality, "birth_year": birth_year}
        # every 40th waiting application of the segment, general and privileged, its first and last
        targets = (f"SELECT * FROM ({forecast.targets_sql(one_segment)}) WHERE status IN ({forecast.WAITING_SQL}) "
                   f"QUALIFY row_number() OVER (ORDER BY waiting) % 40 = 1 "
                   f"OR waiting IN (1, max(waiting) OVER ())")
        simulated = {f["target"]: f for f in forecast.run(con, targets, as_of, params=where, first=first)}
        assert len(simulated) > 5
        for number, found in simulated.items():
            doc = lookup(con, number)
            held = held_forecast(cache, con, "the snapshot", doc, first)
            assert held == forecast.completed(forecast.outline(number, as_of, first), found), number
            compared += 1
    assert compared > 40
    # an application already offered a place: no figures either way
    (referred,) = con.execute("SELECT application_number FROM queue WHERE status = 'referred' "
                              "ORDER BY application_number LIMIT 1").fetchone()
    assert held_forecast(cache, con, "the snapshot", lookup(con, referred), first) == forecast.forecast(con, referred)
