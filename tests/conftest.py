"""Shared fixtures: datasets written as real files, a real `kezek` process, real homes."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from engine import settings

KEZEK = [sys.executable, "-m", "kezek"]
SLOW = settings.flag("KEZEK_SLOW")


def run_kezek(*args: str, home: Path | None = None, check: bool = False) -> subprocess.CompletedProcess:
    cmd = [*KEZEK, *args] + (["--home", str(home)] if home is not None else [])
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr}")
    return done


def write_csv(path: Path, rows: list[dict], *, encoding="utf-8", delimiter=",", headers: list[str] | None = None) -> Path:
    if headers is None:
        headers = list(dict.fromkeys(k for row in rows for k in row))  # every column, first-seen order
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if row.get(h) is None else row.get(h) for h in headers])
    return path


def write_dataset(folder: Path, tables: dict[str, list[dict]], metadata: dict | None = None, **csv_options) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        write_csv(folder / f"{name}.csv", rows, **csv_options)
    if metadata:
        (folder / "dataset.json").write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
    return folder


def kindergarten(kid="K1", **kw) -> dict:
    return {"kindergarten_id": kid, "name_kk": f"{kid} балабақшасы", "name_ru": f"Детский сад {kid}",
            "region": "Астана", "ownership": "state", "languages": "kk|ru", **kw}


def vacancy(bid="B1", kid="K1", **kw) -> dict:
    return {"bulletin_id": bid, "kindergarten_id": kid, "announced_at": "2017-04-10 09:00",
            "birth_year": 2015, "language": "kk", "seats": 1, **kw}


def application(number, registered_at, privilege="none", status="queued", **kw) -> dict:
    return {"application_number": number, "region": "Астана", "birth_date": "2015-01-15",
            "registered_at": registered_at, "privilege": privilege, "status": status, **kw}


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(home):
    """`kezek serve` on a free loopback port until the tests are done; yields its address."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kezek", "serve", "--home", str(home), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"kezek serve did not start:\n{proc.stdout.read().decode(errors='replace')}")
            time.sleep(0.3)
    yield base
    proc.terminate()
    proc.wait(timeout=20)


# --- the demo presets, shared by the session ------------------------------------------------
# Publishing a preset takes several seconds and many modules read the same publication: each
# preset is generated once, and published once by the real command, for the whole session.
# Both are read only: a test that changes a home works on a copy (shutil.copytree), and a
# test that changes a dataset generates its own.

@pytest.fixture(scope="session")
def demo_data():
    """demo_data(preset): the DemoDataset of `generate(preset)`, generated once a session."""
    from demo import generate

    made = {}

    def get(preset: str):
        if preset not in made:
            made[preset] = generate(preset)
        return made[preset]

    return get


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory):
    """demo_home(preset): a home where `kezek update --source demo:PRESET` published, once a session."""
    homes = {}

    def get(preset: str) -> Path:
        if preset not in homes:
            home = tmp_path_factory.mktemp(f"demo-{preset}") / "home"
            run_kezek("update", "--source", f"demo:{preset}", home=home, check=True)
            homes[preset] = home
        return homes[preset]

    return get
