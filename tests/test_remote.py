"""`kezek update --source http://…`: a dataset folder or a .zip on a real HTTP server on
loopback, and the ways a server fails (ingest/remote.py). In every failure: exit status 1,
one clear line, nothing published, the previous snapshot still served; the next good run
publishes."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from conftest import run_kezek
from test_dashboard import dataset

FAST = {"KEZEK_HTTP_BACKOFF": "0.01", "KEZEK_HTTP_READ_TIMEOUT": "1", "KEZEK_HTTP_ATTEMPTS": "3"}


class Server:
    """Serves files from a folder under /dataset/; `script[path]` lists what the next
    requests for a path get instead: a status, "html", "truncate", "slow" or "reset"."""

    def __init__(self, folder: Path):
        self.folder, self.script, self.hits, self.answers = folder, {}, [], []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.hits.append(self.path)
                plan = outer.script.get(self.path, [])
                action = plan.pop(0) if plan else None
                if isinstance(action, int):
                    self.send_response(action)
                    if action in (429, 503):
                        self.send_header("Retry-After", "2")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if isinstance(action, tuple) and action[0] == "redirect":
                    self.send_response(302)
                    self.send_header("Location", action[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                name = self.path.split("?", 1)[0].removeprefix("/dataset/")  # a key in the query is not part of the name
                file = outer.folder / name
                if action == "html" or not (name and file.is_file()):
                    body = b"<!DOCTYPE html><html><body>Not found</body></html>"
                    self.send_response(200 if action == "html" else 404)
                    self.send_header("Content-Type", "text/plain")  # a server that lies about it
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                body = file.read_bytes()
                tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == tag and action is None:
                    outer.answers.append((self.path, 304))
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.end_headers()
                    return
                outer.answers.append((self.path, 200))
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", tag)
                self.end_headers()
                if action == "slow":
                    time.sleep(3)
                if action in ("truncate", "reset"):
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    if action == "reset":
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server(tmp_path):
    s = Server(dataset(tmp_path / "ds"))
    yield s
    s.httpd.shutdown()


def snapshot_of(home: Path) -> str:
    return json.loads((home / "published.json").read_text(encoding="utf-8"))["snapshot"]


def tables(home: Path) -> dict:
    (path,) = [p for p in (home / "snapshots").glob("*.duckdb") if p.stem == snapshot_of(home)]
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                for t in ("applications", "events", "kindergartens", "vacancies", "groups", "queue")}


def update(url: str, home: Path, monkeypatch, **env):
    for key, value in {**FAST, **env}.items():
        monkeypatch.setenv(key, value)
    return run_kezek("update", "--source", url, home=home)


def test_a_dataset_folder_on_a_web_server_publishes_what_the_folder_on_disk_does(server, tmp_path, monkeypatch):
    run_kezek("update", "--source", str(server.folder), home=tmp_path / "disk", check=True)
    done = update(f"{server.url}/dataset/", tmp_path / "web", monkeypatch)
    assert done.returncode == 0, done.stderr
    assert tables(tmp_path / "web") == tables(tmp_path / "disk")


def test_a_zip_on_a_web_server(server, tmp_path, monkeypatch):
    with zipfile.ZipFile(server.folder / "export.zip", "w") as z:
        for p in sorted(server.folder.glob("*.csv")) + [server.folder / "dataset.json"]:
            if p.exists():
                z.write(p, f"export/{p.name}")
    run_kezek("update", "--source", str(server.folder), home=tmp_path / "disk", check=True)
    done = update(f"{server.url}/dataset/export.zip", tmp_path / "web", monkeypatch)
    assert done.returncode == 0, done.stderr
    assert tables(tmp_path / "web") == tables(tmp_path / "disk")


def test_a_server_that_fails_twice_then_answers_publishes_on_the_same_run(server, tmp_path, monkeypatch):
    server.script["/dataset/applications.csv"] = [500, 503]
    done = update(f"{server.url}/dataset/", tmp_path / "home", monkeypatch)
    assert done.returncode == 0, done.stderr
    assert server.hits.count("/dataset/applications.csv") == 3


@pytest.mark.parametrize("trouble, says", [
    ("truncate", "cut short"),
    ("reset", "cut short"),
    ("html", "HTML page"),
    ("slow", "gave up after 3 attempts"),
])
def test_a_bad_download_publishes_nothing_and_the_next_good_run_does(server, tmp_path, monkeypatch, trouble, says):
    home = tmp_path / "home"
    vacancies = server.folder / "vacancies.csv"
    full = vacancies.read_text(encoding="utf-8")
    vacancies.write_text("\n".join(full.splitlines()[:-1]) + "\n", encoding="utf-8")  # yesterday: one less
    assert update(f"{server.url}/dataset/", home, monkeypatch).returncode == 0
    before = snapshot_of(home)
    vacancies.write_text(full, encoding="utf-8")  # today's export, which fails to download
    server.script["/dataset/applications.csv"] = [trouble] * 3
    done = update(f"{server.url}/dataset/", home, monkeypatch)
    assert done.returncode == 1 and says in done.stderr and "nothing published" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert snapshot_of(home) == before  # the previous publication is still the one served
    server.script.clear()  # the server recovers
    again = update(f"{server.url}/dataset/", home, monkeypatch)
    assert again.returncode == 0 and snapshot_of(home) != before


def test_a_body_over_the_size_cap_is_refused(server, tmp_path, monkeypatch):
    done = update(f"{server.url}/dataset/", tmp_path / "home", monkeypatch, KEZEK_HTTP_MAX_BYTES="200")
    assert done.returncode == 1 and "over the limit of 200" in done.stderr
    assert not (tmp_path / "home" / "published.json").exists()


def test_a_redirect_to_another_host_is_refused(server, tmp_path, monkeypatch):
    other = server.url.replace("127.0.0.1", "localhost")
    server.script["/dataset/applications.csv"] = [("redirect", f"{other}/dataset/applications.csv")]
    done = update(f"{server.url}/dataset/", tmp_path / "home", monkeypatch)
    assert done.returncode == 1 and "redirected to another host" in done.stderr


def test_an_unchanged_source_is_neither_downloaded_nor_published_again(server, tmp_path, monkeypatch):
    home = tmp_path / "home"
    assert update(f"{server.url}/dataset/", home, monkeypatch).returncode == 0
    before, published = snapshot_of(home), (home / "publications.jsonl").read_text(encoding="utf-8")
    server.answers.clear()
    done = update(f"{server.url}/dataset/", home, monkeypatch)
    assert done.returncode == 0 and "nothing downloaded, nothing published" in done.stdout, done.stdout
    assert {status for _, status in server.answers} == {304}  # every file asked for conditionally
    assert snapshot_of(home) == before and (home / "publications.jsonl").read_text(encoding="utf-8") == published


def test_an_unchanged_source_is_published_again_when_the_publication_lacks_what_this_version_writes(
        server, tmp_path, monkeypatch):
    """After an upgrade, the current snapshot may come from a version that did not keep the
    rules numbering applies or write the open data: an unchanged source (all 304) is then
    published again from the copies kept of its files, once."""
    import duckdb

    from engine import store

    home = tmp_path / "home"
    assert update(f"{server.url}/dataset/", home, monkeypatch).returncode == 0
    before = snapshot_of(home)
    with duckdb.connect(str(store.current(home).path)) as con:  # as an older version left it
        con.execute("DROP TABLE numbering_rules")
    server.answers.clear()
    done = update(f"{server.url}/dataset/", home, monkeypatch)
    assert done.returncode == 0 and snapshot_of(home) != before, done.stdout
    assert {status for _, status in server.answers} == {304}  # nothing downloaded again
    con = store.open_snapshot(store.current(home).path)
    assert store.has_table(con, "numbering_rules")
    con.close()
    done = update(f"{server.url}/dataset/", home, monkeypatch)
    assert "nothing downloaded, nothing published" in done.stdout


def test_one_changed_file_is_downloaded_and_the_rest_come_from_the_kept_copies(server, tmp_path, monkeypatch):
    home = tmp_path / "home"
    assert update(f"{server.url}/dataset/", home, monkeypatch).returncode == 0
    before = snapshot_of(home)
    vacancies = server.folder / "vacancies.csv"
    lines = vacancies.read_text(encoding="utf-8").splitlines()
    vacancies.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")  # one bulletin less
    server.answers.clear()
    done = update(f"{server.url}/dataset/", home, monkeypatch)
    assert done.returncode == 0 and snapshot_of(home) != before, done.stderr
    assert dict(server.answers)["/dataset/vacancies.csv"] == 200
    assert dict(server.answers)["/dataset/applications.csv"] == 304
    run_kezek("update", "--source", str(server.folder), home=tmp_path / "disk", check=True)
    assert tables(home) == tables(tmp_path / "disk")  # the same as the changed folder read from disk


def test_a_redirect_to_a_host_allowed_is_followed(server, tmp_path, monkeypatch):
    other = server.url.replace("127.0.0.1", "localhost")
    server.script["/dataset/applications.csv"] = [("redirect", f"{other}/dataset/applications.csv")]
    done = update(f"{server.url}/dataset/", tmp_path / "home", monkeypatch, KEZEK_HTTP_ALLOW_HOSTS="localhost")
    assert done.returncode == 0, done.stderr
    assert server.hits.count("/dataset/applications.csv") == 2  # the redirect, then the file


def test_every_run_leaves_one_line_in_the_update_log(server, tmp_path, monkeypatch):
    home = tmp_path / "home"
    update(f"{server.url}/dataset/", home, monkeypatch)
    update(f"{server.url}/dataset/", home, monkeypatch)
    server.script["/dataset/applications.csv"] = ["html"]
    update(f"{server.url}/dataset/", home, monkeypatch)
    update("http://user:pa55@127.0.0.1:9/none/", home, monkeypatch, KEZEK_HTTP_ATTEMPTS="1")
    lines = (home / "update.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    assert "exit=0" in lines[0] and f"published {snapshot_of(home)}" in lines[0] and "applications" in lines[0]
    assert "exit=0" in lines[1] and "unchanged, nothing published" in lines[1]
    assert "exit=1" in lines[2] and "HTML page" in lines[2]
    assert "exit=1" in lines[3] and "pa55" not in lines[3] and "user" not in lines[3]


def test_a_terminal_sees_the_downloads_progress_and_a_log_does_not(server, tmp_path, monkeypatch):
    import os
    import pty
    import subprocess
    import sys

    for key, value in FAST.items():
        monkeypatch.setenv(key, value)
    command = [sys.executable, "-m", "kezek", "update", "--source", f"{server.url}/dataset/", "--home"]
    quiet = subprocess.run([*command, str(tmp_path / "quiet")], capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and "downloading" not in quiet.stderr + quiet.stdout
    leader, follower = pty.openpty()
    run = subprocess.Popen([*command, str(tmp_path / "tty")], stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert run.wait(timeout=120) == 0
    assert b"downloaded applications.csv" in seen and b"\r" in seen


def test_retry_after_is_honoured(server, tmp_path, monkeypatch):
    """A 429 or 503 that says "Retry-After: 2" is waited for 2 seconds, not the backoff."""
    from ingest import remote

    waited = []
    monkeypatch.setattr(remote.time, "sleep", waited.append)
    server.script["/dataset/applications.csv"] = [429, 503]
    got = remote.fetch(f"{server.url}/dataset/applications.csv", tmp_path / "a.csv", remote.Policy(backoff=0.01))
    assert waited == [2.0, 2.0] and got.bytes == (server.folder / "applications.csv").stat().st_size
    assert got.sha256 == hashlib.sha256((server.folder / "applications.csv").read_bytes()).hexdigest()
