"""The audit measured against the violations planted in the demo data.

Each demo preset breaks every rule a few times on purpose and keeps the list beside the
data (`DemoDataset.ground_truth`, demo/planting.py). Published through the real
pipeline (`kezek update --source demo:PRESET`), the audit must report exactly those: per
finding type, precision and recall 1.0 — one false accusation or one miss fails.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

from engine import store
from engine.audit import FINDING_TYPES, SERIES_FINDINGS


SLOW = os.environ.get("KEZEK_SLOW") == "1"
national = pytest.param("national", marks=[pytest.mark.slow, pytest.mark.skipif(not SLOW, reason="national preset: set KEZEK_SLOW=1")])


@pytest.fixture(scope="module", params=["astana-2017", "almaty", national])
def audited(request, demo_home, demo_data):
    preset = request.param
    con = store.open_snapshot(store.current(demo_home(preset)).path)
    truth = demo_data(preset).ground_truth.to_pylist()
    yield preset, con, truth
    con.close()


def scores(got: Counter, want: Counter) -> tuple[float, float]:
    hit = sum((got & want).values())
    precision = hit / sum(got.values()) if got else 1.0
    recall = hit / sum(want.values()) if want else 1.0
    return precision, recall


def test_precision_and_recall_are_one_for_every_type(audited):
    preset, con, truth = audited
    found = con.execute("SELECT type, application_number, bulletin_id FROM findings").fetchall()
    report, failures = [], []
    # The demo is a status log, not a series: the facts of a series are planted in the
    # scenarios (tests/scenarios/f_series_*) and read off real days (tests/test_series.py).
    for type_ in [t for t in FINDING_TYPES if t not in SERIES_FINDINGS]:
        got = Counter(f for f in found if f[0] == type_)
        want = Counter((t["type"], t["application_number"], t["bulletin_id"]) for t in truth if t["type"] == type_)
        precision, recall = scores(got, want)
        report.append(f"{type_}: planted {sum(want.values())}, found {sum(got.values())}, "
                      f"precision {precision:.2f}, recall {recall:.2f}")
        if not want:
            failures.append(f"{type_}: nothing planted")
        if (precision, recall) != (1.0, 1.0):
            failures.append(f"{type_}: false {sorted(got - want)}, missed {sorted(want - got)}")
    assert not failures, "\n".join([preset, *report, *failures])


def test_every_finding_explains_itself(audited):
    _, con, _ = audited
    rows = con.execute("""SELECT type, rule, "at", evidence, explanation_kk, explanation_ru, explanation_en FROM findings""").fetchall()
    assert rows
    for type_, rule, at, evidence, *texts in rows:
        assert rule and at and evidence.startswith("{"), type_
        assert all(t and "{" not in t for t in texts), texts


def test_legitimate_out_of_order_referrals_are_listed_not_flagged(audited):
    _, con, truth = audited
    channels = dict(con.execute("SELECT channel, count(*) FROM legitimate GROUP BY channel").fetchall())
    assert set(channels) == {"free_choice", "staff_child", "private_state_order"}
    flagged = con.execute("""SELECT count(*) FROM legitimate l JOIN findings f USING (event_seq)
                             WHERE f.type NOT IN ('overdue_referral', 'unconfirmed_privilege', 'missed_removal')""").fetchone()[0]
    assert flagged == 0


def test_the_snapshot_holds_no_birth_date(audited, demo_data):
    preset, con, _ = audited
    columns = con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE column_name ILIKE '%birth_date%'").fetchall()
    assert columns == []
    apps = demo_data(preset).tables["applications"]
    born = dict(zip(apps.column("application_number").to_pylist(), map(str, apps.column("birth_date").to_pylist())))
    rows = con.execute("SELECT application_number, evidence || explanation_kk || explanation_ru || explanation_en FROM findings").fetchall()
    assert all(born[n] not in text for n, text in rows if n)  # a finding never gives its child's birth date
