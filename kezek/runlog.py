"""One line per `kezek update` in HOME/update.log, for the people who run it unattended:
when, from what, the outcome (published which snapshot with how many rows, unchanged, or
why nothing was published), the exit status and the time taken. Addresses lose any
user:password part; keys never reach the log (ingest/portal.py redacts them)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

LOG = "update.log"
USERINFO = re.compile(r"(https?://)[^/@\s]+@")


def record(home: Path, sources: list[str], status: int, outcome: str, seconds: float) -> None:
    when = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    where = " ".join(USERINFO.sub(r"\1", s) for s in sources)
    said = USERINFO.sub(r"\1", outcome)
    line = f"{when} exit={status} {seconds:.1f}s sources={where} {said}"
    try:
        home.mkdir(parents=True, exist_ok=True)
        with open(home / LOG, "a", encoding="utf-8") as fh:
            fh.write(line.replace("\n", " ") + "\n")
    except OSError:  # a log that cannot be written does not fail the update
        pass
