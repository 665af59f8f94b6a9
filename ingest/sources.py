"""Where a dataset comes from: a folder, a .zip of one, a series, a source file, or tables made in the process."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pyarrow as pa

from engine import settings
from engine.ruleset import Ruleset, read_ruleset_file
from engine.schema import DATASET_KEYS, TABLES
from ingest import archive, privacy
from ingest.load import Ingest
from ingest.mapping import Mapping, file_key, load_mapping
from ingest.problems import BadInput, Notice, Problem
from ingest.readers import FORMATS, spaced
from ingest.git_series import PREFIX, commit_snapshots, is_git_source, materialize
from ingest.redaction import printable
from ingest.series import (Snapshot, carried_tables, carry, collapse, identity, is_series, keep, settings_hash,
                           snapshot_folders, snapshot_time)

MAX_UNZIPPED = 4 << 30  # bytes; a zip that expands beyond this is refused
MAX_MEMBERS = 1000  # files and folders; a dataset has a handful
MAX_RATIO = 200  # CSV exports compress about 8 times; a zip that expands 200 times is a bomb


@dataclass
class SourceReport:
    source: str
    metadata: dict = field(default_factory=dict)
    ruleset: Ruleset | None = None  # the publisher's own, from the file dataset.json names
    described: bool = False  # a dataset.json (or a mapping's [dataset]) describes it


def is_remote(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def ingest_source(ingest: Ingest, source: str, mapping: Mapping | None, workdir: Path,
                  fetched: Path | None = None) -> SourceReport:
    """Load one source; a remote one (ingest/remote.py) from `fetched`, where it was downloaded."""
    if is_remote(source):
        if fetched is None:
            from ingest.remote import fetch_dataset

            fetched, _ = fetch_dataset(source, workdir / f"remote-{len(list(workdir.glob('remote-*')))}")
        folder = _unzip(fetched, workdir) if fetched.suffix == ".zip" else fetched
        return _folder(ingest, folder, mapping, source)
    path = Path(source)
    if is_git_source(source):  # a series kept in a local git repository
        repository = Path(source.removeprefix(PREFIX))
        out = workdir / "git-series"
        return _series(ingest, out, mapping, source, commit_snapshots(repository, out),
                       fetch=lambda snapshot: materialize(repository, snapshot))
    if printable(source) != source:  # bytes Python could not decode, kept as surrogate escapes
        raise BadInput([Problem(printable(source), None, None, "the path is not UTF-8 (a name written in another "
                                "encoding); rename the folder or file in UTF-8", key="path_not_utf8")])
    if path.is_file() and path.suffix.lower() == ".toml":
        return _source_file(ingest, path, mapping, workdir)
    if path.is_dir() and is_series(path):
        return _series(ingest, path, mapping, source)
    if path.is_dir():
        return _folder(ingest, path, mapping, source)
    if path.is_file() and path.suffix.lower() == ".zip":
        return _folder(ingest, _unzip(path, workdir), mapping, source)
    raise BadInput([Problem(source, None, None, "no such dataset: expected a folder, a .zip, or demo:PRESET",
                            key="no_such_dataset")])


def ingest_generated(ingest: Ingest, source: str, tables: dict[str, pa.Table], metadata: dict) -> SourceReport:
    """Tables made in the process rather than read from files (the command line's
    `demo:PRESET`), with the dataset.json they come with: each is loaded as `source/table`."""
    ingest.use_timezone(metadata["timezone"], source)
    for name, arrow in tables.items():
        ingest.add_arrow(arrow, name, f"{source}/{name}")
    return SourceReport(source, dict(metadata), described=True)


def _folder(ingest: Ingest, folder: Path, mapping: Mapping | None, source: str) -> SourceReport:
    report = SourceReport(source)
    # A zip often holds one folder with the tables inside.
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir():
        folder = entries[0]
    mapping = _settings(ingest, folder, mapping, report)
    # A folder named by a snapshot's time (a series' day, read alone) describes that time:
    # its export time unless dataset.json gives one, and the day of its published numbers.
    dated = snapshot_time(folder.name)
    if dated is not None and "exported_at" not in report.metadata:
        report.metadata["exported_at"] = f"{dated:%Y-%m-%d %H:%M}"
    found = _tables(folder, mapping, report, ingest)
    for table, path in found:
        ingest.add_file(path, table, mapping, dated_at=dated, shared=_feeds_several(path, found))
    ingest.forget_read()
    return report


def _series(ingest: Ingest, folder: Path, mapping: Mapping | None, source: str,
            snapshots: list[Snapshot] | None = None, fetch=None) -> SourceReport:
    """A series (ingest/series.py): every snapshot's tables, each file marked with its
    snapshot's time; the series' mapping.toml and dataset.json apply to all of them. Without
    an export time, the data describe the queue as of the last snapshot.

    The snapshots the current publication already holds (same sources, same first
    snapshots) are carried, not read again: appending a day reads one day. `fetch(snapshot)`
    writes a snapshot's files into its folder before it is read (a git repository's)."""
    report = SourceReport(source)
    mapping = _settings(ingest, folder, mapping, report)
    if snapshots is None:
        snapshots = [Snapshot(at, p.name, identity(p), p) for at, p in snapshot_folders(folder)]
    ingest.series_settings = settings_hash(mapping.model_dump_json() if mapping else None, report.metadata)
    if ingest.previous is not None:
        ingest.carried = carry(ingest.con, *ingest.previous, ingest.series_settings, snapshots)
    ingest.snapshots = snapshots
    # A long series is read in parts: once the snapshots read hold more rows than
    # KEZEK_SERIES_FOLD_ROWS, they are reduced with what came before them (`collapse`) into a
    # file of the work folder, and their tables are dropped. Memory then holds a few snapshots
    # and the reduced state (about one snapshot), not every snapshot: 90 national days from
    # scratch need little more than a daily update. The result is the same (reducing again
    # gives what reducing at once does).
    fold_rows, unfolded = settings.number("KEZEK_SERIES_FOLD_ROWS"), 0
    for i, snapshot in enumerate(snapshots[ingest.carried:], start=ingest.carried):
        if fetch is not None:
            fetch(snapshot)
        found = _tables(snapshot.folder, mapping, report, ingest)
        for table, path in found:
            unfolded += ingest.add_file(path, table, mapping, label=f"{snapshot.name}/{path.name}",
                                        snapshot_at=snapshot.at, shared=_feeds_several(path, found)).rows
        ingest.forget_read()
        if unfolded > fold_rows and i + 1 < len(snapshots):
            _fold(ingest, snapshots[:i + 1])
            unfolded = 0
    report.metadata.setdefault("exported_at", f"{snapshots[-1].at:%Y-%m-%dT%H:%M:%S}")
    # What a series shows was observed from its first snapshot on; before it, nothing was.
    report.metadata["observed_since"] = f"{snapshots[0].at:%Y-%m-%dT%H:%M:%S}"
    return report


def _fold(ingest: Ingest, read: list[Snapshot]) -> None:
    """Reduce the series' files read so far (with what the update carries) into
    workdir/fold-N.duckdb, attached as `carried` in place of what it carried before; their
    archives are written into the work folder and their tables dropped."""
    con, files = ingest.con, [f for f in ingest.files if f.snapshot_at is not None and not f.folded]
    staged: dict[str, list] = {}
    for f in files:
        staged.setdefault(f.table, []).append((f.snapshot_at, f.staged))
        if f.sha256 is not None and f.path is not None:
            f.archived = ingest.workdir / "archived" / f.sha256
            if not f.archived.exists():
                archive.stage(con, f, f.archived)
        con.execute(f"DROP TABLE IF EXISTS {f.raw}")
    collapse(con, staged)
    path = ingest.workdir / f"fold-{sum(f.folded for f in ingest.files)}.duckdb"  # a new name each time
    con.execute("ATTACH $path AS fold", {"path": str(path)})
    keep(con, "fold", read, ingest.series_settings)
    # the files of the snapshots carried from the publication, as it listed them (pipeline)
    con.execute("CREATE TABLE fold.sources AS " + (
        "SELECT * FROM carried.sources" if carried_tables(con) else
        "SELECT CAST(NULL AS VARCHAR) AS file WHERE false"))
    for f in files:
        con.execute(f"DROP TABLE IF EXISTS {f.staged}")
        f.folded = True
    for name in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'memory' AND "
                            "(table_name LIKE 'kept\\_%' ESCAPE '\\' OR table_name LIKE 'series\\_%' ESCAPE '\\' "
                            "OR table_name = 'listed')").fetchall():
        con.execute(f"DROP TABLE {name[0]}")
    con.execute("DETACH fold")
    previous = [p for p, in con.execute("SELECT path FROM duckdb_databases() WHERE database_name = 'carried'").fetchall()]
    con.execute("DETACH DATABASE IF EXISTS carried")
    for superseded in previous:  # an earlier part's file; never the publication's
        if Path(superseded).parent == ingest.workdir:
            Path(superseded).unlink()
    con.execute("ATTACH $path AS carried (READ_ONLY)", {"path": str(path)})


def _settings(ingest: Ingest, folder: Path, mapping: Mapping | None, report: SourceReport) -> Mapping | None:
    """A dataset's (or a series') own mapping.toml, unless one was given, and dataset.json
    into the report — the mapping's `[dataset]` for what dataset.json does not say; its time
    zone set before any file is read (zone-aware times are read in it)."""
    if mapping is None and (folder / "mapping.toml").is_file():
        mapping = load_mapping(folder / "mapping.toml")
    if (folder / "dataset.json").is_file():
        report.metadata = _dataset_json(folder / "dataset.json")
        report.described = True
    ruleset_from = ("dataset.json", folder) if "ruleset" in report.metadata else None
    given = mapping.dataset if mapping else {}
    if given:
        _refuse_personal(given, f"{mapping.path} [dataset]")
        if "ruleset" in given and ruleset_from is None:
            ruleset_from = (f"{mapping.path} [dataset]", Path(mapping.path).parent)
        report.metadata = {**given, **report.metadata}
        report.described = True
    if "timezone" in report.metadata:
        ingest.use_timezone(report.metadata["timezone"], "dataset.json" if "timezone" not in given else
                            f"{mapping.path} [dataset]")
    if ruleset_from and report.metadata["ruleset"].lower().endswith(".toml"):
        report.ruleset = _ruleset_file(*ruleset_from, report.metadata["ruleset"])
        report.metadata["ruleset_file"] = report.metadata["ruleset"]  # a file of the folder, not a table
        report.metadata["ruleset"] = report.ruleset.name
    return mapping


def _ruleset_file(named_in: str, folder: Path, name: str) -> Ruleset:
    """The publisher's own ruleset, a TOML file that dataset.json (in the dataset's folder) or
    the mapping's `[dataset]` (beside the mapping file) names — `ruleset = "rules.toml"` —
    checked like the built-in ones."""
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents or not path.is_file():
        raise BadInput([Problem(named_in, None, "ruleset", f"names the ruleset file {name!r}, which is not a "
                                f"file of {'the dataset' if named_in == 'dataset.json' else 'the mapping'}'s folder")])
    try:
        return read_ruleset_file(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput([Problem(name, None, None, f"not a ruleset Kezek can apply: {exc}")]) from None


def _feeds_several(path: Path, found: list[tuple[str, Path]]) -> bool:
    return sum(p == path for _, p in found) > 1


EXPECTED_NAMES = ", ".join(TABLES)
EXPECTED_FORMATS = ", ".join(f".{f}" for f in FORMATS)


def _tables(folder: Path, mapping: Mapping | None, report: SourceReport, ingest: Ingest) -> list[tuple[str, Path]]:
    """The file of each canonical table in `folder` (one file may feed several tables through
    a mapping); other files are listed as ignored, each with the reason (ingest.notices)."""
    by_table: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        fmt = path.suffix.lower().lstrip(".")
        if not path.is_file() or path.name in ("dataset.json", "mapping.toml") or path.name.startswith("."):
            continue
        if path.name == report.metadata.get("ruleset_file"):
            continue
        tables = (mapping.tables_for_file(path.stem) if mapping else []) or [file_key(path.stem)]
        if fmt not in FORMATS or tables[0] not in TABLES:
            ingest.notices.append(_ignored(path, fmt))
            continue
        for table in tables:
            if table in by_table:
                raise BadInput([Problem(path.name, None, None, f"table {table!r} is also given by {by_table[table].name}; keep one",
                                        key="table_twice", values=(("value", table), ("other", by_table[table].name)))])
            by_table[table] = path
    return sorted(by_table.items(), key=lambda item: (item[1].name, list(TABLES).index(item[0])))


def _ignored(path: Path, fmt: str) -> Notice:
    """Why a file of the folder is not read: its format, or a name that is no table's."""
    if fmt not in FORMATS:
        return Notice(path.name, "ignored_format", f"ignored: not a format Kezek reads ({EXPECTED_FORMATS})",
                      (("formats", EXPECTED_FORMATS),))
    return Notice(path.name, "ignored_name", f"ignored: {path.stem!r} is not a table name of the format; a file is "
                  f"read by its name ({EXPECTED_NAMES}), or by a mapping.toml that names it",
                  (("names", EXPECTED_NAMES),))


def _dataset_json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput([Problem(path.name, getattr(exc, "lineno", None), None, f"not valid JSON: {exc}",
                                key="not_json")]) from None
    if not isinstance(doc, dict):
        raise BadInput([Problem(path.name, None, None, "expected a JSON object", key="not_json_object")])
    known = tuple(DATASET_KEYS)
    metadata = {k: str(doc[k]) for k in known if doc.get(k) not in (None, "")}
    _refuse_personal(metadata, path.name)
    return metadata


def _refuse_personal(metadata: dict, named_in: str) -> None:
    """Published beside every table and on every page: the publisher's own words, so a
    person in them is corrected at the source rather than withheld here."""
    personal = [k for k, v in metadata.items() if privacy.looks_personal(v)]
    if personal:
        raise BadInput([Problem(named_in, None, k, f"looks like personal data (an ИИН, a phone or an e-mail): "
                                f"{metadata[k]}; {named_in} is published, name no person in it",
                                key="metadata_is_personal", values=(("value", metadata[k]), ("other", named_in)))
                        for k in personal])


def _unzip(path: Path, workdir: Path) -> Path:
    """Extract safely: no absolute or `..` paths, no links, a cap on the expanded size."""
    out = workdir / f"unzipped-{path.stem}"
    out.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise BadInput([Problem(path.name, None, None, f"holds {len(members)} files, over the limit of {MAX_MEMBERS}",
                                        key="zip_members", values=(("value", spaced(len(members))), ("other", spaced(MAX_MEMBERS))))])
            total = sum(m.file_size for m in members)
            if total > MAX_UNZIPPED:
                raise BadInput([Problem(path.name, None, None, f"expands to {total} bytes, over the limit of {MAX_UNZIPPED}",
                                        key="zip_too_large", values=(("value", spaced(total)), ("other", spaced(MAX_UNZIPPED))))])
            if total > max(MAX_RATIO * path.stat().st_size, 64 << 20):
                ratio = total // path.stat().st_size
                raise BadInput([Problem(path.name, None, None, f"expands {ratio} times (to {total} bytes): not an export, refused",
                                        key="zip_ratio", values=(("value", spaced(ratio)), ("other", spaced(total))))])
            for member in members:
                name = PurePosixPath(member.filename)
                if name.is_absolute() or ".." in name.parts or (member.external_attr >> 16) & 0o170000 == 0o120000:
                    raise BadInput([Problem(path.name, None, None, f"unsafe path in archive: {member.filename}",
                                            key="zip_unsafe_path", values=(("value", member.filename),))])
            archive.extractall(out)
    except zipfile.BadZipFile as exc:
        raise BadInput([Problem(path.name, None, None, f"not a valid zip file: {exc}", key="zip_invalid")]) from None
    return out


def _source_file(ingest: Ingest, path: Path, mapping: Mapping | None, workdir: Path) -> SourceReport:
    """Every source a definition file names (ingest/source_file.py), loaded side by side."""
    import os

    from ingest import portal, source_file

    report = SourceReport(str(path))
    for i, entry in enumerate(source_file.load(path)):
        folder = workdir / f"sources-{i}"
        entry_mapping = load_mapping(path.parent / entry.mapping) if entry.mapping else mapping
        if entry.type == "portal":
            portal.fetch_table(entry.base, entry.api, entry.version, os.environ[entry.key_env], entry.table,
                               folder, entry.page_size)
            part = _folder(ingest, folder, entry_mapping, f"{entry.base}/api/v4/{entry.api}/{entry.version}")
        else:
            where = entry.url or str(path.parent / entry.path)
            part = ingest_source(ingest, where, entry_mapping, workdir)
        report.metadata = report.metadata or part.metadata
    return report
