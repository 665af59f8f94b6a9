"""The public server under damage and abuse, asked of a real `kezek serve` process: a
published snapshot whose tables cannot be read, a pointer without its date, clients that
send their headers slowly, and clients that leave without reading.

Each server's log goes to a file, read by the tests that are about the log."""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest

from conftest import application, free_port, kindergarten, vacancy, write_dataset
from engine import store
from kezek.pipeline import update

HEADER_TIMEOUT = 1  # KEZEK_HEADER_TIMEOUT for the servers of these tests, in seconds

NUMBER = "УО.2016.000001.1"


def dataset(folder: Path) -> Path:
    apps = [application(f"УО.2016.{i:06d}.1", f"2016-02-{i:02d} 10:00") for i in range(1, 9)]
    return write_dataset(folder, {
        "kindergartens": [kindergarten("K1"), kindergarten("K2")],
        "vacancies": [vacancy("B1", "K1"), vacancy("B2", "K2", seats=2)],
        "applications": apps,
    })


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("hardening")
    update([str(dataset(base / "dataset"))], base / "home")
    return base / "home"


def copy_home(published: Path, to: Path) -> Path:
    shutil.copytree(published, to)
    return to


class Server:
    """`kezek serve` on a free loopback port, its output in a file."""

    def __init__(self, home: Path, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "KEZEK_HEADER_TIMEOUT": str(HEADER_TIMEOUT)}
        with open(log, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "kezek", "serve", "--home", str(home),
                                          "--port", str(self.port)], stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while True:  # up when it answers anything: a damaged home answers 503
            try:
                self.get("/healthz")
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"kezek serve did not start:\n{self.log()}")
                time.sleep(0.3)

    def get(self, path: str, timeout: float = 30) -> tuple[int, dict, bytes]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def server(published, tmp_path_factory):
    running = Server(published, tmp_path_factory.mktemp("log") / "serve.log")
    yield running
    running.stop()


def snapshot_of(home: Path) -> str:
    return json.loads((home / store.POINTER).read_text(encoding="utf-8"))["snapshot"]


# Every kind of answer of the API, with path parameters that exist in the dataset.
API_PATHS = ("/api/v1/applications/" + urllib.request.quote(NUMBER),
             "/api/v1/applications/" + urllib.request.quote(NUMBER) + "/history",
             "/api/v1/applications/" + urllib.request.quote(NUMBER) + "/forecast",
             "/api/v1/kindergartens", "/api/v1/kindergartens/K1", "/api/v1/vacancies",
             "/api/v1/stats/vacancies_by_birth_year", "/api/v1/stats/queue_by_segment",
             "/api/v1/stats/segment_movement", "/api/v1/queue?number=" + urllib.request.quote(NUMBER),
             "/api/v1/findings", "/api/v1/stats/findings")


def assert_unavailable(server: Server) -> None:
    status, headers, body = server.get("/healthz")
    assert (status, json.loads(body)) == (503, {"status": "unavailable"})
    for path in API_PATHS:
        status, headers, body = server.get(path)
        assert (status, headers["content-type"], json.loads(body)) == (
            503, "application/json; charset=utf-8", {"error": "unavailable"}), path


# --- damaged publications -------------------------------------------------------------------

def damage_table(snapshot_file: Path, table: str) -> None:
    """Flip bytes at the start of each storage block holding `table`'s columns, where the
    block's checksum is: reading the table then fails, other tables still read."""
    con = duckdb.connect(str(snapshot_file), read_only=True)
    try:
        block_size = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()[0]
        blocks = [b for (b,) in con.execute(
            f"SELECT DISTINCT block_id FROM pragma_storage_info('{table}') WHERE block_id >= 0").fetchall()]
    finally:
        con.close()
    assert blocks, f"{table} has no block of its own"
    with open(snapshot_file, "r+b") as fh:
        for block in blocks:
            offset = 3 * 4096 + block * block_size  # after DuckDB's three 4 KiB file headers
            fh.seek(offset)
            data = fh.read(16)
            fh.seek(offset)
            fh.write(bytes(b ^ 0xFF for b in data))


@pytest.fixture(scope="module")
def damaged(published, tmp_path_factory):
    """A home whose published snapshot has its vacancies table damaged (its meta reads)."""
    home = copy_home(published, tmp_path_factory.mktemp("damaged") / "home")
    damage_table(home / store.SNAPSHOTS / f"{snapshot_of(home)}.duckdb", "vacancies")
    running = Server(home, tmp_path_factory.mktemp("log") / "serve.log")
    yield home, running
    running.stop()


def test_a_publication_that_cannot_be_read_is_unavailable_to_health_and_api(damaged, server, published):
    """A table of the snapshot damaged, or a pointer without its date: /healthz and every API
    route answer 503 in JSON, and a mended pointer is served again without a restart."""
    home, broken = damaged
    con = store.open_snapshot(home / store.SNAPSHOTS / f"{snapshot_of(home)}.duckdb")
    try:  # the damage is of the kind a health check reading only `meta` misses
        assert con.execute("SELECT count(*) FROM meta").fetchone()[0] > 0
        with pytest.raises(duckdb.Error):
            con.execute("SELECT * FROM vacancies").fetchall()
    finally:
        con.close()
    assert_unavailable(broken)
    assert "Traceback" not in broken.log()

    pointer = published / store.POINTER
    good = pointer.read_text(encoding="utf-8")
    snapshot = snapshot_of(published)
    try:
        tmp = published / ".broken-pointer"
        tmp.write_text(json.dumps({"snapshot": snapshot}), encoding="utf-8")
        os.replace(tmp, pointer)
        assert_unavailable(server)
    finally:
        tmp = published / ".mended-pointer"
        tmp.write_text(good, encoding="utf-8")
        os.replace(tmp, pointer)
    status, _, body = server.get("/healthz")
    assert (status, json.loads(body)["snapshot"]) == (200, snapshot)
    assert server.get("/api/v1/kindergartens")[0] == 200


def test_open_data_are_served_as_the_publication_wrote_them_whatever_the_snapshot_file(damaged):
    """The open data are files written at publication: a snapshot file damaged since is no
    reason to refuse them, and the server writes nothing into the home."""
    home, server = damaged
    snapshot = snapshot_of(home)
    folder = home / "open-data" / snapshot
    before = sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file())
    status, headers, body = server.get(f"/open-data/{snapshot}/datapackage.json")
    assert (status, json.loads(body)) == (200, json.loads((folder / "datapackage.json").read_text(encoding="utf-8")))
    status, _, body = server.get(f"/open-data/{snapshot}.zip")
    assert (status, body) == (200, (folder / f"kezek-{snapshot}.zip").read_bytes())
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file()) == before


def test_an_unforeseen_failure_in_kezeks_own_routes_answers_in_json(server, published):
    """A snapshot's open-data folder is a link to itself (a deployment mistake): serving it
    fails in a way nothing foresaw; the answer is still the API's JSON, not plain text."""
    folder = published / "open-data" / snapshot_of(published)
    aside = folder.with_name("aside")
    folder.rename(aside)
    try:
        folder.symlink_to(folder)
        status, headers, body = server.get(f"/open-data/{snapshot_of(published)}.zip")
        assert (status, headers["content-type"], json.loads(body)) == (500, "application/json", {"error": "internal"})
    finally:
        folder.unlink()
        aside.rename(folder)


# --- slow and vanishing clients ---------------------------------------------------------------

def closed_by_server(s: socket.socket, trickle: bytes = b"", within: float = 20) -> bool:
    """Whether the server closes `s` within `within` seconds, while a byte of `trickle` is
    sent every 0.2 s (a client sending its headers slowly)."""
    deadline = time.monotonic() + within
    sent = 0
    while time.monotonic() < deadline:
        readable, _, _ = select.select([s], [], [], 0.2)
        if readable:
            try:
                return s.recv(1024) == b""
            except ConnectionResetError:
                return True
        if sent < len(trickle):
            try:
                s.sendall(trickle[sent:sent + 1])
            except (BrokenPipeError, ConnectionResetError):
                return True
            sent += 1
    return False


def test_a_client_slow_to_send_its_headers_is_disconnected(server):
    with server.connect() as silent:  # connects and says nothing
        assert closed_by_server(silent)
    with server.connect() as slow:  # half a request line, then a byte every 0.2 s
        slow.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert closed_by_server(slow, trickle=b"Host: x\r\nUser-Agent: " + b"x" * 200)
    with server.connect() as s, s.makefile("rb") as answers:  # idle between requests is keep-alive's
        for _ in range(2):
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert answers.readline().split()[1] == b"200"
            headers = list(iter(answers.readline, b"\r\n"))
            length = next(int(h.split(b":")[1]) for h in headers if h.lower().startswith(b"content-length:"))
            assert json.loads(answers.read(length))["status"] == "ok"
            time.sleep(HEADER_TIMEOUT * 2)  # longer than the header timeout, within keep-alive's 5 s


def test_clients_gone_before_their_answers_cost_one_line_each(server, published):
    path = f"/open-data/{snapshot_of(published)}/datapackage.json"  # a file: sent in several writes
    assert server.get(path)[0] == 200
    seen = len(server.log())
    connections = 3
    for _ in range(connections):  # pipeline requests, then reset the connection unread
        s = server.connect()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * 20)
        s.close()

    def noted() -> list[str]:
        return [line for line in server.log()[seen:].splitlines()
                if "closed its connection" in line or "Exception in ASGI application" in line]

    deadline = time.monotonic() + 30
    while len(noted()) < connections and time.monotonic() < deadline:
        time.sleep(0.2)
    log = server.log()[seen:]
    assert "Traceback" not in log
    gone = [line for line in log.splitlines() if "closed its connection" in line]
    # The route, not the path: an address may hold an application number, personal in a log.
    route = "/open-data/{snapshot}/{path:path}"
    assert gone == [f"A client closed its connection before the answer to GET {route} was sent"] * connections
    assert server.get(path)[0] == 200  # and the server goes on
