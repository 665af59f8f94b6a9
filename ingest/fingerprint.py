"""What local sources hold, as one checksum: the same checksum, the same publication.

`kezek update` compares it with the one the current publication was made from (meta
`source_fingerprint`) before reading anything: an akimat's nightly run over a folder nobody
touched publishes nothing, as an HTTP source that answers 304 does (ingest/remote.py), so
that a journalist's list of publications holds real changes and old links are not pushed
out by copies of the same data.

The checksum covers every file of each folder or .zip (its relative path and SHA-256), the
mapping file given with --mapping, and Kezek's own rulesets (engine/rulesets/): a corrected
ruleset publishes the same files again. A series' dated snapshot folders count by their
files' names, sizes and modification times (ingest/series.py, `identity`), the same test
that decides whether a snapshot already published is read again: appending a day costs
about a day's work, not a checksum of every day. Other sources (demo:, git:, a source
definition file, an address) have no fingerprint here: an update with any of them publishes.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from engine.ruleset import FOLDER as RULESETS
from ingest.problems import BadInput
from ingest.redaction import public_source
from ingest.series import identity, snapshot_folders

FINGERPRINT_KEY = "source_fingerprint"  # the meta key of a publication made from local sources


def local_fingerprint(sources: list[str], mapping: Path | None) -> str | None:
    """The fingerprint of `sources` read with `mapping`; None unless every source is a local
    folder or .zip (or when one cannot be read: the update then says why)."""
    parts: list = []
    try:
        for source in sources:
            path = Path(source)
            if source.startswith(("demo:", "git:", "http://", "https://")):
                return None
            if path.is_dir():
                parts.append([public_source(source), _folder(path)])
            elif path.is_file() and path.suffix.lower() == ".zip":
                parts.append([public_source(source), _digest(path)])
            else:
                return None
        parts.append(["--mapping", _digest(mapping) if mapping else None])
    except (OSError, BadInput):
        return None
    parts.append(["rulesets", _rulesets()])
    # ASCII JSON: a file name that is not UTF-8 (kept as surrogate escapes) is written escaped
    return hashlib.sha256(json.dumps(parts).encode("ascii")).hexdigest()


def _digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _folder(folder: Path) -> list:
    series = {p for _, p in snapshot_folders(folder)}  # [] for a dataset folder
    out = [[p.name, "snapshot", identity(p)] for p in sorted(series)]
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not any(s in path.parents for s in series):
            out.append([path.relative_to(folder).as_posix(), "file", _digest(path)])
    return out


def _rulesets() -> list:
    folder = resources.files("engine").joinpath(RULESETS)
    return [[entry.name, hashlib.sha256(entry.read_bytes()).hexdigest()]
            for entry in sorted(folder.iterdir(), key=lambda p: p.name) if entry.name.endswith(".toml")]
