"""Publication: immutable snapshots, an atomic pointer, readers that never see half a state."""

from __future__ import annotations

import fcntl

import pytest

from conftest import application, kindergarten, run_kezek, vacancy, write_dataset
from engine import store
from engine import publication
from kezek.pipeline import update


def dataset(folder, n_apps):
    apps = [application(f"УО.2016.{i:06d}.1", f"2016-02-{i:02d} 10:00") for i in range(1, n_apps + 1)]
    return write_dataset(folder, {"kindergartens": [kindergarten()], "vacancies": [vacancy()], "applications": apps})


def test_readers_keep_their_snapshot_and_switch_on_the_next_query(tmp_path, home):
    update([str(dataset(tmp_path / "a", 3))], home)
    reader = store.Reader(home)
    first = reader.publication().snapshot
    held = reader.cursor()
    assert held.execute("SELECT count(*) FROM queue").fetchone()[0] == 3
    update([str(dataset(tmp_path / "b", 5))], home)
    # The cursor opened before the switch still reads the whole old snapshot…
    assert held.execute("SELECT count(*) FROM queue").fetchone()[0] == 3
    # …and the next query reads the new one.
    assert reader.cursor().execute("SELECT count(*) FROM queue").fetchone()[0] == 5
    assert reader.publication().snapshot != first


def test_old_snapshots_are_pruned_but_recent_ones_kept(tmp_path, home):
    folder = dataset(tmp_path / "a", 2)
    for _ in range(publication.KEEP + 3):
        update([str(folder)], home)
    files = sorted(p.name for p in (home / "snapshots").iterdir())
    assert len(files) == publication.KEEP + 1
    assert f"{store.current(home).snapshot}.duckdb" in files
    assert not any(name.startswith(".building") for name in files)


def test_a_second_update_while_one_runs_is_refused(tmp_path, home):
    folder = dataset(tmp_path / "a", 2)
    update([str(folder)], home)
    before = store.current(home)
    with open(home / ".update.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = run_kezek("update", "--source", str(folder), home=home)
    assert done.returncode == 1
    assert "another update is running" in done.stderr
    assert store.current(home) == before


def test_leftovers_of_a_killed_update_are_cleaned_by_the_next(tmp_path, home):
    folder = dataset(tmp_path / "a", 2)
    update([str(folder)], home)
    (home / ".work-99999").mkdir()
    (home / ".work-99999" / "applications.csv.utf8").write_text("decoded copy")
    (home / "snapshots" / ".building-20200101T000000-deadbeef.duckdb").write_bytes(b"half")
    update([str(folder)], home)
    assert not (home / ".work-99999").exists()
    assert not list((home / "snapshots").glob(".building-*"))


def test_unreadable_pointer_is_reported_not_crashed(tmp_path, home):
    home.mkdir()
    (home / "published.json").write_text("{not json")
    with pytest.raises(store.SnapshotUnavailable):
        store.current(home)
    done = run_kezek("lookup", "УО.2016.000001.1", home=home)
    assert done.returncode == 1 and "unreadable" in done.stderr and "Traceback" not in done.stderr
