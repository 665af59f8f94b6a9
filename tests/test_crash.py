"""Crash consistency: `kezek update` killed with SIGKILL at random moments of its ingest,
recompute and publication (a power cut, the OOM killer, an operator's kill -9).

After every kill the published snapshot is the whole previous one or the whole new one
(its tables and their rows are exactly those of an uninterrupted run of one of the two
datasets), lookups keep answering, nothing in the home needs repair, and the next update
succeeds and leaves no leftovers. The default run kills a few times; KEZEK_SLOW=1 kills
24 times, spread over the whole update and crowded near its end, where it publishes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time

from conftest import KEZEK, SLOW, application, kindergarten, run_kezek, vacancy, write_dataset
from engine import store
from engine.lookup import lookup

KILLS = 24 if SLOW else 3
TABLES = ("applications", "events", "kindergartens", "groups", "vacancies", "queue", "lookups", "states",
          "findings", "segment_movement", "meta")


def hand_dataset(folder, n: int, early: int = 0):
    """A small city: n applications over three birth years, and `early` more born in 2015,
    registered before all the others."""
    apps = [application(f"УО.{2015 + i % 3}.{i:06d}.1", f"{2015 + i % 3}-03-01 10:{i % 60:02d}",
                        birth_date=f"{2015 + i % 3}-01-15", privilege="first" if i % 7 == 0 else "none")
            for i in range(1, n + 1)]
    apps += [application(f"УО.2015.{900000 + i}.1", f"2015-02-01 09:{i:02d}", birth_date="2015-01-15")
             for i in range(early)]
    return write_dataset(folder, {"kindergartens": [kindergarten()], "vacancies": [vacancy()], "applications": apps})


def contents(home) -> tuple[dict[str, int], str]:
    """Rows per table of the published snapshot, and its id as its own `meta` says."""
    publication = store.current(home)
    con = store.open_snapshot(publication.path)
    try:
        rows = store.table_rows(con, TABLES)
        kept = con.execute("SELECT value FROM meta WHERE key = 'snapshot'").fetchone()[0]
    finally:
        con.close()
    assert kept == publication.snapshot  # the pointer names the file it points at
    return rows, publication.snapshot


def test_an_update_killed_at_any_moment_leaves_a_whole_publication(tmp_path):
    old_source = str(hand_dataset(tmp_path / "old", 40))
    new_source = "demo:astana-2017" if SLOW else str(hand_dataset(tmp_path / "new", 3000))
    reference, duration = {}, 0.0
    for name, source in (("old", old_source), ("new", new_source)):
        ref_home = tmp_path / f"ref-{name}"
        started = time.monotonic()
        run_kezek("update", "--source", source, home=ref_home, check=True)
        duration = time.monotonic() - started  # the new dataset's, the one that is killed
        reference[name] = contents(ref_home)[0]
    assert reference["old"] != reference["new"]
    number = "УО.2015.000003.1"  # in both datasets
    answers = {}
    for name in ("old", "new"):
        con = store.open_snapshot(store.current(tmp_path / f"ref-{name}").path)
        answers[name] = lookup(con, number)
        con.close()

    home = tmp_path / "home"
    run_kezek("update", "--source", old_source, home=home, check=True)
    rng = random.Random(20261202)
    # Kill moments over the whole run (ingest, recompute), and a third in its last fifth,
    # where the audit runs and the snapshot is published.
    moments = [rng.uniform(0.3, duration) if k % 3 else rng.uniform(0.8 * duration, 1.1 * duration)
               for k in range(KILLS)]
    outcomes = {"old": 0, "new": 0}
    for moment in moments:
        proc = subprocess.Popen([*KEZEK, "update", "--source", new_source, "--home", str(home)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moment)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rows, _ = contents(home)
        name = "old" if rows == reference["old"] else "new"
        assert rows == reference[name], f"killed after {moment:.2f} s: a partial publication {rows}"
        outcomes[name] += 1
        found = run_kezek("lookup", number, "--json", home=home)  # no repair step first
        assert found.returncode == 0, found.stderr
        assert json.loads(found.stdout) == answers[name]
        if name == "new":  # start again from the old publication
            run_kezek("update", "--source", old_source, home=home, check=True)
    assert outcomes["old"] >= 1, outcomes  # some kills did land before the switch

    done = run_kezek("update", "--source", new_source, home=home)
    assert done.returncode == 0, done.stderr
    assert contents(home)[0] == reference["new"]
    leftovers = [p.name for p in home.iterdir() if p.name.startswith(".work-")]
    leftovers += [p.name for p in (home / "snapshots").iterdir() if p.name.startswith(".building")]
    assert leftovers == []
    assert os.path.exists(home / "published.json") and not list(home.glob(".published.json.*"))
