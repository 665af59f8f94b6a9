"""Check a published Vilnius series against the city's own files, independently of Kezek's SQL:
for every two consecutive days, the children who left and joined by a plain diff of the ids
(Python's csv module), beside the events the publication derived: `left`, and `registered`
plus `returned` (a child who joins again after leaving is not new).

    .venv/bin/python examples/vilnius/check.py ../shared/data/vilnius --home data/vilnius

Exit status 1 if any day differs.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import duckdb

from ingest.series import snapshot_folders

CHILD = "Vaiko Identifikacinis Nr."


def ids(folder: Path) -> set[str]:
    with open(folder / "laukianciuju_eileje_ataskaita.csv", encoding="utf-8", newline="") as fh:
        return {row[CHILD] for row in csv.DictReader(fh, delimiter=";") if row.get(CHILD)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--home", type=Path, default=Path("data/vilnius"))
    args = parser.parse_args()
    snapshot = json.loads((args.home / "published.json").read_text(encoding="utf-8"))["snapshot"]
    con = duckdb.connect(str(args.home / "snapshots" / f"{snapshot}.duckdb"), read_only=True)
    derived = {(seen.strftime("%Y-%m-%dT%H%M"), event): n for seen, event, n in con.execute(
        "SELECT seen_in, event, count(*) FROM events WHERE derived AND event IN ('left', 'registered', 'returned') "
        "GROUP BY ALL"
    ).fetchall()}
    folders = snapshot_folders(args.source)
    print("day              left: diff / derived   joined: diff / registered + returned")
    differ = 0
    for (_, before), (_, after) in zip(folders, folders[1:]):
        old, new = ids(before), ids(after)
        left, joined = len(old - new), len(new - old)
        returned = derived.get((after.name, "returned"), 0)
        got = derived.get((after.name, "left"), 0), derived.get((after.name, "registered"), 0) + returned
        differ += (left, joined) != got
        print(f"{after.name}  {left:>10} / {got[0]:<10} {joined:>10} / {got[1] - returned} + {returned}"
              + ("" if (left, joined) == got else "  DIFFERS"))
    print(f"{len(folders) - 1} pairs of days, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
