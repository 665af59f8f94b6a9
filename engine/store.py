"""Where published snapshots live and how readers open them.

A home folder holds immutable DuckDB snapshot files under `snapshots/` and a small
pointer file, `published.json`, naming the current one. Writers create a new file and
then replace the pointer atomically (`os.replace`); readers read the pointer and attach
the file it names read-only. A reader that still holds an older snapshot open keeps
seeing it whole, even after it is superseded or deleted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from engine import settings

POINTER = "published.json"
SNAPSHOTS = "snapshots"


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """--home DIR, else $KEZEK_HOME, else ./data (interfaces.md, "Home")."""
    if home:
        return Path(home)
    return Path(settings.text("KEZEK_HOME"))


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
        snapshot, published_at = doc["snapshot"], doc["published_at"]
        if not isinstance(snapshot, str) or not isinstance(published_at, str) or "/" in snapshot or not snapshot:
            raise ValueError("expected the strings snapshot and published_at")
        path = home / SNAPSHOTS / f"{snapshot}.duckdb"
    except FileNotFoundError:
        raise SnapshotUnavailable(f"no snapshot is published in {home}") from None
    except (ValueError, KeyError, TypeError, OSError) as exc:
        missing = f"no {exc}" if isinstance(exc, KeyError) else str(exc)
        raise SnapshotUnavailable(f"{pointer} is unreadable: {missing}") from None
    if not path.is_file():
        raise SnapshotUnavailable(f"published snapshot {path} is missing")
    return Publication(snapshot, published_at, path)


def write_pointer(home: Path, snapshot: str, published_at: str) -> None:
    """Switch readers to `snapshot` in one atomic step."""
    tmp = home / f".{POINTER}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"snapshot": snapshot, "published_at": published_at}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, home / POINTER)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(home, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def open_snapshot(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


@dataclass(frozen=True)
class Snapshot:
    """What a reader knows of the snapshot it has open, read once when it opens it: its id,
    the day it describes (`meta`), the tables it holds (an older snapshot may lack a newer
    one) and, for a server, its lookups held in memory (engine/lookup_index.py)."""

    snapshot: str
    as_of: dt.date
    tables: frozenset[str]
    lookups: object | None = field(default=None, compare=False, repr=False)
    rules_unknown: tuple[str, ...] = ()  # regions no ruleset covers (engine/ruleset.py)
    # How its numbers are keyed (engine/application_number.py, KEY_VERSION; 1: published before
    # keys forgave separators and leading zeros) and written (engine/number_pattern.py).
    number_key: int = 1
    number_pattern: str | None = None
    # Whether `lookups` keeps what each status rests on (engine/lookup_index.py, STATUS_COLUMNS).
    status_facts: bool = False


def describe(con: duckdb.DuckDBPyConnection, *, hold_lookups: bool = False) -> Snapshot:
    """The snapshot `con` reads; with `hold_lookups`, its `lookups` loaded into memory."""
    meta = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('snapshot', 'as_of', 'rules_unknown', "
                           "'number_key', 'number_pattern')").fetchall())
    tables = frozenset(n for (n,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
    status_facts = bool(con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = 'lookups' "
                                    "AND column_name = 'status_since'").fetchall()[0][0])
    lookups = None
    if hold_lookups and "lookups" in tables:
        from engine.lookup_index import LookupIndex

        lookups = LookupIndex.load(con, with_status=status_facts)
    return Snapshot(meta["snapshot"], dt.date.fromisoformat(meta["as_of"]), tables, lookups,
                    tuple(json.loads(meta.get("rules_unknown") or "[]")),
                    int(meta.get("number_key") or 1), meta.get("number_pattern"), status_facts)


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


def check_readable(con: duckdb.DuckDBPyConnection, tables) -> None:
    """Read the first row of every table, every column of it, in one query; raises
    duckdb.Error when a block it needs fails its checksum. Cheap (DuckDB reads one vector of
    each column whatever the table's size: about 10 ms at the Astana demo), it catches a
    damaged table before a request does, though not damage deeper inside a large table,
    which only the queries that reach it find."""
    reads = " UNION ALL ".join(f'(SELECT hash(t) AS h FROM "{n}" AS t LIMIT 1)' for n in sorted(tables))
    if reads:
        con.execute(f"SELECT count(h) FROM ({reads})").fetchone()


@dataclass(frozen=True)
class Verdict:
    """What a reader found when it last looked at the pointer: the publication it serves,
    or why it serves none. A failure is believed for RETRY seconds, then looked at again (a
    damaged file stays damaged, but an error may have been passing)."""

    pointer: int  # the pointer file's mtime (ns) when it was judged
    publication: Publication | None
    failure: str | None = None
    until: float = float("inf")  # time.monotonic() after which the verdict is stale

    RETRY = 60.0


class Reader:
    """One read-only connection per published snapshot, shared by threads.

    Each query should run on `cursor()`, DuckDB's per-thread handle. When the pointer
    names a newer snapshot, the next `cursor()` switches to it; the old connection is
    left to close when the last cursor using it is gone. With `hold_lookups` (the server),
    each snapshot's lookups are loaded into memory when it is opened.

    A snapshot is judged once, when it is opened: its `meta` and the first row of each
    table must read (check_readable). One that does not is unavailable, and every caller
    hears so at once, without opening it again, until the pointer changes or a minute passes.
    """

    def __init__(self, home: Path, hold_lookups: bool = False):
        self.home = home
        self.hold_lookups = hold_lookups
        self._lock = threading.Lock()
        self._publication: Publication | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._snapshot: Snapshot | None = None
        self._verdict: Verdict | None = None

    def publication(self) -> Publication:
        self._refresh()
        assert self._publication is not None
        return self._publication

    def cursor(self) -> duckdb.DuckDBPyConnection:
        self._refresh()
        assert self._con is not None
        return self._con.cursor()

    def open(self) -> tuple[duckdb.DuckDBPyConnection, Snapshot]:
        """A cursor and the description of the snapshot it reads, taken together, so that an
        answer and the snapshot id it is labelled with never come from two publications."""
        self._refresh()
        with self._lock:
            assert self._con is not None and self._snapshot is not None
            return self._con.cursor(), self._snapshot

    def judged(self) -> Publication | None:
        """Without waiting for the lock or touching the snapshot: the publication served, if
        the reader has already judged the pointer as it is now; None if it has yet to look
        (then `publication()` looks, which may take a while). Raises SnapshotUnavailable
        when nothing is published or the publication was judged unreadable. For a health
        check on an event loop."""
        verdict = self._verdict  # one read: the verdict is replaced whole, never changed
        if verdict is None or verdict.pointer != self._pointer_mtime() or time.monotonic() > verdict.until:
            return None
        if verdict.failure is not None:
            raise SnapshotUnavailable(verdict.failure)
        return verdict.publication

    def _pointer_mtime(self) -> int:
        try:
            return (self.home / POINTER).stat().st_mtime_ns
        except FileNotFoundError:
            raise SnapshotUnavailable(f"no snapshot is published in {self.home}") from None

    def _refresh(self) -> None:
        mtime = self._pointer_mtime()
        with self._lock:
            verdict = self._verdict
            if verdict is not None and verdict.pointer == mtime and time.monotonic() <= verdict.until:
                if verdict.failure is not None:
                    raise SnapshotUnavailable(verdict.failure)
                return
            try:
                publication = current(self.home)
                if self._publication is None or publication.snapshot != self._publication.snapshot:
                    self._con, self._snapshot = self._open(publication)
                self._publication = publication
            except SnapshotUnavailable as exc:
                self._verdict = Verdict(mtime, None, str(exc), time.monotonic() + Verdict.RETRY)
                raise
            self._verdict = Verdict(mtime, publication)

    def _open(self, publication: Publication) -> tuple[duckdb.DuckDBPyConnection, Snapshot]:
        try:
            con = open_snapshot(publication.path)
        except duckdb.Error as exc:
            raise SnapshotUnavailable(f"{publication.path} is unreadable: {exc}") from None
        try:
            snapshot = describe(con, hold_lookups=self.hold_lookups)
            check_readable(con, snapshot.tables)
        except (duckdb.Error, KeyError, ValueError) as exc:
            con.close()
            raise SnapshotUnavailable(f"{publication.path} is unreadable: {exc}") from None
        return con, snapshot
