"""Publication: a new immutable snapshot file, then an atomic switch of the pointer."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from engine import store

KEEP = 5  # superseded snapshots kept on disk for readers that still hold them


def new_snapshot_id(home: Path, fingerprint: str, now: dt.datetime) -> str:
    base = f"{now:%Y%m%dT%H%M%S}-{fingerprint[:8]}"
    snapshot, n = base, 1
    while (home / store.SNAPSHOTS / f"{snapshot}.duckdb").exists():
        n += 1
        snapshot = f"{base}-{n}"
    return snapshot


def building_path(home: Path, snapshot: str) -> Path:
    return home / store.SNAPSHOTS / f".building-{snapshot}.duckdb"


def publish(home: Path, snapshot: str, published_at: str) -> Path:
    """Move the finished file into place and point readers at it."""
    building = building_path(home, snapshot)
    final = home / store.SNAPSHOTS / f"{snapshot}.duckdb"
    with open(building, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(building, final)
    store.write_pointer(home, snapshot, published_at)
    prune(home, snapshot)
    return final


def prune(home: Path, current: str) -> None:
    """Delete the oldest superseded snapshots and leftovers of killed updates."""
    folder = home / store.SNAPSHOTS
    for leftover in folder.glob(".building-*"):
        if current not in leftover.name:
            leftover.unlink(missing_ok=True)
    published = sorted(p for p in folder.glob("*.duckdb") if p.stem != current)
    for old in published[: max(0, len(published) - KEEP)]:
        old.unlink(missing_ok=True)
        Path(f"{old}.wal").unlink(missing_ok=True)
