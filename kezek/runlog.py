"""One line per `kezek update` in HOME/update.log, for the people who run it unattended:
when, from what, the outcome (published which snapshot with how many rows, unchanged, or
why nothing was published), the exit status and the time taken. Addresses lose any
user:password part and secret query values (ingest/redaction.py); bytes of a file name that
are not UTF-8 are written escaped, so that the line is always written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest.privacy import mask
from ingest.redaction import redact

LOG = "update.log"


def record(home: Path, sources: list[str], status: int, outcome: str, seconds: float) -> None:
    when = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    where = " ".join(redact(s) for s in sources)
    said = mask(redact(outcome))
    line = f"{when} exit={status} {seconds:.1f}s sources={where} {said}"
    try:
        home.mkdir(parents=True, exist_ok=True)
        with open(home / LOG, "a", encoding="utf-8") as fh:
            fh.write(line.replace("\n", " ") + "\n")
    except OSError:  # a log that cannot be written does not fail the update
        pass
