"""The open-data portal's API and a source definition file (ingest/portal.py,
ingest/source_file.py), against a real HTTP server on loopback: pages until a short one,
fields mapped to the canonical columns, and the API key never printed or archived."""

from __future__ import annotations

import csv
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import run_kezek
from test_dashboard import dataset
from test_remote import Server, tables

KEY = "s3cr3t-KEY-4f9a"
FIELDS = {"bulletin_id": "Номер бюллетеня", "kindergarten_id": "Код организации", "announced_at": "Дата публикации",
          "birth_year": "Год рождения", "language": "Язык обучения", "seats": "Количество мест",
          "group_id": "Код группы"}


class Portal:
    """`/api/v4/{api}/{version}?apiKey=…&source={"from":N,"size":M}` over a list of rows."""

    def __init__(self, rows: list[dict]):
        self.rows, self.calls, self.fail = rows, [], 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                outer.calls.append(self.path)
                if outer.fail:
                    outer.fail -= 1
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if query.get("apiKey") != [KEY] or parts.path != "/api/v4/vacancies_demo/v1":
                    self.send_response(403)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                window = json.loads(query["source"][0])
                body = json.dumps(outer.rows[window["from"]: window["from"] + window["size"]],
                                  ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def city(tmp_path, monkeypatch):
    """The register on the akimat's server; the vacancies on the portal, with Russian names."""
    full = dataset(tmp_path / "full")
    with open(full / "vacancies.csv", encoding="utf-8") as fh:
        vacancies = [{FIELDS[k]: v for k, v in row.items() if k in FIELDS and v != ""} for row in csv.DictReader(fh)]
    register = tmp_path / "register"
    register.mkdir()
    for p in full.iterdir():
        if p.name != "vacancies.csv":
            (register / p.name).write_bytes(p.read_bytes())
    files, portal = Server(register), Portal(vacancies)
    (tmp_path / "vacancies.mapping.toml").write_text(
        "[tables.vacancies.columns]\n" + "".join(f'"{v}" = "{k}"\n' for k, v in FIELDS.items()), encoding="utf-8")
    (tmp_path / "sources.toml").write_text(f"""
[[sources]]
type = "http"
url = "{files.url}/dataset/"

[[sources]]
type = "portal"
base = "{portal.url}"
api = "vacancies_demo"
version = "v1"
table = "vacancies"
key_env = "KEZEK_TEST_PORTAL_KEY"
page_size = 2
mapping = "vacancies.mapping.toml"
""", encoding="utf-8")
    for key, value in {"KEZEK_TEST_PORTAL_KEY": KEY, "KEZEK_HTTP_BACKOFF": "0.01", "KEZEK_HTTP_ATTEMPTS": "3"}.items():
        monkeypatch.setenv(key, value)
    yield tmp_path, full, portal
    files.httpd.shutdown()
    portal.httpd.shutdown()


def test_a_city_with_two_servers_publishes_what_one_folder_would(city):
    root, full, portal = city
    done = run_kezek("update", "--source", str(root / "sources.toml"), home=root / "home")
    assert done.returncode == 0, done.stderr
    run_kezek("update", "--source", str(full), home=root / "disk", check=True)
    assert tables(root / "home") == tables(root / "disk")
    pages = len(portal.rows) // 2 + 1  # two a page, until a page shorter than two
    assert len(portal.calls) == pages and json.loads(parse_qs(urlsplit(portal.calls[-1]).query)["source"][0]) == \
        {"from": 2 * (pages - 1), "size": 2}


def test_the_key_is_never_printed_or_kept(city):
    root, _, portal = city
    done = run_kezek("update", "--source", str(root / "sources.toml"), home=root / "home")
    assert done.returncode == 0
    portal.fail = 3  # and a failing run, whose message names the page it could not get
    failed = run_kezek("update", "--source", str(root / "sources.toml"), home=root / "home")
    assert failed.returncode == 1 and "***" in failed.stderr and "vacancies_demo" in failed.stderr
    for text in (done.stdout, done.stderr, failed.stdout, failed.stderr):
        assert KEY not in text
    for path in (root / "home").rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_a_missing_key_is_a_clear_error(city, monkeypatch):
    root, _, _ = city
    monkeypatch.delenv("KEZEK_TEST_PORTAL_KEY")
    done = run_kezek("update", "--source", str(root / "sources.toml"), home=root / "home")
    assert done.returncode == 2 and "KEZEK_TEST_PORTAL_KEY" in done.stderr and "sources.1.key_env" in done.stderr
