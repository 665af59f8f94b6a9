"""Previous versions: every publication of the changelog (HOME/publications.jsonl) with what
changed since the one before it — rows per table, the files read added, removed or changed —
and the permanent links of its open data while they are kept, in the manner of the ONS's
"previous versions" of a dataset.

Written after each publication as HOME/open-data/publications.json, which the server gives
at /open-data/publications.json (interfaces.md); the Open data page shows the same list.
All figures are observed: counted in what each publication holds, never computed by rules.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from engine import store
from engine.publication import OPEN_DATA, VERSIONS, open_data_folder, publications

LATEST = "/open-data/latest/"  # the current publication's files (dashboard/open_data_routes.py)


def links(snapshot: str) -> dict[str, str]:
    """The permanent links of a snapshot's open data (relative to the site)."""
    return {"zip": f"/open-data/{snapshot}.zip", "datapackage": f"/open-data/{snapshot}/datapackage.json"}


def changes(publication: dict, before: dict | None) -> dict | None:
    """What changed from `before` to `publication`: the tables whose row counts differ (by
    how many), and the files read that were added, removed or changed (another checksum, or
    another row count for a table made without a file). None for the first publication."""
    if before is None:
        return None
    rows, was = publication.get("rows", {}), before.get("rows", {})
    files = {s["file"]: (s.get("sha256"), s.get("rows")) for s in publication.get("sources", [])}
    had = {s["file"]: (s.get("sha256"), s.get("rows")) for s in before.get("sources", [])}
    return {
        "rows": {table: rows.get(table, 0) - was.get(table, 0)
                 for table in sorted(set(rows) | set(was)) if rows.get(table, 0) != was.get(table, 0)},
        "sources_added": sorted(set(files) - set(had)),
        "sources_removed": sorted(set(had) - set(files)),
        "sources_changed": sorted(f for f in set(files) & set(had) if files[f] != had[f]),
    }


def versions(home: Path) -> list[dict]:
    """Every recorded publication, newest first, with its changes and, while its files are
    kept, its links (null once pruned)."""
    log = publications(home)
    out = []
    for i, p in enumerate(log):
        snapshot = p.get("snapshot") or ""
        out.append({
            "snapshot": snapshot,
            "published_at": p.get("published_at"),
            "as_of": p.get("as_of"),
            "rows": p.get("rows", {}),
            "sources": p.get("sources", []),
            "changes": changes(p, log[i + 1] if i + 1 < len(log) else None),
            "files": links(snapshot) if snapshot and open_data_folder(home, snapshot).is_dir() else None,
        })
    return out


def document(home: Path) -> dict:
    """The list as /open-data/publications.json gives it: the current snapshot, the address
    of its files that follows the publications, and every publication, newest first."""
    try:
        current = store.current(home).snapshot
    except store.SnapshotUnavailable:
        current = None
    return {"current": current, "latest": LATEST, "publications": versions(home)}


def write(home: Path) -> None:
    """HOME/open-data/publications.json, replaced in one step."""
    path = home / OPEN_DATA / VERSIONS
    tmp = path.with_name(f".building-{VERSIONS}")  # a leftover is removed by the next prune
    try:
        tmp.write_text(json.dumps(document(home), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
