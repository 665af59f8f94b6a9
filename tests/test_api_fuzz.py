"""The API against its own OpenAPI description, fuzzed by schemathesis on a live
`kezek serve` (loopback, the Almaty demo): no server error, and every response — status,
content type, headers, body — as the description says. More examples with KEZEK_SLOW=1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
from test_browser import almaty_server  # noqa: F401 - a fixture: the Almaty demo served on loopback

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance")


def test_schemathesis_finds_no_failure(almaty_server, tmp_path):
    url, home = almaty_server
    (snapshot,) = (home / "snapshots").glob("*.duckdb")
    with duckdb.connect(str(snapshot), read_only=True) as con:  # a number that is in the queue
        (number,) = con.execute("SELECT application_number FROM queue ORDER BY queue_number, application_number "
                                "LIMIT 1 OFFSET 100").fetchone()
    config = tmp_path / "schemathesis.toml"
    config.write_text(f'[parameters]\nnumber = "{number}"\n', encoding="utf-8")
    examples = "500" if os.environ.get("KEZEK_SLOW") else "50"
    done = subprocess.run(
        [str(SCHEMATHESIS), "--config-file", str(config), "run", f"{url}/api/v1/openapi.json",
         "--checks", ",".join(CHECKS), "--max-examples", examples, "--workers", "1", "--seed", "20170410",
         "--no-color"],
        capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    summary = done.stdout[-3000:]
    assert done.returncode == 0, summary
    generated, passed = map(int, re.search(r"(\d+) generated, (\d+) passed", summary).groups())
    assert generated == passed and generated > 500, summary
    assert "Tested: 13" in summary or re.search(r"Tested: (\d+)", summary), summary
