"""A series of published lists (ingest/series.py): snapshot folders, and the events derived
from consecutive snapshots — on a hand-made series whose events can be read off its table,
and on three real days of Vilnius's published list, against an independent diff of the files."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from ingest.problems import BadInput
from ingest.series import derive_events, snapshot_folders

VILNIUS = Path(__file__).parent / "data" / "vilnius-excerpt"
EXAMPLE_MAPPING = Path(__file__).parents[1] / "examples" / "vilnius" / "mapping.toml"
CHILD, APPLIED = "Vaiko Identifikacinis Nr.", "Prašymo pateikimo data"


def day(d: int, hour: int = 2) -> dt.datetime:
    return dt.datetime(2026, 3, d, hour, 10)


# Each snapshot of the hand-made series: application → (registered_at, privilege).
R1, R2, R3 = dt.datetime(2025, 1, 5, 9), dt.datetime(2025, 2, 1, 9), dt.datetime(2025, 3, 1, 9)
SERIES = {
    day(1): {"A": (R1, "none"), "B": (R2, "none")},
    day(2): {"A": (R1, "first"), "C": (R3, "none")},                    # B left, C registered, A's privilege changed
    day(3): {"A": (R1, "first"), "C": (R3, "none")},                    # nothing changed
    day(4): {"A": (R1, "first"), "B": (R2, "none"), "C": (R2, "none")},  # B returned, C's registration moved a month back
}
EXPECTED = [  # (event, application, at, seen in)
    ("registered", "A", R1, day(1)), ("registered", "B", R2, day(1)),
    ("left", "B", day(2), day(2)), ("privilege_changed", "A", day(2), day(2)), ("registered", "C", R3, day(2)),
    ("returned", "B", day(4), day(4)), ("registration_changed", "C", day(4), day(4)),
]


def load(con, series: dict) -> None:
    con.execute("CREATE TABLE series_snapshots (snapshot_at TIMESTAMP)")
    con.executemany("INSERT INTO series_snapshots VALUES (?)", [[at] for at in series])
    con.execute("CREATE TABLE listed (snapshot_at TIMESTAMP, application_number VARCHAR, "
                "registered_at TIMESTAMP, privilege VARCHAR)")
    con.executemany("INSERT INTO listed VALUES (?, ?, ?, ?)",
                    [[at, n, r, p] for at, listed in series.items() for n, (r, p) in listed.items()])


def test_the_events_of_a_series_are_read_off_consecutive_snapshots():
    con = duckdb.connect()
    load(con, SERIES)
    got = [(e, n, at, seen) for n, at, e, seen, derived in derive_events(con).select(
        'application_number, "at", event, seen_in, derived').fetchall() if derived]
    assert sorted(got, key=lambda x: (x[3], x[1], x[0])) == sorted(EXPECTED, key=lambda x: (x[3], x[1], x[0]))
    assert len(got) == derive_events(con).count("*").fetchall()[0][0]  # every row is marked derived


def test_snapshot_folders_are_dated_subfolders_oldest_first(tmp_path):
    for name in ("2026-03-21T0210", "2026-03-19", "2026-03-20T0930", "notes", "2026-13-01"):
        (tmp_path / name).mkdir()
    (tmp_path / "mapping.toml").write_text("")
    assert [(at, p.name) for at, p in snapshot_folders(tmp_path)] == [
        (dt.datetime(2026, 3, 19), "2026-03-19"), (dt.datetime(2026, 3, 20, 9, 30), "2026-03-20T0930"),
        (dt.datetime(2026, 3, 21, 2, 10), "2026-03-21T0210")]
    assert snapshot_folders(tmp_path / "notes") == []
    (tmp_path / "2026-03-19T0000").mkdir()
    with pytest.raises(BadInput, match="2026-03-19T0000: the same snapshot time as 2026-03-19"):
        snapshot_folders(tmp_path)


def vilnius_ids(folder: Path) -> set[str]:
    """The children a day's file lists, read with Python's csv module (not with DuckDB)."""
    with open(folder / "laukianciuju_eileje_ataskaita.csv", encoding="utf-8", newline="") as fh:
        return {row[CHILD] for row in csv.DictReader(fh, delimiter=";") if row.get(CHILD)}


def test_on_real_vilnius_days_left_and_registered_equal_a_diff_of_the_files():
    folders = snapshot_folders(VILNIUS)
    assert len(folders) == 4
    con = duckdb.connect()
    con.execute("CREATE TABLE series_snapshots AS SELECT unnest($t) AS snapshot_at", {"t": [at for at, _ in folders]})
    con.execute("CREATE TABLE listed (snapshot_at TIMESTAMP, application_number VARCHAR, "
                "registered_at TIMESTAMP, privilege VARCHAR)")
    for at, folder in folders:
        con.execute(
            f"""INSERT INTO listed
                SELECT $at, "{CHILD}", CAST("{APPLIED}" AS TIMESTAMP), concat_ws('|', *COLUMNS('^Prioritetas'))
                FROM read_csv($path, delim = ';', header = true, all_varchar = true, null_padding = true)
                WHERE "{CHILD}" IS NOT NULL""",
            {"at": at, "path": str(folder / "laukianciuju_eileje_ataskaita.csv")})
    derived = derive_events(con)
    diffs = []
    for (_, a), (after, b) in zip(folders, folders[1:]):
        old, new = vilnius_ids(a), vilnius_ids(b)
        counts = dict(derived.filter(f"seen_in = TIMESTAMP '{after}'").aggregate("event, count(*)").fetchall())
        assert (counts.get("left", 0), counts.get("registered", 0)) == (len(old - new), len(new - old)), after
        diffs.append((len(old - new), len(new - old)))
    # the excerpt shows children joining in the season and leaving after it: (left, registered)
    assert diffs[0][1] > 0 and diffs[-1][0] > 0, diffs
    first = vilnius_ids(folders[0][1])
    assert dict(derived.filter(f"seen_in = TIMESTAMP '{folders[0][0]}'").aggregate("event, count(*)").fetchall()) \
        == {"registered": len(first)}  # the first snapshot: everybody listed, seen for the first time


def commit_all(repo: Path, when: str, message: str) -> None:
    env = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_NAME": "scraper",
           "GIT_AUTHOR_EMAIL": "scraper@example.org", "GIT_COMMITTER_NAME": "scraper",
           "GIT_COMMITTER_EMAIL": "scraper@example.org", "PATH": "/usr/bin:/bin", "HOME": str(repo)}
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", message], check=True, env=env)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_git_repository_of_daily_commits_is_the_same_series_as_its_folders(tmp_path):
    """A scraper's repository: the list under data/, committed each day at the folder's time
    (Vilnius's clock, +02:00); a commit earlier in the same minute and a commit outside data/
    are not snapshots of their own."""
    from ingest.git_series import commit_snapshots, materialize

    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for at, folder in snapshot_folders(VILNIUS):
        stamp = f"{at:%Y-%m-%dT%H:%M}:00+02:00"
        (repo / "data" / "laukianciuju_eileje_ataskaita.csv").write_text("a first try, replaced", encoding="utf-8")
        commit_all(repo, f"{at:%Y-%m-%dT%H:%M}:05+02:00", "first try")
        for old in (repo / "data").iterdir():
            old.unlink()  # a commit holds that day's files only
        for file in folder.iterdir():
            shutil.copy(file, repo / "data")
        commit_all(repo, f"{at:%Y-%m-%dT%H:%M}:40+02:00", f"list of {stamp}")
        (repo / "README.md").write_text(f"scraped {stamp}", encoding="utf-8")
        commit_all(repo, f"{at + dt.timedelta(hours=3):%Y-%m-%dT%H:%M}:00+02:00", "readme")
    out = tmp_path / "series"
    for snapshot in commit_snapshots(repo / "data", out):
        materialize(repo / "data", snapshot)
    assert [p.name for _, p in snapshot_folders(out)] == [p.name for _, p in snapshot_folders(VILNIUS)]
    assert tree(out) == {k: v for k, v in tree(VILNIUS).items() if k != "README.md"}


def test_a_folder_that_is_no_repository_is_named(tmp_path):
    from ingest.git_series import commit_snapshots

    with pytest.raises(BadInput, match=r"git:.*not readable as a git repository"):
        commit_snapshots(tmp_path, tmp_path / "series")


# --- a series published by `kezek update` ------------------------------------------------------

def canonical_series(root: Path) -> Path:
    """Three days of a register in the format's own layout; the kindergartens only on day 1."""
    from conftest import application, kindergarten, vacancy, write_dataset

    a = application("УО.2016.000001.1", "2016-02-01 10:00")
    b = application("УО.2016.000002.1", "2016-02-02 10:00")
    c = application("УО.2016.000003.1", "2016-02-03 10:00")
    write_dataset(root / "2017-04-01", {"kindergartens": [kindergarten()], "vacancies": [vacancy()], "applications": [a, b]})
    write_dataset(root / "2017-04-02T0930", {"applications": [a, c]})               # B gone, C new
    write_dataset(root / "2017-04-03T0930", {"applications": [a, {**c, "privilege": "first"}]})
    return root


def published(home: Path) -> dict:
    con = duckdb.connect(str(home / "snapshots" / f"{json.loads((home / 'published.json').read_text())['snapshot']}.duckdb"),
                         read_only=True)
    tables = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
              for t in ("applications", "events", "kindergartens", "vacancies", "queue", "states")}
    con.close()
    return tables


def test_a_series_publishes_the_last_state_and_the_derived_events(tmp_path):
    from conftest import run_kezek

    home = tmp_path / "home"
    done = run_kezek("update", "--source", str(canonical_series(tmp_path / "series")), home=home)
    assert done.returncode == 0, done.stderr
    got = published(home)
    status = {r[0]: r[9] for r in got["applications"]}
    assert status == {"УО.2016.000001.1": "queued", "УО.2016.000002.1": "left", "УО.2016.000003.1": "queued"}
    events = {(r[0], r[3]) for r in got["events"]}
    assert {("УО.2016.000002.1", "left"), ("УО.2016.000003.1", "registered"),
            ("УО.2016.000003.1", "privilege_changed")} <= events
    con = duckdb.connect(str(next((home / "snapshots").glob("*.duckdb"))), read_only=True)
    assert con.execute("""SELECT count(*) FILTER (WHERE NOT derived OR seen_in IS NULL), count(*) FROM events""").fetchone() \
        == (0, 5)  # registered ×3, left, privilege_changed: every one derived, with its snapshot
    assert con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()[0] == "2017-04-03"
    # C, privileged since day 3, is ahead of A; B, gone, holds no number.
    assert con.execute("SELECT application_number FROM queue ORDER BY queue_number").fetchall() == [
        ("УО.2016.000003.1",), ("УО.2016.000001.1",)]
    con.close()
    run_kezek("export", "--out", str(tmp_path / "out"), home=home, check=True)
    header = (tmp_path / "out" / "csv" / "events.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "derived" in header and "seen_in" in header


def test_a_series_in_git_publishes_what_the_same_folders_do(tmp_path):
    from conftest import run_kezek

    folder = canonical_series(tmp_path / "series")
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for at, snapshot in snapshot_folders(folder):
        for old in repo.glob("*.csv"):
            old.unlink()  # a snapshot holds only its own files
        for file in snapshot.iterdir():
            shutil.copy(file, repo / file.name)
        commit_all(repo, f"{at:%Y-%m-%dT%H:%M}:00+05:00", f"list of {at}")
    run_kezek("update", "--source", str(folder), home=tmp_path / "from-folder", check=True)
    run_kezek("update", "--source", f"git:{repo}", home=tmp_path / "from-git", check=True)
    assert published(tmp_path / "from-git") == published(tmp_path / "from-folder")


def test_the_history_of_a_series_starts_at_its_first_snapshot(tmp_path):
    """A, registered in 2016, was first seen on 2017-04-01: nothing before that day is shown
    as if it had been observed; from it on, the causes still add up to each change."""
    from conftest import run_kezek

    home = tmp_path / "home"
    run_kezek("update", "--source", str(canonical_series(tmp_path / "series")), home=home, check=True)
    done = run_kezek("lookup", "УО.2016.000001.1", "--history", "--json", home=home, check=True)
    doc = json.loads(done.stdout)
    assert doc["observed_since"] == "2017-04-01"
    assert [(d["date"], d["queue_number"], d["change"]) for d in doc["days"]] == [
        ("2017-04-01", 1, 0), ("2017-04-03", 2, 1)]  # C, privileged on day 3, went ahead
    assert all(sum(d["causes"].values()) == d["change"] for d in doc["days"])
    text = run_kezek("lookup", "УО.2016.000001.1", "--history", home=home, check=True).stdout
    assert text.splitlines()[0].startswith("observed from 2017-04-01")


# --- appending a snapshot to a published series -----------------------------------------------

def prepared_vilnius(out: Path) -> Path:
    """The excerpt of Vilnius's days as the city published them, with the example's mapping
    as the series' own (examples/vilnius/mapping.toml): no preprocessing."""
    shutil.copytree(VILNIUS, out, ignore=shutil.ignore_patterns("README.md"))
    shutil.copy(EXAMPLE_MAPPING, out / "mapping.toml")
    return out


def every_table(home: Path) -> dict:
    """Every table of the publication, rows sorted; of meta, all but the snapshot's name and time."""
    con = duckdb.connect(str(home / "snapshots" / f"{json.loads((home / 'published.json').read_text())['snapshot']}.duckdb"),
                         read_only=True)
    names = [n for n, in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    got = {n: con.execute(f"SELECT * FROM {n} ORDER BY ALL").fetchall() for n in names}
    got["meta"] = [r for r in got["meta"] if r[0] not in ("snapshot", "published_at")]
    con.close()
    return got


def test_appending_a_day_reads_that_day_and_publishes_what_a_run_over_all_days_does(tmp_path):
    from conftest import run_kezek

    series = prepared_vilnius(tmp_path / "series")
    last = sorted(p for p in series.iterdir() if p.is_dir())[-1]
    last.rename(tmp_path / last.name)  # the day not yet published
    home = tmp_path / "home"
    first = run_kezek("update", "--source", str(series), home=home, check=True).stdout
    assert "series: 3 snapshots; 3 read\n" in first
    (tmp_path / last.name).rename(last)
    appended = run_kezek("update", "--source", str(series), home=home, check=True).stdout
    assert "series: 4 snapshots; 1 read, 3 carried from the last publication" in appended
    fresh = run_kezek("update", "--source", str(series), home=tmp_path / "fresh", check=True).stdout
    assert "series: 4 snapshots; 4 read\n" in fresh
    got, expected = every_table(home), every_table(tmp_path / "fresh")
    assert got == expected
    # children left after the window closed; each departure derived once
    left = [r for r in got["events"] if r[3] == "left"]
    assert len(left) == len({r[0] for r in left}) and any(r[1].date() == dt.date(2026, 3, 20) for r in left)
    # every table of every file of every day, carried or read: the list gives applications,
    # choices and positions each day; the groups (day 1 only) kindergartens, groups and vacancies
    assert len(got["sources"]) == 4 * 3 + 1 * 3
    kept = duckdb.connect(str(next(p for p in (home / "snapshots").glob("*.duckdb")
                                   if p.stem == json.loads((home / "published.json").read_text())["snapshot"])),
                          read_only=True)
    assert kept.execute("SELECT count(*) FROM series_kept_applications WHERE month(birth_date) <> 1 "
                        "OR day(birth_date) <> 1").fetchone() == (0,)  # no birth date is kept, only its year
    kept.close()


def test_a_changed_past_day_or_mapping_is_read_again_from_the_first_day(tmp_path):
    from conftest import run_kezek

    series = prepared_vilnius(tmp_path / "series")
    home = tmp_path / "home"
    run_kezek("update", "--source", str(series), home=home, check=True)
    unchanged = run_kezek("update", "--source", str(series), home=home, check=True).stdout
    assert "unchanged since the last publication" in unchanged  # nothing new: nothing read or published
    (series / "notes.txt").write_text("a note beside the days", encoding="utf-8")
    again = run_kezek("update", "--source", str(series), home=home, check=True).stdout
    assert "series: 4 snapshots; 0 read, 4 carried" in again  # no day changed: no day read
    day = sorted(p for p in series.iterdir() if p.is_dir())[1] / "laukianciuju_eileje_ataskaita.csv"
    lines = day.read_text(encoding="utf-8").splitlines(keepends=True)
    day.write_text("".join(lines[:-1]), encoding="utf-8")  # the city corrected a past day
    corrected = run_kezek("update", "--source", str(series), home=home, check=True).stdout
    assert "series: 4 snapshots; 4 read\n" in corrected
    with open(series / "mapping.toml", "a", encoding="utf-8") as fh:
        fh.write('[tables.applications.values.privilege]\n"first" = "none"\n')
    remapped = run_kezek("update", "--source", str(series), home=home, check=True).stdout
    assert "series: 4 snapshots; 4 read\n" in remapped
    run_kezek("update", "--source", str(series), home=tmp_path / "fresh", check=True)
    assert every_table(home) == every_table(tmp_path / "fresh")


def vilnius_applied(folder: Path) -> dict[str, str]:
    """Each child's application time as the day's file gives it, read with Python's csv module."""
    with open(folder / "laukianciuju_eileje_ataskaita.csv", encoding="utf-8", newline="") as fh:
        return {row[CHILD]: row[APPLIED] for row in csv.DictReader(fh, delimiter=";") if row.get(CHILD)}


def test_on_real_vilnius_days_every_changed_application_time_is_a_finding_and_nothing_else_is(tmp_path):
    """The facts of a series hold whatever Vilnius's rules are: each child whose application
    time differs from the day before is one registration_changed finding; no rule is cited
    and nothing else is reported (the numbers are not published, so no jump; no child first
    listed with an application time more than a day before the list that missed it)."""
    from conftest import run_kezek

    home = tmp_path / "home"
    run_kezek("update", "--source", str(prepared_vilnius(tmp_path / "series")), home=home, check=True)
    days = [vilnius_applied(folder) for _, folder in snapshot_folders(VILNIUS)]
    changed = sorted(n for before, after in zip(days, days[1:]) for n, t in after.items()
                     if n in before and before[n] != t)
    assert changed  # the excerpt keeps children whose time changed
    con = duckdb.connect(str(home / "snapshots" / f"{json.loads((home / 'published.json').read_text())['snapshot']}.duckdb"),
                         read_only=True)
    found = con.execute("SELECT application_number, rule, evidence FROM findings WHERE type = 'registration_changed' "
                        "ORDER BY application_number").fetchall()
    assert [n for n, _, _ in found] == changed and {r for _, r, _ in found} == {"—"}
    for number, _, evidence in found:
        before = next(d[number] for d, after in zip(days, days[1:]) if number in d and after.get(number) != d[number])
        assert json.loads(evidence)["registered_before"] == before[:16]
    # Children listed a day after applying within the half hour before a list are no backdated
    # entries (a list shows the register as of a little before its time).
    others = con.execute("SELECT type, count(*) FROM findings WHERE type <> 'registration_changed' GROUP BY 1").fetchall()
    assert others == [], others
    con.close()


def test_a_registration_time_a_later_list_changed_moves_the_numbers_from_that_day_only(tmp_path):
    """C, third on 1 April, is listed on 2 April with a registration time before A's and B's:
    until then the lists showed it third, and from then on first. Its history says its own
    registration time changed; A's and B's say another application's did."""
    from conftest import application, kindergarten, run_kezek, vacancy, write_dataset

    a = application("УО.2016.000001.1", "2016-02-01 10:00")
    b = application("УО.2016.000002.1", "2016-02-02 10:00")
    c = application("УО.2016.000003.1", "2016-02-03 10:00")
    series = tmp_path / "series"
    write_dataset(series / "2017-04-01T0930", {"kindergartens": [kindergarten()], "vacancies": [vacancy()],
                                               "applications": [a, b, c]})
    write_dataset(series / "2017-04-02T0930", {"applications": [a, b, {**c, "registered_at": "2016-01-15 10:00"}]})
    home = tmp_path / "home"
    run_kezek("update", "--source", str(series), home=home, check=True)

    def days(number):
        doc = json.loads(run_kezek("lookup", number, "--history", "--json", home=home, check=True).stdout)
        return [(d["date"], d["queue_number"], d["causes"]) for d in doc["days"]]

    assert days("УО.2016.000003.1") == [("2017-04-01", 3, {}), ("2017-04-02", 1, {"own_registration": -2})]
    assert days("УО.2016.000001.1") == [("2017-04-01", 1, {}), ("2017-04-02", 2, {"registration_changed": 1})]
    before = json.loads(run_kezek("lookup", "УО.2016.000003.1", "--as-of", "2017-04-01", "--json", home=home,
                                  check=True).stdout)
    assert (before["queue_number"], before["registered_at"]) == (3, "2016-02-03T10:00:00")


def test_a_long_series_read_in_parts_publishes_what_reading_it_at_once_does(tmp_path, monkeypatch):
    """A series too large to hold at once is reduced every few snapshots (here after each
    one: KEZEK_SERIES_FOLD_ROWS=100), from scratch and on top of what a publication carries:
    the same tables and the same archive as one reading of every snapshot."""
    from conftest import run_kezek

    series = prepared_vilnius(tmp_path / "series")
    run_kezek("update", "--source", str(series), home=tmp_path / "at-once", check=True)
    monkeypatch.setenv("KEZEK_SERIES_FOLD_ROWS", "100")
    run_kezek("update", "--source", str(series), home=tmp_path / "in-parts", check=True)
    days = sorted(p for p in series.iterdir() if p.is_dir())
    for day in days[2:]:
        day.rename(tmp_path / day.name)
    run_kezek("update", "--source", str(series), home=tmp_path / "appended", check=True)
    for day in days[2:]:
        (tmp_path / day.name).rename(day)
    appended = run_kezek("update", "--source", str(series), home=tmp_path / "appended", check=True).stdout
    assert "series: 4 snapshots; 2 read, 2 carried" in appended
    expected = every_table(tmp_path / "at-once")
    for home in ("in-parts", "appended"):
        assert every_table(tmp_path / home) == expected, home
        assert tree(tmp_path / home / "archive") == tree(tmp_path / "at-once" / "archive"), home


def test_a_dated_folder_read_alone_is_a_snapshot_of_its_time(tmp_path):
    """One day of a series, read on its own (`2017-04-09T0900`): its published numbers are
    of that day, and so is the data's date, unless dataset.json says otherwise."""
    from conftest import application, kindergarten, vacancy, write_dataset
    from engine import store
    from kezek.pipeline import update

    folder = write_dataset(tmp_path / "2017-04-09T0900", {
        "kindergartens": [kindergarten()], "vacancies": [vacancy()],
        "applications": [application("УО.2016.000001.1", "2016-02-01 10:00")],
        "positions": [{"application_number": "УО.2016.000001.1", "queue_number": 1}],
    })
    update([str(folder)], tmp_path / "home")
    con = store.open_snapshot(store.current(tmp_path / "home").path)
    assert con.execute("SELECT CAST(as_of AS VARCHAR), queue_number FROM positions").fetchall() == [("2017-04-09", 1)]
    assert dict(con.execute("SELECT key, value FROM meta").fetchall())["as_of"] == "2017-04-09"
    con.close()
