"""An akimat's server on a bad day: an address with a password or a key, a disk that fills
up, a changelog or a pointer that cannot be written, a damaged publication, a folder named
in another encoding. Each time the operator is told the truth in one line, nothing secret
is kept or shown, nothing is left behind, and the next run succeeds without a manual step."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from conftest import KEZEK, application, kindergarten, run_kezek, vacancy, write_dataset
from test_dashboard import visit, texts
from test_remote import FAST, Server
from test_dashboard import dataset as story_dataset

PASSWORD, KEY = "Hunter2pw", "K3y9secret"


def small(folder: Path, n: int = 3, **metadata) -> Path:
    apps = [application(f"УО.2016.{i:06d}.1", f"2016-02-{i:02d} 10:00") for i in range(1, n + 1)]
    return write_dataset(folder, {"kindergartens": [kindergarten()], "vacancies": [vacancy()], "applications": apps},
                         metadata or None)


def pointer(home: Path) -> str:
    return json.loads((home / "published.json").read_text(encoding="utf-8"))["snapshot"]


def files_holding(root: Path, *secrets: str) -> list[str]:
    """Every file under `root` whose bytes hold one of `secrets`."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
                  and any(s.encode() in p.read_bytes() for s in secrets))


def leftovers(home: Path) -> list[str]:
    """What an update writes before it publishes and must not leave behind."""
    return sorted(p.name for p in [*home.glob(".work-*"), *home.glob("snapshots/.building-*"),
                                   *home.glob("snapshots/*.wal"), *home.glob(".published.json.*")])


# --- 1. credentials ------------------------------------------------------------------------------

@pytest.fixture
def web(tmp_path, monkeypatch):
    for key, value in FAST.items():
        monkeypatch.setenv(key, value)
    server = Server(story_dataset(tmp_path / "ds"))
    with zipfile.ZipFile(server.folder / "export.zip", "w") as z:
        for p in sorted(server.folder.iterdir()):
            if p.suffix in (".csv", ".json"):
                z.write(p, f"export/{p.name}")
    yield server
    server.httpd.shutdown()


def test_a_password_or_key_in_the_address_is_never_kept_shown_exported_or_printed(web, tmp_path, monkeypatch):
    home = tmp_path / "home"
    address = web.url.replace("http://", f"http://clerk:{PASSWORD}@") + f"/dataset/export.zip?apiKey={KEY}&v=2"
    done = run_kezek("update", "--source", address, home=home)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr and KEY not in done.stdout + done.stderr
    # Stored: the snapshot, the archive, the remote state, the changelog, the run log.
    assert files_holding(home, PASSWORD, KEY) == []
    with duckdb.connect(str(home / "snapshots" / f"{pointer(home)}.duckdb"), read_only=True) as con:
        (sources,) = con.execute("SELECT value FROM meta WHERE key = 'sources'").fetchone()
    assert json.loads(sources) == [f"{web.url}/dataset/export.zip?apiKey=***&v=2"]  # where from, without the key
    # Shown: the About page names the source without them.
    page = texts(visit(home, monkeypatch, page="about", lang="ru"))
    assert f"{web.url}/dataset/export.zip?apiKey=***&v=2" in page and PASSWORD not in page and KEY not in page
    # Exported: the open-data package.
    run_kezek("export", "--out", str(tmp_path / "out"), home=home, check=True)
    assert files_holding(tmp_path / "out", PASSWORD, KEY) == []
    # Printed when a fetch fails: the server's error, the closed port, the unchanged source.
    web.script[f"/dataset/gone.zip?apiKey={KEY}"] = [404]
    for failing in (address.replace("export.zip", "gone.zip"), f"http://clerk:{PASSWORD}@127.0.0.1:9/x.zip?token={KEY}",
                    f"http://clerk:p@ss#{PASSWORD}@127.0.0.1:9/x.zip"):  # a password may hold @ and #
        done = run_kezek("update", "--source", failing, home=home)
        assert done.returncode == 1 and "nothing published" in done.stderr
        assert PASSWORD not in done.stderr and KEY not in done.stderr, done.stderr
    assert "HTTP 404" in done.stderr or "404" in (home / "update.log").read_text(encoding="utf-8")
    assert files_holding(home, PASSWORD, KEY) == []


# --- 3. a full disk --------------------------------------------------------------------------------

FULL_DISK = r"""
import json, os, shutil, subprocess, sys
disk, big, small = sys.argv[1:4]
home = os.path.join(disk, "home")
def run(src, where=home):
    done = subprocess.run([sys.executable, "-m", "kezek", "update", "--home", where, "--source", src],
                          capture_output=True, text=True)
    return {"status": done.returncode, "stderr": done.stderr}
def used():
    st = os.statvfs(disk)
    return (st.f_blocks - st.f_bfree) * st.f_frsize
def fill(name, size):
    with open(os.path.join(disk, name), "wb") as fh:
        fh.write(b"\0" * max(0, size))
def leftovers():
    found = []
    for folder in (home, os.path.join(home, "snapshots")):
        found += [n for n in os.listdir(folder) if n.startswith((".work-", ".building-", ".published.json."))
                  or n.endswith(".wal")]
    return sorted(found)
out = {"first": run(small)}
# What publishing the bigger dataset takes on this disk, measured on a scratch home.
before = used()
run(big, os.path.join(disk, "scratch"))
needed = used() - before
shutil.rmtree(os.path.join(disk, "scratch"))
# The operator's disk: 0.7 of that free; then the update fails, and 0.8 of it is freed.
fill("spare", needed * 8 // 10)
st = os.statvfs(disk)
fill("filler", st.f_bavail * st.f_frsize - needed * 7 // 10)
out["full"] = run(big)
out["left_when_full"] = leftovers()
os.unlink(os.path.join(disk, "spare"))
out["retry"] = run(big)
out["left_after"] = leftovers()
out["needed"] = needed
print(json.dumps(out))
"""


def in_small_disk(size: str, script: str, *args: str) -> dict:
    """Run `script` with HOME/… on a tmpfs of `size`, in a private mount namespace (as a
    user namespace's root where the machine allows it: no privilege is needed)."""
    if not shutil.which("unshare"):
        pytest.skip("util-linux's unshare is needed to give the home a small disk of its own")
    wrapper = (f'mount -t tmpfs -o size={size} tmpfs "$1" && shift && exec "$@"')
    for namespace in (["--user", "--map-root-user", "--mount"], ["--mount"]):
        done = subprocess.run(["unshare", *namespace, "sh", "-c", wrapper, "sh", *args[:1], sys.executable, "-c",
                               script, *args], capture_output=True, text=True, timeout=600,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        if done.returncode == 0:
            return json.loads(done.stdout)
    pytest.skip(f"this machine cannot mount a small tmpfs: {done.stderr.strip()[:200]}")


def test_after_a_full_disk_nothing_is_left_behind_and_the_next_update_succeeds(tmp_path):
    """The probe's case: the failed run's partial snapshot held the space the operator freed,
    and every retry failed again."""
    disk = tmp_path / "disk"
    disk.mkdir()
    result = in_small_disk("48m", FULL_DISK, str(disk), str(story_dataset(tmp_path / "big")),
                           str(small(tmp_path / "small")))
    assert result["first"]["status"] == 0, result["first"]["stderr"]
    assert result["full"]["status"] == 1, result["full"]
    assert "nothing published" in result["full"]["stderr"] and "Traceback" not in result["full"]["stderr"]
    assert result["left_when_full"] == []
    assert result["retry"]["status"] == 0, result["retry"]["stderr"]
    assert result["left_after"] == []


def test_leftovers_of_a_killed_run_are_removed_even_when_the_next_run_fails(tmp_path):
    home = tmp_path / "home"
    run_kezek("update", "--source", str(small(tmp_path / "a")), home=home, check=True)
    (home / "snapshots" / ".building-20200101T000000-deadbeef.duckdb").write_bytes(b"\0" * 4096)
    (home / "snapshots" / ".building-20200101T000000-deadbeef.duckdb.wal").write_bytes(b"\0" * 4096)
    (home / ".published.json.4242.tmp").write_text("{")
    done = run_kezek("update", "--source", str(tmp_path / "missing"), home=home)
    assert done.returncode == 2
    assert leftovers(home) == []


@pytest.mark.parametrize("metadata, key", [({"ruleset": "no-such-rules"}, "ruleset"),
                                           ({"exported_at": "yesterday"}, "exported_at")])
def test_a_bad_dataset_json_stops_before_any_snapshot_is_built(tmp_path, metadata, key):
    home = tmp_path / "home"
    run_kezek("update", "--source", str(small(tmp_path / "a")), home=home, check=True)
    before = pointer(home)
    done = run_kezek("update", "--source", str(small(tmp_path / "b", 5, **metadata)), home=home)
    assert done.returncode == 2, done.stderr
    assert f"dataset.json, column {key}:" in done.stderr
    assert pointer(home) == before and leftovers(home) == []
    assert "recompute" not in done.stdout  # told before the recompute, not after it
    assert len(list((home / "snapshots").glob("*.duckdb"))) == 1


# --- 4. the outcome told truthfully --------------------------------------------------------------

def test_once_the_pointer_has_switched_the_update_has_published(tmp_path):
    home = tmp_path / "home"
    run_kezek("update", "--source", str(small(tmp_path / "a")), home=home, check=True)
    # The changelog cannot be written: a folder stands in its place (permissions would not
    # stop a run as root).
    (home / "publications.jsonl").rename(home / "kept.jsonl")
    (home / "publications.jsonl").mkdir()
    done = run_kezek("update", "--source", str(small(tmp_path / "b", 5)), home=home)
    assert done.returncode == 0, done.stderr
    assert "warning" in done.stderr and "publications.jsonl" in done.stderr
    assert "nothing published" not in done.stderr
    second = pointer(home)
    log = (home / "update.log").read_text(encoding="utf-8").splitlines()
    assert log[-1].split()[1] == "exit=0" and f"published {second}" in log[-1] and "warning" in log[-1]
    # The next publication repairs the changelog: the missed line, then its own.
    (home / "publications.jsonl").rmdir()
    (home / "kept.jsonl").rename(home / "publications.jsonl")
    run_kezek("update", "--source", str(small(tmp_path / "c", 7)), home=home, check=True)
    lines = [json.loads(line) for line in (home / "publications.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [line["snapshot"] for line in lines][-2:] == [second, pointer(home)]
    assert [line["rows"]["applications"] for line in lines] == [3, 5, 7]


def test_when_the_pointer_cannot_switch_the_new_snapshot_is_removed(tmp_path):
    home = tmp_path / "home"
    run_kezek("update", "--source", str(small(tmp_path / "a")), home=home, check=True)
    before = pointer(home)
    # The pointer's temporary file cannot be written: a folder stands where this process
    # would write it (kezek run in the process that made the folder, so that the pid matches).
    script = ("import os, sys, runpy; os.mkdir(os.path.join(sys.argv[1], f'.published.json.{os.getpid()}.tmp'));"
              "sys.argv = ['kezek', 'update', '--home', sys.argv[1], '--source', sys.argv[2]];"
              "runpy.run_module('kezek', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", script, str(home), str(small(tmp_path / "b", 5))],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1 and "nothing published" in done.stderr, done.stderr
    assert pointer(home) == before
    assert sorted(p.stem for p in (home / "snapshots").glob("*.duckdb")) == [before]
    assert len((home / "publications.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def test_a_changelog_line_cut_inside_a_letter_does_not_undo_a_publication(tmp_path):
    """A crash or a full disk cut the last line of publications.jsonl in the middle of a
    Cyrillic letter: the next update publishes, says so, and the changelog reads on."""
    home = tmp_path / "home"
    run_kezek("update", "--source", str(small(tmp_path / "a")), home=home, check=True)
    with open(home / "publications.jsonl", "ab") as fh:
        fh.write('{"snapshot": "x", "title": "Аста'.encode()[:-1])
    done = run_kezek("update", "--source", str(small(tmp_path / "b", 5)), home=home)
    assert done.returncode == 0 and "nothing published" not in done.stderr, done.stderr
    from engine.publication import publications

    assert [p["rows"]["applications"] for p in publications(home)] == [5, 3]  # newest first; the cut line skipped
    assert "exit=0" in (home / "update.log").read_text(encoding="utf-8").splitlines()[-1]


def test_a_file_name_that_is_not_utf8_inside_the_folder_is_reported_not_crashed(tmp_path):
    home = tmp_path / "home"
    folder = small(tmp_path / "a")
    (Path(os.fsdecode(bytes(folder) + b"/notes\xff.txt"))).write_text("notes")
    done = subprocess.run([*KEZEK, "update", "--source", str(folder), "--home", str(home)], capture_output=True,
                          timeout=600, env={**os.environ, "PYTHONIOENCODING": "utf-8"})  # a strict terminal
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert b"notes\\xff.txt" in done.stdout  # named among the ignored files, escaped
    assert "exit=0" in (home / "update.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting, value", [("KEZEK_API_THREADS", "0"), ("KEZEK_API_THREADS", "many"),
                                            ("KEZEK_HEADER_TIMEOUT", "0"), ("KEZEK_HEADER_TIMEOUT", "-1")])
def test_a_server_setting_that_cannot_be_meant_stops_the_server_at_start(tmp_path, setting, value):
    done = subprocess.run([*KEZEK, "serve", "--home", str(tmp_path), "--port", "9"], capture_output=True, text=True,
                          timeout=120, env={**os.environ, setting: value})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{setting} must be a" in done.stderr and "above 0" in done.stderr


# --- 9. a damaged publication on the command line ------------------------------------------------

def damage(path: Path, start: int) -> None:
    """Overwrite a snapshot file from byte `start` to its end."""
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.seek(start)
        fh.write(b"\xa5" * (size - start))


# From the middle: the tables' blocks, found when a query reads them; from the end of the
# 12 KB header: the catalogue too, found when the file is opened.
@pytest.mark.parametrize("command, start", [(["lookup", "УО.2018.000010.1"], 0.5), (["audit"], 12288),
                                            (["lookup", "УО.2018.000010.1", "--history"], 12288)])
def test_a_damaged_snapshot_is_one_line_and_exit_1_on_the_command_line(tmp_path, command, start):
    home = tmp_path / "home"
    run_kezek("update", "--source", str(story_dataset(tmp_path / "a")), home=home, check=True)
    path = home / "snapshots" / f"{pointer(home)}.duckdb"
    damage(path, int(path.stat().st_size * start) if start < 1 else start)
    done = run_kezek(*command, home=home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "cannot be read" in done.stderr


def test_a_pointer_without_its_date_is_one_line_and_exit_1(tmp_path):
    home = tmp_path / "home"
    run_kezek("update", "--source", str(small(tmp_path / "a")), home=home, check=True)
    (home / "published.json").write_text(json.dumps({"snapshot": pointer(home)}), encoding="utf-8")
    done = run_kezek("lookup", "УО.2016.000001.1", home=home)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "published_at" in done.stderr


# --- 10. a folder named in another encoding ------------------------------------------------------

def test_a_folder_whose_name_is_not_utf8_is_named_and_logged(tmp_path):
    home = tmp_path / "home"
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/\xc4\xe0\xed\xed\xfb\xe5"))  # "Данные" in Windows-1251
    shutil.copytree(small(tmp_path / "a"), odd)
    done = subprocess.run([*KEZEK, "update", "--source", odd, "--home", str(home)], capture_output=True, timeout=600)
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert b"\\xc4\\xe0\\xed\\xed\\xfb\\xe5: the path is not UTF-8" in done.stderr, done.stderr  # named, escaped
    (log,) = (home / "update.log").read_text(encoding="utf-8").splitlines()
    assert "exit=2" in log and "\\xc4\\xe0" in log
