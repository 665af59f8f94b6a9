"""`kezek update`: ingest every source, recompute, publish one new snapshot.

Everything up to the switch of the pointer happens in a private in-memory database and
in a snapshot file that no reader knows of yet; a failure at any step leaves the
previous publication serving, and removes what the update wrote (a full disk must not stay
full because of a failed run: the next one, once space is freed, succeeds on its own).
Once the pointer has switched, the update has published, whatever fails after it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from engine import audit, forecast, number_pattern, numbering, order_comparison, segment_movement
from engine.application_number import KEY_VERSION, compact_sql, normalise_sql
from engine.ruleset import rulesets, unknown_regions
from engine.schema import EVENT_STATUS, FORMAT_VERSION
from engine import store
from engine.store import SNAPSHOTS
from ingest import archive, remote, series
from ingest.fingerprint import FINGERPRINT_KEY, local_fingerprint
from ingest.load import DATE_FORMATS, DATETIME_FORMATS, DEFAULT_TIMEZONE, Ingest, sql_str
from ingest.mapping import Mapping, load_mapping
from ingest.problems import BadInput, Notice, Problem
from ingest.redaction import public_source
from ingest.sources import SourceReport, ingest_generated, ingest_source, is_remote
from engine import publication
from kezek.export import write_open_data


class UpdateRunning(Exception):
    """Another update holds the lock of this home."""


@dataclass
class Report:
    snapshot: str = ""
    as_of: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, list[str]] = field(default_factory=dict)  # file → personal columns
    withheld: dict[str, dict[str, int]] = field(default_factory=dict)  # file → column → values withheld
    timings: dict[str, float] = field(default_factory=dict)
    findings: dict[str, int] = field(default_factory=dict)
    unchanged: bool = False  # every remote file answered 304, or the local files are the same: nothing published
    local: bool = False  # unchanged: local files of the same fingerprint (ingest/fingerprint.py)
    warnings: list[Notice] = field(default_factory=list)  # published all the same (kezek/messages.py says them)
    series: tuple[int, int] = (0, 0)  # a series' snapshots, and how many of them were carried, not read
    notices: list[Notice] = field(default_factory=list)  # for the clerk, in their language (kezek/messages.py)
    checked: bool = False  # `--check`: validated, nothing computed or published


@cache
def _derive_sql() -> str:
    text = resources.files("kezek").joinpath("sql", "derive.sql").read_text(encoding="utf-8")
    cases = " ".join(f"WHEN {sql_str(e)} THEN {sql_str(s)}" for e, s in EVENT_STATUS.items())
    return text.replace("{event_status_cases}", cases).replace("{number_key}", normalise_sql("a.application_number"))


@contextmanager
def update_lock(home: Path):
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".update.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UpdateRunning(f"another update is running in {home}") from None
        yield


def _clean_leftovers(home: Path) -> None:
    """Remove what an update writes before it publishes: work folders (they may hold decoded
    copies of inputs), the archive's and the pointer's temporary files, and snapshots being
    built with their WAL. Run under the update lock, at the start (leftovers of a killed
    run) and after a failure (our own), so that no other run's files are touched."""
    for folder in [*home.glob(".work-*"), *home.glob(f"{archive.FOLDER}/.*.tmp")]:
        shutil.rmtree(folder, ignore_errors=True)
    for file in [*home.glob(f"{SNAPSHOTS}/.building-*"), *home.glob(".published.json.*.tmp")]:
        if file.is_file():
            file.unlink(missing_ok=True)
    for folder in home.glob(f"{publication.OPEN_DATA}/.building-*"):
        shutil.rmtree(folder, ignore_errors=True)


def check(sources: list[str], mapping_path: Path | None = None) -> Report:
    """`kezek update --check`: read and validate every source as an update would, and publish
    nothing. No lock and nothing written in the home: a check may run beside an update. The
    problems are raised together (BadInput); a series is read whole (nothing carried)."""
    with tempfile.TemporaryDirectory(prefix="kezek-check-") as workdir:
        return _update(sources, None, mapping_path, dt.datetime.now(dt.timezone.utc), Path(workdir))


def update(sources: list[str], home: Path, mapping_path: Path | None = None, now: dt.datetime | None = None) -> Report:
    with update_lock(home):
        _clean_leftovers(home)
        workdir = home / f".work-{os.getpid()}"
        try:
            workdir.mkdir(parents=True)
            return _update(sources, home, mapping_path, now or dt.datetime.now(dt.timezone.utc), workdir)
        except BaseException:
            _clean_leftovers(home)
            raise
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


SPILL_LIMIT = "16GB"

# The state of every application at the snapshot's date, as numbering.sql reads it, from
# the `states` kept in the snapshot.
KEPT_STATE = """
SELECT a.application_number, a.region, a.locality, a.birth_year, a.registered_at, s.privilege, s.status
FROM applications AS a JOIN states AS s USING (application_number)
"""


def _update(sources: list[str], home: Path | None, mapping_path: Path | None, now: dt.datetime, workdir: Path) -> Report:
    """Publish in `home`; without one (`check`), stop once the sources are validated."""
    report, clock = Report(checked=home is None), time.perf_counter()
    local = None
    if home is not None:  # a check validates the files whatever was published before
        local = local_fingerprint(sources, mapping_path)
        if _unchanged_locally(home, local):
            report.unchanged = report.local = True
            return report
    # Remote sources first, with conditional requests: when every file of every source is
    # unchanged since the last publication, there is nothing to publish.
    state, downloads, fetched = remote.State(home) if home else None, [], {}
    for i, source in enumerate(sources):
        if is_remote(source):
            fetched[source], got = remote.fetch_dataset(source, workdir / f"remote-{i}", state=state)
            downloads += got
    if home and fetched and len(fetched) == len(sources) and remote.unchanged(downloads) \
            and {public_source(d.url) for d in downloads if d.path} == set(state.known) and _complete(home):
        report.unchanged = True
        return report

    # A national update needs about 3 GB and no spill; one that would spill more than
    # SPILL_LIMIT has gone wrong: it fails (the previous publication stays) rather than fill
    # the server's disk.
    # Closed on any failure too, so that a partial snapshot's space is freed at once.
    with duckdb.connect(config={"temp_directory": str(workdir / "spill"), "preserve_insertion_order": True,
                                "max_temp_directory_size": SPILL_LIMIT}) as con:
        # DuckDB takes the server's zone for casts of zone-aware times unless told: the dataset's
        # zone instead (the default until a dataset.json names another, Ingest.use_timezone).
        con.execute("SET TimeZone = $zone", {"zone": DEFAULT_TIMEZONE})
        mapping: Mapping | None = load_mapping(mapping_path) if mapping_path else None

        ingest = Ingest(con, workdir)
        shown = [public_source(s) for s in sources]  # no password or key is stored (ingest/redaction.py)
        try:  # a series, alone, carries what the current publication kept of its snapshots
            if len(sources) == 1 and home:
                ingest.previous = (store.current(home).path, json.dumps(shown, ensure_ascii=False))
        except store.SnapshotUnavailable:
            pass
        source_reports: list[SourceReport] = []
        for source in sources:
            source_reports.append(_ingest(ingest, source, mapping, workdir, fetched.get(source)))
        metadata = _metadata(source_reports)
        # the rules the dataset names for all of it: a built-in ruleset, or the publisher's own
        named_ruleset = next((s.ruleset for s in source_reports if s.ruleset), None) or metadata.get("ruleset")
        # dataset.json is checked with the tables, before anything is computed, and its
        # problems are told together with theirs.
        ingest.problems += _metadata_problems(metadata)
        ingest.notices += _metadata_notices(metadata, [s.described for s in source_reports])
        report.rows = ingest.finish()
        report.notices = list(dict.fromkeys(ingest.notices))
        report.dropped = {f.file: f.dropped for f in ingest.files if f.dropped}
        report.withheld = {f.file: f.withheld for f in ingest.files if f.withheld}
        report.timings["ingest"] = time.perf_counter() - clock
        if home is None:  # --check: what an update would publish, and what it would warn of
            report.warnings = list(ingest.warnings)
            return report

        report.series = (len(ingest.snapshots), ingest.carried)
        clock = time.perf_counter()
        fingerprint = hashlib.sha256(
            json.dumps([[f.file, f.sha256, f.rows] for f in ingest.files] + [shown], ensure_ascii=False).encode()
        ).hexdigest()
        (home / SNAPSHOTS).mkdir(parents=True, exist_ok=True)
        snapshot = publication.new_snapshot_id(home, fingerprint, now)
        building = publication.building_path(home, snapshot)
        con.execute("ATTACH $path AS snap", {"path": str(building)})
        con.execute(_derive_sql())
        shared = _numbers_sharing_a_key(con)
        if report.rows.get("choices"):  # a lookup reads one application's choices and places
            con.execute("CREATE INDEX choices_application_number ON snap.choices (application_number)")
            con.execute("CREATE INDEX positions_application_number ON snap.positions (application_number)")
        else:  # published when present (interfaces.md, 2026-12)
            con.execute("DROP TABLE snap.choices")
        if ingest.snapshots:  # what the next update of the series carries
            series.keep(con, "snap", ingest.snapshots, ingest.series_settings)
        con.execute("USE snap")  # the engine's queries read the tables they publish
        as_of = _as_of(con, metadata, now.astimezone(zoneinfo.ZoneInfo(ingest.timezone)).date())
        # The rules numbering applies, kept in the snapshot for every reader: Q2 and Q3 as
        # macros, Q3's ratio per region and period from the rulesets in force.
        numbering.create_macros(con)
        regions = [r for (r,) in con.execute("SELECT DISTINCT region FROM snap.applications ORDER BY region").fetchall()]
        numbering.create_rules(con, "snap.numbering_rules", regions, named_ruleset)
        # Where no ruleset covers a region, nothing there is numbered or judged by rules Kezek
        # does not know; every page and answer says so (meta `rules_unknown`).
        unknown = unknown_regions(regions, named_ruleset)
        # Each application's status and privilege at the snapshot's date (the state of the
        # format), computed once: the queue is numbered from it, and a lookup reads it.
        con.execute(
            f"CREATE TABLE snap.states AS SELECT application_number, status, privilege FROM ({numbering.sql('state_at')}) "
            "ORDER BY application_number",
            numbering.state_params(as_of),
        )
        # Numbered once: the queue publishes the numbers, and the lookups add who stands ahead.
        con.execute(f"CREATE TEMP TABLE numbered AS {numbering.queue_sql(KEPT_STATE)}",
                    {"until": numbering.end_of_day(as_of)})
        con.execute(f"CREATE TABLE snap.queue AS SELECT {', '.join(numbering.QUEUE_COLUMNS)} FROM temp.numbered "
                    "ORDER BY region, locality, birth_year, queue_number")
        # A lookup at the snapshot's date reads one row of `lookups`, found by the number as typed.
        con.execute(f"CREATE TABLE snap.lookups AS {numbering.lookups_sql()}", {"until": numbering.end_of_day(as_of)})
        con.execute("DROP TABLE temp.numbered")
        pattern = number_pattern.derive(con, "snap.applications")  # said when a number is not found
        # Point indexes: a lookup reads a few rows instead of scanning the country.
        for table, column in (("applications", "number_key"), ("queue", "application_number"),
                              ("lookups", "number_key")):
            con.execute(f"CREATE INDEX {table}_{column} ON snap.{table} ({column})")
        segment_movement.create(con, as_of, "snap.segment_movement", months_table="snap.queue_months")
        forecast.create_backtest(con, as_of, "snap.forecast_backtest")
        # How closely each published queue follows simple orders: facts, never findings
        order_comparison.create(con, "snap.order_comparison", birth="memory.c_applications")
        published_at = now.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
        meta = {
            "snapshot": snapshot,
            "published_at": published_at,
            "as_of": as_of.isoformat(),
            "format_version": str(FORMAT_VERSION),
            "timezone": ingest.timezone,
            **{k: v for k, v in metadata.items() if k != "timezone"},
            "sources": json.dumps(shown, ensure_ascii=False),
            **({FINGERPRINT_KEY: local} if local else {}),  # what the next update compares
            **({"rules_unknown": json.dumps(unknown, ensure_ascii=False)} if unknown else {}),
            "number_key": str(KEY_VERSION),  # how `number_key` was computed (engine/application_number.py)
            **({"number_pattern": pattern} if pattern else {}),
        }
        con.execute("CREATE TABLE snap.meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.executemany("INSERT INTO snap.meta VALUES (?, ?)", sorted(meta.items()))
        _sources_table(con, ingest, source_reports)
        con.execute("DETACH DATABASE IF EXISTS carried")  # the publication a series carried
        report.timings["recompute"] = time.perf_counter() - clock

        clock = time.perf_counter()
        # the replay of every bulletin under the rules in force, after numbering
        result = audit.run(con, ruleset=named_ruleset, data_end=_exported_at(metadata))
        report.findings = result["findings"]
        report.timings["audit"] = time.perf_counter() - clock

        clock = time.perf_counter()
        con.execute("USE memory")
        con.execute("DETACH snap")
        archive.write(home, con, ingest.files)
        con.close()
        report.timings["publish"] = time.perf_counter() - clock

        clock = time.perf_counter()
        # The open data are files written once, here: the server never builds anything.
        write_open_data(building, publication.open_data_building(home, snapshot), snapshot)
        report.timings["open data"] = time.perf_counter() - clock

        clock = time.perf_counter()
        _, published_warnings = publication.publish(home, snapshot, published_at)
        report.warnings = [*ingest.warnings, *shared, *(Notice("", *w) for w in published_warnings)]
        if downloads:  # only now: a failed run must not mark its files as seen
            try:
                state.commit(downloads)
            except OSError as exc:  # published all the same; the next run downloads them again
                report.warnings.append(Notice("", "validators_not_kept", f"the validators of the downloads could not "
                                              f"be kept ({exc}); the next update downloads every file again",
                                              (("error", str(exc)),)))
        report.timings["publish"] += time.perf_counter() - clock
        report.snapshot, report.as_of = snapshot, as_of.isoformat()
        return report


# What a publication of this version holds that an older one may lack: an unchanged source
# is published again (from the copies kept of its files) until the current snapshot has them.
COMPLETE = ("numbering_rules", "order_comparison")
COMPLETE_COLUMNS = (("positions", "kindergarten_id"),)  # format 1.1: a kindergarten's finer queues
COMPLETE_META = (("number_key", str(KEY_VERSION)),)  # older keys did not forgive separators or leading zeros


def _complete(home: Path) -> bool:
    """Whether the current publication holds what this version publishes: the tables of
    COMPLETE, the columns of COMPLETE_COLUMNS, the meta values of COMPLETE_META and its
    open-data files (with the home's list of publications)."""
    try:
        current = store.current(home)
        con = store.open_snapshot(current.path)
    except (store.SnapshotUnavailable, duckdb.Error):
        return False
    try:
        tables = all(store.has_table(con, name) for name in COMPLETE) and all(
            con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = $t AND column_name = $c",
                        {"t": t, "c": c}).fetchone()[0] for t, c in COMPLETE_COLUMNS) and all(
            con.execute("SELECT count(*) FROM meta WHERE key = $k AND value = $v", {"k": k, "v": v}).fetchone()[0]
            for k, v in COMPLETE_META)
    finally:
        con.close()
    return tables and publication.open_data_folder(home, current.snapshot).is_dir() \
        and (home / publication.OPEN_DATA / publication.VERSIONS).is_file()  # the list of publications, since 2026-12


def _unchanged_locally(home: Path, local: str | None) -> bool:
    """Whether local sources hold what the current publication was made from (the same
    fingerprint, ingest/fingerprint.py) and it holds what this version publishes: then there
    is nothing to publish, and its links stay the latest."""
    if local is None:
        return False
    try:
        con = store.open_snapshot(store.current(home).path)
    except (store.SnapshotUnavailable, duckdb.Error):
        return False
    try:
        published = con.execute("SELECT value FROM meta WHERE key = $k", {"k": FINGERPRINT_KEY}).fetchone()
    except duckdb.Error:
        return False
    finally:
        con.close()
    return published is not None and published[0] == local and _complete(home)


DEMO = "demo:"


def _ingest(ingest: Ingest, source: str, mapping: Mapping | None, workdir: Path, fetched: Path | None) -> SourceReport:
    """Load one source: `demo:PRESET` is generated here (the demo package), any other is
    read by ingest."""
    if source.startswith(DEMO):
        return _demo(ingest, source)
    return ingest_source(ingest, source, mapping, workdir, fetched)


def _demo(ingest: Ingest, source: str) -> SourceReport:
    """`demo:PRESET`: the preset's synthetic dataset (demo.generate, its default seed)."""
    from demo import PRESETS, generate

    preset = source.removeprefix(DEMO)
    if preset not in PRESETS:
        raise BadInput([Problem(source, None, None, f"unknown demo preset; expected one of: {', '.join(PRESETS)}",
                                key="unknown_preset", values=(("other", ", ".join(PRESETS)),))])
    dataset = generate(preset)
    return ingest_generated(ingest, source, dataset.tables, dataset.metadata)


def _metadata(source_reports: list[SourceReport]) -> dict:
    merged: dict = {}
    for s in source_reports:
        for k, v in s.metadata.items():
            merged.setdefault(k, v)
    return merged


def _read_exported_at(metadata: dict) -> tuple[dt.datetime, bool] | None:
    """dataset.json's `exported_at` in any format the ingest reads: (instant, whether it
    was a bare date); None when absent or unreadable."""
    text = metadata.get("exported_at")
    for fmt in DATETIME_FORMATS if text else ():
        try:
            return dt.datetime.strptime(text, fmt), fmt in DATE_FORMATS
        except ValueError:
            continue
    return None


def _exported_at(metadata: dict) -> dt.datetime | None:
    """The export instant of dataset.json, if it gives one: the audit's end of the data
    (a bare date: the end of that day)."""
    read = _read_exported_at(metadata)
    if read is None:
        return None
    at, bare_date = read
    return at + dt.timedelta(days=1) if bare_date else at


def _metadata_problems(metadata: dict) -> list[Problem]:
    """What is wrong with dataset.json's `ruleset` and `exported_at`."""
    problems = []
    if "exported_at" in metadata and _read_exported_at(metadata) is None:
        problems.append(Problem("dataset.json", None, "exported_at",
                                f"cannot read {metadata['exported_at']!r} as a date and time",
                                key="unreadable_datetime", values=(("value", metadata["exported_at"]),
                                                                   ("other", "2017-06-05 09:30"))))
    if metadata.get("ruleset") is not None and metadata["ruleset"] not in rulesets() and "ruleset_file" not in metadata:
        problems.append(Problem("dataset.json", None, "ruleset", f"dataset.json names ruleset {metadata['ruleset']!r}; "
                                f"known: {', '.join(rulesets())}, or a ruleset file of the dataset (NAME.toml)",
                                key="unknown_ruleset", values=(("value", metadata["ruleset"]),
                                                               ("other", ", ".join(rulesets())))))
    return problems


# What the pages show of a dataset beside its tables, and "—" where dataset.json says nothing.
DESCRIBED = ("title", "publisher", "license")


def _metadata_notices(metadata: dict, described: list[bool]) -> list[Notice]:
    """A warning when no source has a dataset.json, or when it lacks a title, a publisher or a
    licence: published all the same, every page would show "—" for them."""
    if not any(described):
        return [Notice("dataset.json", "no_dataset_json", "absent: every page shows the title, publisher and "
                       "licence as —; add a dataset.json (docs/format.md)")]
    lacking = [k for k in DESCRIBED if not metadata.get(k)]
    if lacking:
        return [Notice("dataset.json", "dataset_json_lacks", f"gives no {', '.join(lacking)}: the pages show — "
                       "for them (docs/format.md)", (("keys", ", ".join(lacking)),))]
    return []


def _as_of(con: duckdb.DuckDBPyConnection, metadata: dict, today: dt.date) -> dt.date:
    """The day the data describes: the export date, else the day of its last record, else
    `today` (the dataset's, not the server's)."""
    if "exported_at" in metadata:
        return _read_exported_at(metadata)[0].date()
    last = con.execute(
        """SELECT CAST(max(t) AS DATE) FROM (
               SELECT max(registered_at) AS t FROM snap.applications
               UNION ALL SELECT max(status_at) FROM snap.applications
               UNION ALL SELECT max("at") FROM snap.events
               UNION ALL SELECT max(announced_at) FROM snap.vacancies)"""
    ).fetchone()[0]
    return last or today


def _numbers_sharing_a_key(con: duckdb.DuckDBPyConnection, shown: int = 5) -> list[Notice]:
    """A warning when published numbers share a forgiving key: each is found only when typed
    as published (separators and leading zeros as there)."""
    groups = con.execute(  # the keys derive.sql stored: computed once per number
        f"""WITH shared AS (  -- counted first: a list for each of a million keys costs more
                SELECT number_key FROM snap.applications GROUP BY number_key HAVING count(*) > 1)
            SELECT list(application_number ORDER BY application_number), count(*) OVER ()
            FROM snap.applications SEMI JOIN shared USING (number_key) GROUP BY number_key
            ORDER BY min(application_number) LIMIT {shown}"""
    ).fetchall()
    if not groups:
        return []
    count = groups[0][1]
    listed = "; ".join(" / ".join(numbers) for numbers, _ in groups) + ("; …" if count > shown else "")
    return [Notice("applications", "numbers_share_a_key", f"{count} group{'s' if count != 1 else ''} of application "
                   f"numbers differ only in separators or leading zeros: {listed}; each is found only when typed "
                   "as published", (("n", count), ("listed", listed)))]


def _sources_table(con: duckdb.DuckDBPyConnection, ingest: Ingest, source_reports: list[SourceReport]) -> None:
    con.execute(
        """CREATE TABLE snap.sources (file VARCHAR, table_name VARCHAR, sha256 VARCHAR, rows BIGINT,
           dropped_columns VARCHAR, extra_columns VARCHAR, encoding VARCHAR, delimiter VARCHAR)"""
    )
    if ingest.carried:  # the files of the snapshots carried (read before the new ones), as listed when read
        con.execute("INSERT INTO snap.sources SELECT * FROM carried.sources WHERE split_part(file, '/', 1) IN "
                    "(SELECT unnest($names))", {"names": [s.name for s in ingest.snapshots[:ingest.carried]]})
    if ingest.files:  # none: an update that carried every snapshot of its series
        con.executemany(
            "INSERT INTO snap.sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (f.file, f.table, f.sha256, f.rows, "|".join(f.dropped), "|".join(f.extra),
                 f.detected.get("encoding"), f.detected.get("delimiter"))
                for f in ingest.files
            ],
        )

