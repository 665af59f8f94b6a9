"""The API against its own OpenAPI description, fuzzed by schemathesis on a live
`kezek serve` (loopback, the Almaty demo) with every check schemathesis has: no server
error; every response (status, content type, headers, body) as described; what the
schemas forbid refused, what they allow accepted, save the refusals the description
states in words (tests/api_fuzz_hooks.py). More examples with KEZEK_SLOW=1."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import duckdb
from conftest import SLOW
from test_browser import almaty_server  # noqa: F401 - a fixture: the Almaty demo served on loopback

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
HOOKS = Path(__file__).with_name("api_fuzz_hooks.py")
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
DESCRIPTION = "/api/v1/openapi.json"


def config(number: str, region: str, birth_year: int, as_of: dt.date) -> str:
    """schemathesis.toml: a known number, its segment and days within the data often enough
    that lookups find something, /queue gets its segment and dates are not mostly after the
    snapshot's (each a 400 the description states)."""
    numbers = [number, f" {number.lower()} ", "УО.2099.000001.1"]
    days = [as_of, as_of - dt.timedelta(days=90), dt.date(as_of.year - 1, 1, 1)]
    months = sorted({f"{d:%Y-%m}" for d in days})
    dictionaries = {"numbers": numbers, "regions": [region], "birth_years": [birth_year, birth_year + 1],
                    "days": [d.isoformat() for d in days], "months": months}
    bindings = {"path.number": ("numbers", 0.7), "query.number": ("numbers", 0.3), "query.region": ("regions", 0.5),
                "query.birth_year": ("birth_years", 0.5), "query.as_of": ("days", 0.7), "query.from": ("days", 0.7),
                "query.to": ("days", 0.7), "query.month": ("months", 0.5)}
    lines = [f"[dictionaries.{name}]\nvalues = {json.dumps(values, ensure_ascii=False)}"
             for name, values in dictionaries.items()]
    lines += ["[parameters]", *(f'"{key}" = {{ dictionary = "{name}", probability = {chance} }}'
                                for key, (name, chance) in bindings.items())]
    # The refusals stated in words are a 400 to valid data; refused_only_as_stated checks the reason.
    lines += ["[checks.positive_data_acceptance]",
              'expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]']
    return "\n".join(lines) + "\n"


def operations(url: str) -> int:
    """The operations the served description declares, but the one serving it, which
    schemathesis leaves out."""
    with urllib.request.urlopen(url + DESCRIPTION, timeout=30) as response:
        paths = json.load(response)["paths"]
    return sum(method in HTTP_METHODS for path, item in paths.items() if path != DESCRIPTION for method in item)


def test_schemathesis_finds_no_failure(almaty_server, tmp_path):
    url, home = almaty_server
    (snapshot,) = (home / "snapshots").glob("*.duckdb")
    with duckdb.connect(str(snapshot), read_only=True) as con:  # a number that is in the queue
        number, region, birth_year = con.execute(
            "SELECT application_number, region, birth_year FROM queue ORDER BY queue_number, application_number "
            "LIMIT 1 OFFSET 100").fetchone()
        (as_of,) = con.execute("SELECT value FROM meta WHERE key = 'as_of'").fetchone()
    (tmp_path / "schemathesis.toml").write_text(config(number, region, birth_year, dt.date.fromisoformat(as_of)),
                                                encoding="utf-8")
    examples = "500" if SLOW else "50"
    done = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(tmp_path / "schemathesis.toml"), "run", url + DESCRIPTION,
         "--checks", "all", "--max-examples", examples, "--workers", "1", "--seed", "20170410",
         "--generation-database", "none", "--no-color"],
        capture_output=True, text=True, timeout=1800, cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)})
    summary = done.stdout[-6000:]
    assert done.returncode == 0, summary
    generated, passed = map(int, re.search(r"(\d+) generated, (\d+) passed", summary).groups())
    assert generated == passed and generated > 500, summary
    expected = operations(url)
    assert f"Selected: {expected}/{expected}" in summary and re.search(rf"Tested: {expected}\b", summary), summary
