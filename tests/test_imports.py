"""Imports flow one way, as pyproject.toml's [tool.importlinter] contracts say: the command
line on top; the dashboard, the ingest and the demo generator beside each other; the engine
below them all; the catalogs of texts a leaf. import-linter checks the project's own code, and a copy of it with
one import against the stream shows that the check can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("engine", "ingest", "dashboard", "i18n", "demo", "kezek")


def lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(root)})


def test_the_project_keeps_its_import_contracts():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    assert f"Contracts: {len(contracts)} kept, 0 broken." in done.stdout


def test_an_import_against_the_stream_breaks_a_contract(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    workdays = tmp_path / "engine" / "workdays.py"  # the engine asking the dashboard for a text
    workdays.write_text(workdays.read_text(encoding="utf-8") + "\nfrom dashboard import labels  # noqa\n",
                        encoding="utf-8")
    done = lint(tmp_path)
    assert done.returncode != 0
    assert "the engine imports nothing of the project but the catalogs BROKEN" in done.stdout
    assert "engine.workdays -> dashboard.labels" in done.stdout
