"""Links that never break (interfaces.md, "Links that never break"): an unchanged local
folder is not published again, every kept publication's open-data links answer, the current
one's files are at /open-data/latest/, and the previous versions are listed with what changed.

One home for the module: a folder published by the real `kezek update`, updated again
unchanged, then changed and updated on each of the next runs, while `kezek serve` serves it on
loopback. Twenty publications with KEZEK_SLOW=1; three by default (the same property, ~10 s
for the module)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import SLOW, application, kindergarten, run_kezek, serve, vacancy, write_dataset
from test_dashboard import get  # (status, headers, body) of a GET on the server, an error status included
from i18n import LANGUAGES, number, t

UPDATES = 20 if SLOW else 3  # publications of a folder that changes each time


def write_folder(folder: Path, applications: int) -> Path:
    apps = [application(f"УО.2016.{i:06d}.1", f"2016-02-{i % 28 + 1:02d} 10:{i // 28:02d}")
            for i in range(1, applications + 1)]
    return write_dataset(folder, {"kindergartens": [kindergarten()], "vacancies": [vacancy()], "applications": apps})


def snapshot_of(home: Path) -> str:
    return json.loads((home / "published.json").read_text(encoding="utf-8"))["snapshot"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """The runs of the module's home: the unchanged ones (their output, the snapshot after
    each) and the snapshots of the UPDATES publications, oldest first."""
    root = tmp_path_factory.mktemp("links")
    home, folder = root / "home", write_folder(root / "folder", 1)
    run_kezek("update", "--source", str(folder), home=home, check=True)
    published = [snapshot_of(home)]
    again = run_kezek("update", "--source", str(folder), home=home)
    for path in folder.iterdir():  # copied again: new modification times, the same contents
        os.utime(path, (path.stat().st_atime + 60, path.stat().st_mtime + 60))
    touched = run_kezek("update", "--source", str(folder), home=home)
    unchanged = {"again": again, "touched": touched, "snapshot": snapshot_of(home),
                 "log": (home / "publications.jsonl").read_text(encoding="utf-8").splitlines()}
    for n in range(2, UPDATES + 1):  # one application more each time
        run_kezek("update", "--source", str(write_folder(folder, n)), home=home, check=True)
        published.append(snapshot_of(home))
    return {"home": home, "folder": folder, "unchanged": unchanged, "published": published}


@pytest.fixture(scope="module")
def site(runs) -> str:
    yield from serve(runs["home"])


def test_an_unchanged_folder_updated_twice_publishes_once(runs):
    unchanged, home = runs["unchanged"], runs["home"]
    for done in (unchanged["again"], unchanged["touched"]):  # touched: only modification times differ
        assert done.returncode == 0, done.stderr
        assert "unchanged since the last publication" in done.stdout and "not published" in done.stdout
    assert unchanged["snapshot"] == runs["published"][0]
    assert len(unchanged["log"]) == 1  # one publication in the changelog
    # …and the runs that found it unchanged count as successful updates (the pages' "updated …")
    lines = (home / "update.log").read_text(encoding="utf-8").splitlines()
    assert [line.split()[1] for line in lines[:3]] == ["exit=0"] * 3
    assert "unchanged, nothing published" in lines[1] and "unchanged, nothing published" in lines[2]


def test_a_changed_mapping_publishes_the_same_folder_again(tmp_path):
    """The fingerprint is of the files and the mapping: the same folder read with a mapping
    is another publication (in a home of its own; `update` in this process, the faster)."""
    from kezek.pipeline import update

    home = tmp_path / "home"
    folder = write_folder(tmp_path / "folder", 2)
    update([str(folder)], home)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[dataset]\ntitle = "Astana"\n', encoding="utf-8")
    assert not update([str(folder)], home, mapping).unchanged
    assert update([str(folder)], home, mapping).unchanged
    assert len((home / "publications.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_every_publication_keeps_its_open_data_links(runs, site):
    published = runs["published"]
    assert len(set(published)) == UPDATES
    for n, snapshot in enumerate(published, start=1):
        for path in (f"/open-data/{snapshot}.zip", f"/open-data/{snapshot}/datapackage.json",
                     f"/open-data/{snapshot}/csv/queue.csv"):
            status, headers, _ = get(site + path)
            assert status == 200 and "immutable" in headers["Cache-Control"], path
        # each link gives its own publication's data: n applications in the n-th
        _, _, body = get(f"{site}/open-data/{snapshot}/csv/applications.csv")
        assert len(body.decode("utf-8").splitlines()) == n + 1, snapshot


def test_latest_gives_the_current_publications_own_files_and_names_their_permanent_link(runs, site):
    current = runs["published"][-1]
    for path in ("csv/applications.csv", "datapackage.json"):
        status, headers, body = get(f"{site}/open-data/latest/{path}")
        assert status == 200
        assert body == get(f"{site}/open-data/{current}/{path}")[2]
        assert headers["Content-Location"] == f"/open-data/{current}/{path}"
        assert headers["X-Kezek-Snapshot"] == current and "no-cache" in headers["Cache-Control"]
    status, headers, body = get(f"{site}/open-data/latest.zip")
    assert status == 200 and body == get(f"{site}/open-data/{current}.zip")[2]
    assert f"kezek-{current}.zip" in headers["Content-Disposition"]
    for wrong in ("/open-data/latest/../published.json", "/open-data/latest/csv/nothing.csv"):
        assert get(site + wrong)[0] == 404, wrong


def test_the_previous_versions_say_what_changed_and_link_their_files(runs, site):
    status, headers, body = get(f"{site}/open-data/publications.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    listed = json.loads(body)
    published = runs["published"]
    assert listed["current"] == published[-1] and listed["latest"] == "/open-data/latest/"
    versions = listed["publications"]
    assert [v["snapshot"] for v in versions] == published[::-1]  # newest first
    assert versions[-1]["changes"] is None  # the first has nothing before it
    for n, version in zip(range(UPDATES, 1, -1), versions):
        assert version["rows"]["applications"] == n
        assert version["changes"]["rows"]["applications"] == 1  # one application more each time
        assert version["changes"]["sources_changed"] == ["applications.csv"]
        assert version["changes"]["sources_added"] == version["changes"]["sources_removed"] == []
        assert get(site + version["files"]["zip"])[0] == get(site + version["files"]["datapackage"])[0] == 200


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_open_data_page_lists_the_previous_versions_with_their_changes_and_files(runs, monkeypatch, lang):
    from test_dashboard import texts, visit

    at = visit(runs["home"], monkeypatch, "open_data", lang)
    versions = at.dataframe[-1].value
    published = runs["published"]
    assert list(versions["snapshot"]) == published[::-1]
    assert list(versions["files"]) == [f"/open-data/{s}.zip" for s in published[::-1]]
    newest = f"{t('resource.applications', lang)} +{number(1, lang)}"
    assert newest in versions["changes"].iloc[0]
    assert t("open_data.sources_changed", lang, files="applications.csv") in versions["changes"].iloc[0]
    assert versions["changes"].iloc[-1] == t("open_data.first_publication", lang)
    assert "/open-data/latest/" in texts(at) and "/open-data/publications.json" in texts(at)
