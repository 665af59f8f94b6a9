"""The settings registry (engine/settings.py): every `KEZEK_` variable the code reads is
declared and documented in docs/settings.md, read when it is used, and a value that cannot be
meant stops the command with one line naming it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_kezek
from engine import settings

ROOT = Path(__file__).resolve().parents[1]
CODE = [p for folder in ("engine", "ingest", "kezek", "dashboard", "examples", "deploy", "bench")
        for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in (".py", ".sql", ".sh", ".toml", ".service")]


def test_every_setting_the_code_names_is_declared_and_every_declared_one_is_used():
    named = {m for p in [*CODE, ROOT / "Makefile"] for m in re.findall(r"\bKEZEK_[A-Z_]+\b", p.read_text(encoding="utf-8"))}
    assert named - set(settings.SETTINGS) == set()
    read = {m for p in [*CODE, ROOT / "tests" / "conftest.py"] if p.suffix == ".py" and p.name != "settings.py"
            for m in re.findall(r"""settings\.\w+\(\s*["'](KEZEK_[A-Z_]+)""", p.read_text(encoding="utf-8"))}
    read |= {m for m in re.findall(r"""_setting\(\s*["'](KEZEK_[A-Z_]+)""", (ROOT / "ingest" / "remote.py").read_text())}
    assert set(settings.SETTINGS) - read == set()  # no setting is documented and never read


def test_the_settings_page_is_generated_from_the_registry():
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == settings.markdown()


def test_a_setting_is_read_when_it_is_used(monkeypatch):
    from ingest.remote import Policy

    assert Policy().attempts == 5
    monkeypatch.setenv("KEZEK_HTTP_ATTEMPTS", "2")
    monkeypatch.setenv("KEZEK_HTTP_ALLOW_HOSTS", " mirror.example:8080, cdn.example ")
    assert (Policy().attempts, Policy().allowed_hosts) == (2, ("mirror.example:8080", "cdn.example"))
    monkeypatch.setenv("KEZEK_HTTP_READ_TIMEOUT", "a minute")
    with pytest.raises(settings.BadSetting, match="KEZEK_HTTP_READ_TIMEOUT must be a number above 0, not 'a minute'"):
        Policy()


@pytest.mark.parametrize("name, value", [("KEZEK_SERIES_FOLD_ROWS", "0"), ("KEZEK_HTTP_ATTEMPTS", "2.5")])
def test_an_update_with_a_setting_it_cannot_use_is_one_line_and_publishes_nothing(tmp_path, monkeypatch, name, value):
    from conftest import application, kindergarten, vacancy, write_dataset

    series = tmp_path / "series"
    write_dataset(series / "2017-04-01", {"kindergartens": [kindergarten()], "vacancies": [vacancy()],
                                          "applications": [application("УО.2016.000001.1", "2016-02-01 10:00")]})
    monkeypatch.setenv(name, value)
    source = str(series) if name.startswith("KEZEK_SERIES") else "http://127.0.0.1:9/dataset/"
    done = run_kezek("update", "--source", source, home=tmp_path / "home")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"kezek update: {name} must be a whole number above 0, not {value!r} (docs/settings.md); nothing published"]
    assert not (tmp_path / "home" / "published.json").exists()
