"""Where published snapshots live and how readers open them.

A home folder holds immutable DuckDB snapshot files under `snapshots/` and a small
pointer file, `published.json`, naming the current one. Writers create a new file and
then replace the pointer atomically (`os.replace`); readers read the pointer and attach
the file it names read-only. A reader that still holds an older snapshot open keeps
seeing it whole, even after it is superseded or deleted.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

POINTER = "published.json"
SNAPSHOTS = "snapshots"


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """--home DIR, else $KEZEK_HOME, else ./data (interfaces.md, "Home")."""
    if home:
        return Path(home)
    return Path(os.environ.get("KEZEK_HOME") or "data")


class SnapshotUnavailable(Exception):
    """No snapshot is published in this home, or it cannot be read."""


@dataclass(frozen=True)
class Publication:
    snapshot: str
    published_at: str
    path: Path


def current(home: Path) -> Publication:
    pointer = home / POINTER
    try:
        doc = json.loads(pointer.read_text(encoding="utf-8"))
        path = home / SNAPSHOTS / f"{doc['snapshot']}.duckdb"
    except FileNotFoundError:
        raise SnapshotUnavailable(f"no snapshot is published in {home}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise SnapshotUnavailable(f"{pointer} is unreadable: {exc}") from None
    if not path.is_file():
        raise SnapshotUnavailable(f"published snapshot {path} is missing")
    return Publication(doc["snapshot"], doc["published_at"], path)


def write_pointer(home: Path, snapshot: str, published_at: str) -> None:
    """Switch readers to `snapshot` in one atomic step."""
    tmp = home / f".{POINTER}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"snapshot": snapshot, "published_at": published_at}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, home / POINTER)
    dir_fd = os.open(home, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def open_snapshot(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the snapshot holds the table (an older snapshot may lack a newer one)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchone()[0])


def table_rows(con: duckdb.DuckDBPyConnection, names) -> dict[str, int]:
    """Rows of each named table the snapshot holds, in the order given, in one query."""
    present = {n for (n,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    held = [n for n in names if n in present]
    if not held:
        return {}
    union = " UNION ALL ".join(f"SELECT {i} AS i, count(*) AS n FROM \"{n}\"" for i, n in enumerate(held))
    counts = dict(con.execute(f"SELECT i, n FROM ({union})").fetchall())
    return {n: counts[i] for i, n in enumerate(held)}


class Reader:
    """One read-only connection per published snapshot, shared by threads.

    Each query should run on `cursor()`, DuckDB's per-thread handle. When the pointer
    names a newer snapshot, the next `cursor()` switches to it; the old connection is
    left to close when the last cursor using it is gone.
    """

    def __init__(self, home: Path):
        self.home = home
        self._lock = threading.Lock()
        self._publication: Publication | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._pointer_mtime: float | None = None

    def publication(self) -> Publication:
        self._refresh()
        assert self._publication is not None
        return self._publication

    def cursor(self) -> duckdb.DuckDBPyConnection:
        self._refresh()
        assert self._con is not None
        return self._con.cursor()

    def _refresh(self) -> None:
        try:
            mtime = (self.home / POINTER).stat().st_mtime_ns
        except FileNotFoundError:
            raise SnapshotUnavailable(f"no snapshot is published in {self.home}") from None
        with self._lock:
            if self._con is not None and mtime == self._pointer_mtime:
                return
            publication = current(self.home)
            if self._publication is None or publication.snapshot != self._publication.snapshot:
                try:
                    con = open_snapshot(publication.path)
                except duckdb.Error as exc:
                    raise SnapshotUnavailable(f"{publication.path} is unreadable: {exc}") from None
                self._con, self._publication = con, publication
            self._pointer_mtime = mtime
