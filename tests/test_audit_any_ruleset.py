"""Breaches that every ruleset forbids are reported under every ruleset, by `kezek audit --json`.

The scenario tests/scenarios/f_breaches_every_ruleset_forbids.toml (a child notified past an
eligible one ranked ahead, a free-choice referral an hour after the announcement, a referral
to a stop-listed application, two referrals on a one-seat bulletin, a one-year-old referred;
and three lawful referrals out of order) is published once under each ruleset Kezek knows,
named in its dataset.json: the findings must be exactly those five, whatever the windows,
deadlines and stop-list rules of the ruleset, and the lawful ones never flagged.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from conftest import run_kezek, write_dataset
from engine import ruleset
from engine import store
from test_audit_scenarios import dataset, load

SCENARIO = load(Path(__file__).parent / "scenarios" / "f_breaches_every_ruleset_forbids.toml")


@pytest.mark.parametrize("name", sorted(ruleset.rulesets()))
def test_every_ruleset_reports_exactly_these_breaches(name, tmp_path):
    tables, meta = dataset(SCENARIO)
    folder = write_dataset(tmp_path / "ds", tables, {**meta, "ruleset": name})
    home = tmp_path / "home"
    run_kezek("update", "--source", str(folder), home=home, check=True)
    done = run_kezek("audit", "--json", home=home)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    got = Counter((f["type"], f["rule"], f["application_number"], f["bulletin_id"]) for f in doc["findings"])
    want = Counter((f["type"], f["rule"], f["application"], f["bulletin"]) for f in SCENARIO["expected"]["findings"])
    assert got == want, name
    assert doc["legitimate"] == {"free_choice": 1, "private_state_order": 1, "staff_child": 1}
    con = store.open_snapshot(store.current(home).path)
    lawful = Counter(con.execute("SELECT application_number, channel FROM legitimate").fetchall())
    con.close()
    assert lawful == Counter((x["application"], x["channel"]) for x in SCENARIO["expected"]["legitimate"])
