"""End to end: `kezek serve` on a free loopback port, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import application, kindergarten, run_kezek, vacancy, write_dataset

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    apps = [application(f"УО.2016.{i:06d}.1", f"2016-02-{i:02d} 10:00") for i in range(1, 8)]
    folder = write_dataset(root / "ds", {"kindergartens": [kindergarten()], "vacancies": [vacancy(seats=12)],
                                         "applications": apps})
    home = root / "home"
    run_kezek("update", "--source", str(folder), home=home, check=True)
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


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_lookup_link_shows_the_queue_number(server, browser, lang):
    from dashboard.i18n import t

    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    # Typed as a parent might: Latin look-alikes and lower case.
    page.goto(f"{server}/lookup?app=uo.2016.000003.1&lang={lang}")
    sentence = t("lookup.position", lang, queue_number="3", segment_size="7", birth_year=2015, place="Астана")
    page.get_by_text(sentence).wait_for(timeout=30_000)
    assert "УО.2016.000003.1" in page.inner_text("body")
    page.close()


def test_unknown_number_says_so(server, browser):
    page = browser.new_page()
    page.goto(f"{server}/lookup?app=УО.2099.000001.1&lang=ru")
    page.get_by_text("не найден").first.wait_for(timeout=30_000)
    assert "Traceback" not in page.inner_text("body")
    page.close()
