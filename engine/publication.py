"""Publication: a new immutable snapshot file and its open-data files, then an atomic switch
of the pointer.

    HOME/snapshots/SNAPSHOT.duckdb        the published tables (engine/store.py)
    HOME/open-data/SNAPSHOT/              its open data (kezek export: datapackage.json, csv/,
                                          parquet/) and SNAPSHOT's ZIP of them, written before
                                          the switch: the server only serves files
    HOME/open-data/publications.json      every publication with what changed and the links of
                                          those kept (engine/versions.py), written after the switch

A snapshot and its open data are kept as interfaces.md promises its links: at least 90 days
or the last 30 publications, whichever keeps more.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb

from engine import store

# interfaces.md: "A snapshot's own links keep working as long as its files are kept (at least
# 90 days or the last 30 publications, whichever keeps more)": a snapshot goes only when it
# is beyond both.
KEEP_PUBLICATIONS = 30
KEEP_DAYS = 90
OPEN_DATA = "open-data"  # HOME/open-data/SNAPSHOT/: the files of a snapshot's open data
VERSIONS = "publications.json"  # HOME/open-data/publications.json (engine/versions.py)
SNAPSHOT_TIME = "%Y%m%dT%H%M%S"  # how a snapshot's id begins: its publication, UTC


def new_snapshot_id(home: Path, fingerprint: str, now: dt.datetime) -> str:
    base = f"{now.astimezone(dt.timezone.utc):{SNAPSHOT_TIME}}-{fingerprint[:8]}"
    snapshot, n = base, 1
    while (home / store.SNAPSHOTS / f"{snapshot}.duckdb").exists():
        n += 1
        snapshot = f"{base}-{n}"
    return snapshot


def building_path(home: Path, snapshot: str) -> Path:
    return home / store.SNAPSHOTS / f".building-{snapshot}.duckdb"


def zip_name(snapshot: str) -> str:
    """The name of the ZIP of a snapshot's open data, inside its folder."""
    return f"kezek-{snapshot}.zip"


def open_data_folder(home: Path, snapshot: str) -> Path:
    return home / OPEN_DATA / snapshot


def open_data_building(home: Path, snapshot: str) -> Path:
    """Where the open data of a snapshot being built are written, unseen until published."""
    return home / OPEN_DATA / f".building-{snapshot}"


def publish(home: Path, snapshot: str, published_at: str) -> tuple[Path, list[tuple[str, str, tuple]]]:
    """Move the finished file into place and point readers at it. Returns the file and the
    warnings of what failed after the switch, each (catalog key notice.<key>, English message,
    its values): once the pointer names the new snapshot it is
    published, and a changelog that could not be written is repaired at the next publication.
    When the switch fails, the new file is removed: no snapshot stays that was never published.
    The snapshot's open data, written beside it, are put in place before it."""
    building = building_path(home, snapshot)
    final = home / store.SNAPSHOTS / f"{snapshot}.duckdb"
    exported = open_data_folder(home, snapshot)
    if open_data_building(home, snapshot).is_dir():
        os.replace(open_data_building(home, snapshot), exported)
    with open(building, "rb") as fh:
        os.fsync(fh.fileno())
    try:
        previous = store.current(home)
    except store.SnapshotUnavailable:
        previous = None
    os.replace(building, final)
    try:
        store.write_pointer(home, snapshot, published_at)
    except BaseException:
        if _pointer_names(home) != snapshot:
            final.unlink(missing_ok=True)
            Path(f"{final}.wal").unlink(missing_ok=True)
            shutil.rmtree(exported, ignore_errors=True)
            raise
    warnings = []
    try:
        if previous is not None and previous.path.is_file() and not _recorded(home, previous.snapshot):
            record(home, previous.path)  # the line a failed run could not write, before ours
        record(home, final)
    except Exception as exc:  # noqa: BLE001 - whatever it is, the snapshot is published
        warnings.append(("changelog_not_written", f"the changelog {LOG} could not be written ({exc}); the next "
                         "publication repairs it", (("file", LOG), ("error", str(exc)))))
    try:
        prune(home, snapshot, dt.datetime.fromisoformat(published_at))
    except Exception as exc:  # noqa: BLE001 - as above
        warnings.append(("snapshots_not_pruned", f"superseded snapshots could not be removed ({exc}); the next "
                         "publication tries again", (("error", str(exc)),)))
    try:  # after the pruning: the list links only the files that are kept
        from engine.versions import write  # here: engine/versions.py reads this module

        write(home)
    except Exception as exc:  # noqa: BLE001 - as above
        warnings.append(("versions_not_written", f"the list of publications {OPEN_DATA}/{VERSIONS} could not be "
                         f"written ({exc}); the next publication writes it",
                         (("file", f"{OPEN_DATA}/{VERSIONS}"), ("error", str(exc)))))
    return final, warnings


def _pointer_names(home: Path) -> str | None:
    try:
        return store.current(home).snapshot
    except store.SnapshotUnavailable:
        return None


def _recorded(home: Path, snapshot: str) -> bool:
    return any(p.get("snapshot") == snapshot for p in publications(home))


LOG = "publications.jsonl"  # the changelog of the data: a line per publication, never rewritten


def record(home: Path, path: Path) -> None:
    """Append the publication to HOME/publications.jsonl: when, the data's date, the rows
    of each table and the files read with their checksums."""
    from engine.resources import RESOURCES

    con = store.open_snapshot(path)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        rows = store.table_rows(con, RESOURCES)
        sources = [{"file": f, "table": t, "rows": n, "sha256": h} for f, t, n, h in con.execute(
            "SELECT file, table_name, rows, sha256 FROM sources ORDER BY table_name, file").fetchall()]
    finally:
        con.close()
    line = {"snapshot": meta.get("snapshot"), "published_at": meta.get("published_at"), "as_of": meta.get("as_of"),
            "rows": rows, "sources": sources}
    with open(home / LOG, "ab") as fh:
        # A line cut short by a crash or a full disk stays alone on its line, skipped by readers.
        cut = fh.tell() > 0 and _last_byte(home / LOG) != b"\n"
        fh.write((b"\n" if cut else b"") + (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def publications(home: Path) -> list[dict]:
    """The changelog, newest first (a line cut short by a crash is skipped)."""
    try:  # a line cut inside a letter is not a reason to fail: it is skipped like any cut line
        lines = (home / LOG).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out[::-1]


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1)


def published_on(snapshot: str) -> dt.datetime | None:
    """When a snapshot was published, from its id (UTC); None for a name that is not one."""
    try:
        return dt.datetime.strptime(snapshot[:15], SNAPSHOT_TIME).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return None


def kept(snapshots: list[str], current: str, now: dt.datetime) -> set[str]:
    """The snapshots whose links must keep working at `now`: the current one, the last
    KEEP_PUBLICATIONS, and every one published in the last KEEP_DAYS (interfaces.md)."""
    newest = sorted(snapshots, key=lambda s: (published_on(s) or dt.datetime.min.replace(tzinfo=dt.timezone.utc), s))
    recent = {s for s in snapshots if (published_on(s) or now) >= now - dt.timedelta(days=KEEP_DAYS)}
    return {current, *newest[-KEEP_PUBLICATIONS:], *recent}


def prune(home: Path, current: str, now: dt.datetime) -> None:
    """Delete the snapshots, with their open data, that are beyond both the last
    KEEP_PUBLICATIONS publications and KEEP_DAYS days before `now`, and leftovers of killed
    updates."""
    folder = home / store.SNAPSHOTS
    for leftover in [*folder.glob(".building-*"), *(home / OPEN_DATA).glob(".building-*")]:
        if current not in leftover.name:
            _remove(leftover)
    published = [p.stem for p in folder.glob("*.duckdb")]
    keep = kept(published, current, now)
    for old in sorted(set(published) - keep):
        (folder / f"{old}.duckdb").unlink(missing_ok=True)
        (folder / f"{old}.duckdb.wal").unlink(missing_ok=True)
    for exported in (home / OPEN_DATA).glob("*"):  # open data go with their snapshot
        if not exported.name.startswith(".") and exported.name != VERSIONS and exported.name not in keep:
            _remove(exported)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
