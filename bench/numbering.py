"""Queue numbering alone, against a bare DuckDB `row_number()` over the same rows (plain
script, not a test).

Both read the same in-memory table: every application's state at the snapshot's date
(as `kezek update` numbers it). Numbering is the engine's query (engine/sql/numbering.sql:
Q2's filter, a rank per privilege list, Q3's merge, Q4's two numbers, the segment size and
the counts of each list ahead); the bare baseline is one `row_number()` per segment in registration order over the
same numbered rows. Each is materialised into a table (`CREATE TABLE … AS`), alternately,
`runs` times; the ratio of the medians is the figure.

Usage: python bench/numbering.py [--preset national] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The baseline: the cheapest query that still gives each numbered application a number in
# its segment (Q1, Q2) in registration order.
BARE = """
SELECT application_number, region, locality, birth_year,
       row_number() OVER (PARTITION BY region, locality, birth_year
                          ORDER BY registered_at, application_number) AS queue_number
FROM state
WHERE is_numbered(status)
"""


def measure(home: Path, runs: int = 5) -> dict:
    import duckdb

    from engine import numbering
    from engine.store import current
    from kezek.pipeline import KEPT_STATE

    con = duckdb.connect()
    con.execute("ATTACH $path AS snap (READ_ONLY)", {"path": str(current(home).path)})
    con.execute("USE snap")  # KEPT_STATE reads the snapshot's tables
    con.execute(f"CREATE TABLE memory.state AS {KEPT_STATE}")
    as_of = con.execute("SELECT CAST(value AS DATE) FROM meta WHERE key = 'as_of'").fetchone()[0]
    con.execute("CREATE TABLE memory.numbering_rules AS SELECT * FROM numbering_rules")
    # created while the snapshot is current: DuckDB binds the table macro segment_applications
    # (not used here) to the snapshot's applications when it is created
    numbering.create_macros(con, "memory.main.")
    con.execute("USE memory")
    rows = con.execute("SELECT count(*) FROM state").fetchone()[0]
    engine_sql = f"SELECT * FROM ({numbering.sql('numbering')})"
    params = {"until": numbering.end_of_day(as_of)}
    timings: dict[str, list[float]] = {"numbering": [], "row_number": []}
    for run in range(runs + 1):  # the first run of each warms up and is not counted
        for name, sql, p in (("numbering", engine_sql, params), ("row_number", BARE, {})):
            con.execute("DROP TABLE IF EXISTS out")
            start = time.perf_counter()
            con.execute(f"CREATE TABLE out AS {sql}", p)
            elapsed = time.perf_counter() - start
            if run:
                timings[name].append(elapsed)
    numbered = con.execute("SELECT count(*) FROM out").fetchone()[0]
    con.close()
    median = {k: statistics.median(v) for k, v in timings.items()}
    return {"rows": rows, "numbered": numbered, "runs": runs,
            "numbering_s_median": round(median["numbering"], 3),
            "numbering_s_min": round(min(timings["numbering"]), 3),
            "numbering_s_max": round(max(timings["numbering"]), 3),
            "row_number_s_median": round(median["row_number"], 3),
            "row_number_s_min": round(min(timings["row_number"]), 3),
            "row_number_s_max": round(max(timings["row_number"]), 3),
            "ratio": round(median["numbering"] / median["row_number"], 2)}


def main() -> None:
    from pages import published_home

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="national")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps({"preset": args.preset, **measure(published_home(args.preset), args.runs)}, indent=2))


if __name__ == "__main__":
    main()
