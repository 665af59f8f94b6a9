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


def test_a_snapshot_and_its_open_data_go_only_beyond_both_the_days_and_the_publications_kept(
        tmp_path, home, monkeypatch):
    """interfaces.md: a snapshot's links work "at least 90 days or the last 30 publications,
    whichever keeps more". With the last 2 publications kept instead of 30 (five updates, not
    thirty-one), the snapshots 30 and 20 days old stay with the current one, and the two
    older than 90 days, beyond the last two, go with their open data."""
    import datetime as dt
    import json

    monkeypatch.setattr(publication, "KEEP_PUBLICATIONS", 2)
    today = dt.datetime(2026, 6, 1, 3, 0, tzinfo=dt.timezone.utc)
    published = []
    for n, days_ago in enumerate((200, 150, 30, 20, 0), start=2):  # the folder changes each time
        update([str(dataset(tmp_path / "a", n))], home, now=today - dt.timedelta(days=days_ago))
        published.append(store.current(home).snapshot)
    kept = published[2:]
    assert sorted(p.stem for p in (home / "snapshots").glob("*.duckdb")) == kept
    assert sorted(p.name for p in (home / publication.OPEN_DATA).iterdir() if p.is_dir()) == kept
    assert all((home / publication.OPEN_DATA / s / publication.zip_name(s)).is_file() for s in kept)
    # the list of publications keeps every one, with links only to the files kept
    listed = json.loads((home / publication.OPEN_DATA / publication.VERSIONS).read_text(encoding="utf-8"))
    assert [p["snapshot"] for p in listed["publications"]] == published[::-1]
    assert [p["snapshot"] for p in listed["publications"] if p["files"]] == kept[::-1]
    assert listed["current"] == published[-1]


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
    (home / publication.OPEN_DATA / ".building-20200101T000000-deadbeef" / "csv").mkdir(parents=True)
    update([str(folder)], home)
    assert not (home / ".work-99999").exists()
    assert not list((home / "snapshots").glob(".building-*"))
    assert not list((home / publication.OPEN_DATA).glob(".building-*"))


def test_a_failed_switch_leaves_neither_the_snapshot_nor_its_open_data(tmp_path, home, monkeypatch):
    folder = dataset(tmp_path / "a", 2)
    update([str(folder)], home)
    before = store.current(home)
    exported = sorted(p.name for p in (home / publication.OPEN_DATA).iterdir() if p.is_dir())

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "write_pointer", refuse)
    with pytest.raises(OSError):
        update([str(dataset(tmp_path / "b", 3))], home)
    assert store.current(home) == before
    assert sorted(p.name for p in (home / publication.OPEN_DATA).iterdir() if p.is_dir()) == exported
    assert sorted(p.stem for p in (home / "snapshots").glob("*.duckdb")) == exported


def test_unreadable_pointer_is_reported_not_crashed(tmp_path, home):
    home.mkdir()
    (home / "published.json").write_text("{not json")
    with pytest.raises(store.SnapshotUnavailable):
        store.current(home)
    done = run_kezek("lookup", "УО.2016.000001.1", home=home)
    assert done.returncode == 1 and "unreadable" in done.stderr and "Traceback" not in done.stderr
