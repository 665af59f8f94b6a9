"""From files as they come to the canonical tables, validated in bulk.

Each file is read (readers.py), its headers are mapped to canonical names (vocabulary.toml and
an optional mapping file), personal-data columns are dropped, labels are mapped to
canonical values, and every value is typed in one SQL statement per file. Validation is a
set of SQL queries over the typed tables; each problem names file, row and column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import string
import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from engine.schema import DUCKDB_TYPE, EVENT_REQUIRES, REFERRAL_CHANNELS_WITHOUT_BULLETIN, TABLES, Column, Table
from engine.application_number import LOOK_ALIKES, MAX_LENGTH, WELL_FORMED, compact_sql
from ingest import privacy
from ingest.vocabulary import VALUE_DOMAIN, accepted_headers, column_synonyms, header_key, value_labels
from ingest import transform
from ingest.mapping import Mapping, publishes_personal_header
from ingest.problems import PERSONAL_COLUMNS, RANGES_KEPT, BadInput, Notice, Problem

if TYPE_CHECKING:  # imported by the readers that need it: an update of CSV files does without
    import pyarrow as pa
from ingest.readers import quote_ident as q
from ingest.readers import add_row_numbers, read_file
from ingest.series import carried_tables, collapse

DATETIME_FORMATS = [
    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d", "%d.%m.%Y",
]
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
# open-data-format.md: times are the publishing region's wall clock; dataset.json may name
# the zone (IANA), else this one.
DEFAULT_TIMEZONE = "Asia/Almaty"
CLEARED_PER_STATEMENT = 100  # columns rewritten by one UPDATE (Ingest._clear_cells)
NO_DIGITS_OF_A_PERSON = ("DATE", "TIME", "BOOLEAN", "INTERVAL")  # source types not scanned for personal values
EXPECTED = {
    "int": "a whole number",
    "float": "a number",
    "date": "a date as YYYY-MM-DD or DD.MM.YYYY",
    "datetime": "a date and time as YYYY-MM-DD HH:MM[:SS] or DD.MM.YYYY HH:MM[:SS]",
    "bool": "true or false",
}
# How a file writes its dates (most of its date cells): a problem's example of a date is
# written so, 05.06.2017 rather than 2017-06-05.
EXAMPLES = {"dotted": {"date": "05.06.2017", "datetime": "05.06.2017 09:30"},
            "iso": {"date": "2017-06-05", "datetime": "2017-06-05 09:30"}}
DOTTED_DATE = r"^\s*[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}"
# A number written in its compact form already (engine/application_number.py compact): no
# space, no lower-case letter, no Latin letter that has a Cyrillic look-alike.
COMPACT_AS_WRITTEN = WELL_FORMED.replace("A-Z", "".join(c for c in string.ascii_uppercase if c not in LOOK_ALIKES))
KEPT = 10_000  # problems kept (each the same problem on any number of rows); more are counted


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sql_str(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class LoadedFile:
    """What the ingest report and the raw archive say about one input file."""

    table: str
    file: str
    staged: str  # DuckDB table holding the typed rows
    rows: int = 0
    sha256: str | None = None
    path: Path | None = None
    dropped: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    detected: dict = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # canonical → header in the file
    raw: str = ""  # DuckDB table with the file's own columns, personal ones dropped
    withheld: dict[str, int] = field(default_factory=dict)  # column → values that looked personal
    snapshot_at: dt.datetime | None = None  # a file of a series' snapshot (ingest/series.py)
    dated_at: dt.datetime | None = None  # a file of a folder named by a snapshot's time, read alone
    folded: bool = False  # a series' file already reduced with the others read before it
    archived: Path | None = None  # its archive, written before the update ended (a folded file)
    mapped: bool = False  # its rows made by a mapping that transforms (the archive keeps those, not the file's)
    date_style: str = "iso"  # how most of its date cells are written (EXAMPLES)


class Ingest:
    """Collects files into staged tables, then validates and unions them (`finish`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, workdir: Path):
        self.con = con
        self.workdir = workdir
        self.files: list[LoadedFile] = []
        self.problems: list[Problem] = []
        self.unshown = 0  # problems counted but not kept (beyond the first KEPT of a query set)
        self.notices: list[Notice] = []  # told with the problems or the report: files ignored, header rows found
        self.unreadable: set[str] = set()  # tables whose file could not be read: checks that need them are skipped
        self.warnings: list[Notice] = []  # published all the same, told with the update's report
        self._last_read: tuple[Path, dict, str] | None = None  # a file several tables read (add_file)
        self.timezone, self.timezone_from = DEFAULT_TIMEZONE, None  # the zone, and the file that named it
        self.instants_read = False  # whether a zone-aware time was turned into the zone's wall clock
        # A series (ingest/series.py): the publication it may carry (its file and the sources
        # it was published from), its snapshots, and how many of them were carried, not read.
        self.previous: tuple[Path, str] | None = None
        self.snapshots: list = []
        self.carried = 0
        self.series_settings = ""

    # -- reading ---------------------------------------------------------------------
    def use_timezone(self, zone: str, named_in: str) -> None:
        """The dataset's zone, as its dataset.json names it: zone-aware times (Parquet
        `timestamp[tz=…]`, JSON times with an offset) are read as its wall clock, and so is
        every other use of a zone in this connection, never the server's. One update
        publishes one zone."""
        try:
            zoneinfo.ZoneInfo(zone)  # the dashboard shows times with it
            self.con.execute("SELECT timezone($zone, TIMESTAMPTZ '2000-01-01 00:00:00+00')", {"zone": zone})
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError, duckdb.Error):
            raise BadInput([Problem(named_in, None, "timezone", f"unknown time zone {zone!r}; expected an IANA "
                                    f"name such as {DEFAULT_TIMEZONE}", key="timezone_unknown",
                                    values=(("value", zone), ("other", DEFAULT_TIMEZONE)))]) from None
        if zone != self.timezone and (self.timezone_from or self.instants_read):
            earlier = self.timezone_from or "the default, in which files before it were read"
            raise BadInput([Problem(named_in, None, "timezone", f"{zone} differs from {self.timezone} of {earlier}; "
                                    "the sources of one update share one zone",
                                    key="timezone_differs" if self.timezone_from else "timezone_differs_default",
                                    values=(("value", zone), ("other", self.timezone),
                                            *((("file", self.timezone_from),) if self.timezone_from else ())))])
        self.con.execute("SET TimeZone = $zone", {"zone": zone})
        self.timezone, self.timezone_from = zone, self.timezone_from or named_in

    def add_file(self, path: Path, table: str, mapping: Mapping | None = None, label: str | None = None,
                 snapshot_at: dt.datetime | None = None, dated_at: dt.datetime | None = None,
                 shared: bool = False) -> LoadedFile:
        """Load one table from `path`. `shared`: the file feeds several tables, one after the
        other (a city's list gives applications, choices and positions): it is read and hashed
        once, kept until `forget_read`, and each table takes from it only what it needs."""
        raw = f"raw_{len(self.files)}"
        name = label or path.name
        table_mapping = mapping.tables.get(table) if mapping else None
        transforms = table_mapping is not None and table_mapping.transforms
        try:
            if shared:
                source, detected, sha = self._read_once(path)
                if not transforms:
                    self.con.execute(f"CREATE TABLE {raw} AS SELECT * FROM {source}")
            else:
                source, detected, sha = raw, read_file(self.con, path, raw, self.workdir), sha256_of(path)
        except BadInput as exc:  # told with the problems of the other files, which are read all the same
            self.problems += [replace(p, file=name) if p.file == path.name else p for p in exc.problems]
            self.unreadable.add(table)
            loaded = LoadedFile(table, name, f"staged_{len(self.files)}", path=path)
            self.files.append(loaded)
            return loaded
        loaded = LoadedFile(table, name, f"staged_{len(self.files)}", sha256=sha, path=path, detected=dict(detected),
                            snapshot_at=snapshot_at, dated_at=dated_at)
        if detected.get("header_row", 1) != 1:  # a title above the headers: said, so the clerk can check it
            row = detected["header_row"]
            self.notices.append(Notice(name, "header_row", f"headers taken from row {row} (the rows above them "
                                       "are read as a title)", (("row", row),)))
        if transforms:
            raw, loaded.mapped = self._transformed(source, loaded, mapping, drop=not shared), True
            if raw is None:
                self.files.append(loaded)  # not staged: its problems are reported, nothing is published
                return loaded
        self._stage(raw, loaded, mapping)
        return loaded

    def _read_once(self, path: Path) -> tuple[str, dict, str]:
        if self._last_read is None or self._last_read[0] != path:
            self.forget_read()
            detected = read_file(self.con, path, "_last_read", self.workdir)
            self._last_read = (path, detected, sha256_of(path))
        return "_last_read", *self._last_read[1:]

    def forget_read(self) -> None:
        """Drop the file kept for the tables it feeds (the sources call it when a folder is read)."""
        self.con.execute("DROP TABLE IF EXISTS _last_read")
        self._last_read = None

    def _transformed(self, raw: str, loaded: LoadedFile, mapping: Mapping, drop: bool = True) -> str | None:
        """The rows a transforming mapping makes of the file (ingest/transform.py), as a table
        whose columns are canonical names (and the file's other columns, unless grouped); the
        file's own table is dropped if `drop`. None, with the problems named by mapping key, if it cannot."""
        headers = [n for n, in self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = $t ORDER BY column_index", {"t": raw}
        ).fetchall() if n != "_row"]
        spec = TABLES[loaded.table]
        steps = transform.plan(mapping.tables[loaded.table], loaded.table, spec.column_names, headers)
        problems = list(steps.problems)
        problems += [(f"tables.{loaded.table}", f"header {h!r} names personal data; it cannot feed {column!r}, "
                      "which is published") for column, used in steps.sources.items() for h in sorted(used)
                     if column in spec.column_names and publishes_personal_header(loaded.table, h, column)]
        made = None
        if not problems:
            read = ", ".join([*(q(h) for h in headers if h in steps.reads), "_row"])
            made, problems = transform.run(self.con.sql(f"SELECT {read} FROM {raw}").to_arrow_table(), steps,
                                           self.timezone, loaded.snapshot_at or loaded.dated_at)
        if drop:
            self.con.execute(f"DROP TABLE {raw}")
        if made is None:
            self.unreadable.add(loaded.table)
            self.problems += [Problem(mapping.path, None, None, f"{key}: {message} (reading {loaded.file})",
                                      key="mapping_not_applied", values=(("column", key), ("value", message),
                                                                         ("file", loaded.file)))
                              for key, message in problems]
            return None
        made_table = f"made_{len(self.files)}"
        self.con.register("_made", made)
        self.con.execute(f"CREATE TABLE {made_table} AS SELECT * FROM _made")
        self.con.unregister("_made")
        return made_table

    def add_arrow(self, arrow: pa.Table, table: str, label: str) -> LoadedFile:
        raw = f"raw_{len(self.files)}"
        self.con.register("_arrow", arrow)
        self.con.execute(f"CREATE OR REPLACE TABLE {raw} AS SELECT * FROM _arrow")
        self.con.unregister("_arrow")
        add_row_numbers(self.con, raw, first_row=1)
        loaded = LoadedFile(table, label, f"staged_{len(self.files)}")
        self._stage(raw, loaded, None)
        return loaded

    def _columns(self, table: str) -> dict[str, str]:
        """The columns of `table`, in order, with their types."""
        return dict(self.con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = $t ORDER BY column_index",
            {"t": table}).fetchall())

    def _stage(self, raw: str, loaded: LoadedFile, mapping: Mapping | None) -> None:
        spec = TABLES[loaded.table]
        source_types = {name: type_ for name, type_ in self._columns(raw).items() if name != "_row"}
        table_mapping = mapping.tables.get(loaded.table) if mapping else None
        renames = {header_key(k): v for k, v in (table_mapping.columns if table_mapping else {}).items()}
        synonyms = column_synonyms()
        chosen: dict[str, str] = {}  # canonical → source header
        for header in source_types:
            key = header_key(header)
            canonical = renames.get(key) or synonyms.get(key)
            if canonical in spec.column_names:
                if canonical in chosen:
                    self.problems.append(Problem(loaded.file, loaded.detected.get("header_row", 1), header, f"maps to {canonical!r}, which column {chosen[canonical]!r} already gives",
                                                 key="header_twice", values=(("column", canonical), ("other", chosen[canonical]))))
                    continue
                chosen[canonical] = header
            elif privacy.is_personal(header):
                loaded.dropped.append(header)
            else:
                loaded.extra.append(header)
        loaded.columns, loaded.raw = chosen, raw
        self._check_required_columns(spec, chosen, loaded, list(source_types))
        # One statement types the whole file; `_raw_x` keeps the text of columns that need
        # parsing so that a value that does not parse can be quoted back to the publisher. A
        # column the file already gives in its type (a Parquet timestamp) always reads: its
        # text is not kept (`typed`), which spares writing millions of times as text.
        selects, raw_keep, typed = [], [], set()
        for column in spec.columns:
            header = chosen.get(column.name)
            if header is None:
                given = self._from_snapshot(spec, column, loaded) or "NULL"
                selects.append(f"CAST({given} AS {DUCKDB_TYPE[column.type]}) AS {q(column.name)}")
                continue
            src_type = source_types[header]
            text = f"NULLIF(trim(CAST({q(header)} AS VARCHAR)), '')"
            selects.append(f"{self._typed(column, q(header), src_type, text, table_mapping)} AS {q(column.name)}")
            if column.type in EXPECTED and not column.enum and src_type == DUCKDB_TYPE[column.type]:
                typed.add(column.name)
            elif column.type not in ("string", "list") or column.enum or column.name == "language":
                raw_keep.append(f"{text} AS {q('_raw_' + column.name)}")
        keep = ", ".join(["_row", f"{sql_str(loaded.file)} AS _file", *selects, *raw_keep])
        self.con.execute(f"CREATE OR REPLACE TABLE {loaded.staged} AS SELECT {keep} FROM {raw}")
        loaded.rows = self.con.execute(f"SELECT count(*) FROM {loaded.staged}").fetchone()[0]
        self._check_values(spec, loaded, [c for c in spec.columns if c.name in chosen], typed)
        self._withhold_personal_values(raw, loaded, source_types)
        # The raw table stays for the archive (personal columns dropped there): rewritten
        # only when it has a column to drop or `_row` is not its last.
        kept = [q(h) for h in source_types if h not in loaded.dropped]
        if loaded.dropped or list(self._columns(raw)) != [*source_types, "_row"]:
            self.con.execute(f"CREATE OR REPLACE TABLE {raw} AS SELECT {', '.join([*kept, '_row'])} FROM {raw}")
        self.files.append(loaded)

    def _withhold_personal_values(self, raw: str, loaded: LoadedFile, source_types: dict) -> None:
        """Free text that holds an ИИН, an e-mail or a phone is withheld, in the staged table
        and in the raw copy the archive keeps (ingest/privacy.py).

        The candidate columns are unpivoted into (column, value) cells and the pattern runs
        once per cell: memory and time grow with the cells, not with the square of the
        columns as one aggregate or one CASE per column of a wide file did. The cells found
        are kept, and only they are rewritten, without a second pattern match."""
        patterns = privacy.FREE_TEXT.get(loaded.table, {})
        candidates = [(name, header, patterns[name]) for name, header in loaded.columns.items() if name in patterns]
        # Unknown columns of any type that can hold digits: a spreadsheet keeps 77015551234 as a number.
        candidates += [(h, h, privacy.PERSONAL_VALUE) for h in loaded.extra if not source_types[h].startswith(NO_DIGITS_OF_A_PERSON)]
        if not candidates:
            return
        # Positional aliases: headers may be anything (quotes, dots, duplicates once cased).
        cells = ", ".join(f"CAST({q(header)} AS VARCHAR) AS c{i}" for i, (_, header, _) in enumerate(candidates))
        by_pattern: dict[str, list[int]] = {}
        for i, (_, _, pattern) in enumerate(candidates):
            by_pattern.setdefault(pattern, []).append(i)
        matched = " OR ".join(
            f"(i IN ({', '.join(map(str, ids))}) AND {privacy.looks_personal_sql('v', pattern)})"
            for pattern, ids in by_pattern.items())
        cells_sql = (f"SELECT _row, CAST(substr(name, 2) AS INTEGER) AS i, v FROM "
                     f"(UNPIVOT (SELECT _row, {cells} FROM {raw}) ON COLUMNS(* EXCLUDE (_row)) INTO NAME name VALUE v)")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _withheld AS SELECT _row, i FROM ({cells_sql}) WHERE {matched}")
        hits = {candidates[i][0]: n for i, n in self.con.execute(
            "SELECT i, count(*) FROM _withheld GROUP BY i ORDER BY i").fetchall()}
        if hits:
            self._clear_cells(raw, {candidates[i][1]: i for i, (name, _, _) in enumerate(candidates) if name in hits})
            staged = {name: i for i, (name, _, _) in enumerate(candidates) if name in hits and name in loaded.columns}
            if staged:
                self._clear_cells(loaded.staged, staged)
        self.con.execute("DROP TABLE _withheld")
        loaded.withheld = hits

    def _clear_cells(self, table: str, columns: dict[str, int]) -> None:
        """Empty the cells of `table` listed in `_withheld` (column → its index there): a list
        lookup per column over the rows with a hit, no pattern; a hundred columns a
        statement, so that a wide file with a hit in every column stays small in memory."""
        found = "(SELECT _row, list(i) AS found FROM _withheld GROUP BY _row)"
        items = list(columns.items())
        for start in range(0, len(items), CLEARED_PER_STATEMENT):
            sets = ", ".join(f"{q(c)} = CASE WHEN list_contains(w.found, {i}) THEN NULL ELSE {q(c)} END"
                             for c, i in items[start:start + CLEARED_PER_STATEMENT])
            self.con.execute(f"UPDATE {table} SET {sets} FROM {found} AS w WHERE {table}._row = w._row")

    @staticmethod
    def _from_snapshot(spec: Table, column: Column, loaded: LoadedFile) -> str | None:
        """A value a snapshot gives a column its file lacks: the numbers a snapshot publishes
        are those of its day (positions.as_of; open-data-format.md 1.1) — a series' snapshot,
        or a folder named by a snapshot's time read alone (`2026-03-21T0210`)."""
        at = loaded.snapshot_at or loaded.dated_at
        if at is not None and (spec.name, column.name) == ("positions", "as_of"):
            return f"DATE '{at:%Y-%m-%d}'"
        return None

    def _check_required_columns(self, spec: Table, chosen: dict[str, str], loaded: LoadedFile, headers: list[str]) -> None:
        missing = len(self.problems)
        for column in spec.columns:
            if column.required and column.name not in chosen and self._from_snapshot(spec, column, loaded) is None:
                accepted = ", ".join(accepted_headers(column.name))
                self.problems.append(Problem(loaded.file, None, column.name, f"required column is missing (accepted headers: {accepted})",
                                             key="missing_column", values=(("accepted", accepted),)))
        if spec.name == "kindergartens" and not ({"name_kk", "name_ru"} & chosen.keys()):
            self.problems.append(Problem(loaded.file, None, "name_kk", "a name column is missing: name_kk or name_ru",
                                         key="missing_name_column"))
        if len(self.problems) > missing and not loaded.mapped:  # which row was read as the headers, and what it says
            row, shown = loaded.detected.get("header_row", 1), ", ".join(headers[:12]) + (", …" if len(headers) > 12 else "")
            self.notices.append(Notice(loaded.file, "headers_read", f"the headers were read from row {row}: {shown}",
                                       (("row", row), ("headers", shown))))

    def _typed(self, column: Column, ident: str, src_type: str, text: str, table_mapping) -> str:
        target = DUCKDB_TYPE[column.type]
        if column.type == "string" and not column.enum and column.name not in VALUE_DOMAIN:
            return text
        if column.enum or column.name in VALUE_DOMAIN:
            labels = dict(value_labels(VALUE_DOMAIN.get(column.name, column.name)))
            if table_mapping and column.name in table_mapping.values:
                labels.update({header_key(k): v for k, v in table_mapping.values[column.name].items()})
            if column.type == "list":
                return (
                    f"array_to_string(list_transform(string_split({text}, '|'), lambda x: "
                    f"{_case('x', labels)}), '|')"
                )
            return _case(text, labels)
        if src_type == "TIMESTAMP WITH TIME ZONE":  # an instant: its wall clock in the dataset's zone
            ident, src_type = f"timezone({sql_str(self.timezone)}, {ident})", "TIMESTAMP"
            self.instants_read = True
        if src_type != "VARCHAR":
            return f"TRY_CAST({ident} AS {target})"
        if column.type == "int":
            return f"TRY_CAST(replace(replace({text}, ' ', ''), chr(160), '') AS BIGINT)"
        if column.type == "float":
            return f"TRY_CAST(replace({text}, ',', '.') AS DOUBLE)"
        if column.type == "date":
            return f"CAST(try_strptime({text}, {DATE_FORMATS!r}) AS DATE)"
        if column.type == "datetime":
            return f"try_strptime({text}, {DATETIME_FORMATS!r})"
        if column.type == "bool":  # true/false, t/f, yes/no, 1/0, as DuckDB reads them
            return f"TRY_CAST({text} AS BOOLEAN)"
        raise AssertionError(column.type)

    def _date_style(self, loaded: LoadedFile, present: list[Column], typed: set[str]) -> str:
        """How most of the file's date cells are written: `dotted` (05.06.2017) or `iso`. A
        column the file gives as dates (`typed`) has no text of its own: its cells count as
        written, never as dotted."""
        dated = [q("_raw_" + c.name) for c in present if c.type in ("date", "datetime") and c.name not in typed]
        if not dated:  # no cell of text, none dotted
            return "iso"
        as_dates = [q(c.name) for c in present if c.type in ("date", "datetime") and c.name in typed]
        cells = " UNION ALL ".join([*(f"SELECT {c} AS v, {c} IS NOT NULL AS written FROM {loaded.staged}" for c in dated),
                                    *(f"SELECT NULL, {c} IS NOT NULL FROM {loaded.staged}" for c in as_dates)])
        dotted, written = self.con.execute(
            f"SELECT count(*) FILTER (WHERE regexp_matches(v, '{DOTTED_DATE}')), count(*) FILTER (WHERE written) "
            f"FROM ({cells})").fetchone()
        return "dotted" if dotted * 2 > written else "iso"

    def _check_values(self, spec: Table, loaded: LoadedFile, present: list[Column], typed: set[str]) -> None:
        """Every problem of the file's own values, one query each, each row giving
        (row, column, key, value, other, message): `key` and the two values for the clerk's
        language (kezek/messages.py), `message` in English. A column the file gives in its
        type (`typed`) has no text kept: empty is its value empty, and every value reads."""
        t, f = loaded.staged, sql_str(loaded.file)
        loaded.date_style = self._date_style(loaded, present, typed)
        queries = []
        for column in present:
            c, raw, name = q(column.name), q("_raw_" + column.name), sql_str(column.name)
            kept = (column.type not in ("string", "list") or column.enum or column.name == "language") \
                and column.name not in typed
            if column.required:  # an empty cell; a value that does not read is told as such below
                queries.append(f"SELECT _row, {name}, 'value_required', NULL, NULL, 'a value is required' "
                               f"FROM {t} WHERE {raw if kept else c} IS NULL")
            if column.type in EXPECTED and not column.enum and column.name not in typed:
                example = sql_str(EXAMPLES[loaded.date_style][column.type]) if column.type in ("date", "datetime") else "NULL"
                # a birth date, even one that does not read, is a child's: the value is not quoted
                shown, quoted = ("NULL", "'a value'") if column.name in PERSONAL_COLUMNS else (raw, raw)
                key = f"unreadable_{column.type}" + ("_withheld" if column.name in PERSONAL_COLUMNS else "")
                queries.append(
                    f"SELECT _row, {name}, {sql_str(key)}, {shown}, {example}, "
                    f"'cannot read ' || {quoted} || ' as ' || {sql_str(EXPECTED[column.type])} "
                    f"FROM {t} WHERE {raw} IS NOT NULL AND {c} IS NULL"
                )
            if column.enum:
                allowed = ", ".join(column.enum)
                queries.append(
                    f"SELECT _row, {name}, 'unknown_value', {raw}, {sql_str(allowed)}, "
                    f"'unknown value ' || {raw} || '; expected one of: ' || "
                    f"{sql_str(allowed)} || ' (or their Russian or Kazakh labels)' FROM {t} "
                    f"WHERE {c} IS NOT NULL AND {c} NOT IN ({', '.join(map(sql_str, column.enum))})"
                )
            if column.name == "language":
                queries.append(
                    f"SELECT _row, 'language', 'unknown_language', {raw}, NULL, "
                    f"'unknown language ' || {raw} || '; expected a code such as kk or ru' "
                    f"FROM {t} WHERE {c} IS NOT NULL AND NOT regexp_full_match({c}, '[a-z]{{2,3}}')"
                )
            if column.type == "list":
                queries.append(
                    f"SELECT _row, {name}, 'unknown_languages', {c}, NULL, 'unknown language in ' || {c} || "
                    f"'; expected codes such as kk|ru' FROM {t} WHERE {c} IS NOT NULL AND NOT "
                    f"regexp_full_match({c}, '[a-z]{{2,3}}(\\|[a-z]{{2,3}})*')"
                )
            if column.minimum is not None:
                queries.append(
                    f"SELECT _row, {name}, 'too_small', CAST({c} AS VARCHAR), '{column.minimum}', "
                    f"'must be at least {column.minimum}, got ' || {c} FROM {t} WHERE {c} < {column.minimum}"
                )
        if spec.name == "applications" and {"birth_date", "registered_at"} <= {c.name for c in present}:
            # A child's birth date is never quoted (stderr, logs, problems.csv): the rows and the
            # column say where it is, and the same problem on many rows is then one line.
            queries.append(
                f"SELECT _row, 'birth_date', 'born_after_registration', NULL, NULL, "
                f"'the birth date is after the registration date' FROM {t} WHERE birth_date > registered_at"
            )
        self._collect(queries, f)

    # -- validation across files ---------------------------------------------------------
    # The same problem on many rows is told once: the rows as ranges (gaps and islands: rows
    # that follow each other share row - row_number()), how many in all.
    GROUPED = """
    WITH p AS (SELECT * FROM ({union}) AS p(file, row, col, key, value, other, message)),
    islands AS (
        SELECT *, row - row_number() OVER (PARTITION BY file, col, key, value, other, message ORDER BY row) AS island
        FROM p),
    ranges AS (
        SELECT file, col, key, value, other, message, min(row) AS first, max(row) AS last, count(*) AS n
        FROM islands GROUP BY file, col, key, value, other, message, island)
    SELECT file, min(first) AS row, col, message, key, value, other,
           list([first, last] ORDER BY first)[1:{ranges}] AS rows, sum(n) AS n, count(*) OVER () AS problems
    FROM ranges GROUP BY file, col, key, value, other, message
    ORDER BY file, row, col, message, key, value, other
    LIMIT {kept}
    """

    def _collect(self, queries: list[str], file_sql: str | None = None) -> None:
        """Run problem queries (each: [file,] row, column, key, value, other, message) and keep
        their problems, each once with the rows it is on."""
        if not queries:
            return
        if file_sql is not None:
            queries = [f"SELECT {file_sql} AS file, * FROM ({qry})" for qry in queries]
        union = " UNION ALL ".join(f"SELECT * FROM ({qry})" for qry in queries)
        rows = self.con.execute(self.GROUPED.format(union=union, ranges=RANGES_KEPT, kept=KEPT)).fetchall()
        for file, row, col, message, key, value, other, ranges, n, _ in rows:
            values = tuple((k, v) for k, v in (("value", value), ("other", other)) if v is not None)
            self.problems.append(Problem(file, row, col, message, key=key, values=values,
                                         rows=tuple(map(tuple, ranges)), count=int(n)))
        self.unshown += max(0, (rows[0][-1] if rows else 0) - len(rows))

    def finish(self) -> dict[str, int]:
        """Union the staged files into canonical tables `c_<table>` and validate them: every
        check runs, whatever the others found (a bad `seats` must not hide a reference to a
        missing kindergarten), and the problems are raised together."""
        present = {f.table for f in self.files if f.raw} | set(carried_tables(self.con))
        for name, spec in TABLES.items():
            if spec.required and name not in present and name not in self.unreadable:
                expected = f"{name}.csv, .parquet, .json, .jsonl or .xlsx"
                self.problems.append(Problem(f"{name}.*", None, None, f"required table {name!r} is missing (expected {expected})",
                                             key="missing_table", values=(("table", name), ("expected", expected))))
        # A series' snapshots become one state and the events derived from them; with problems
        # in its files already, those are told (its snapshots side by side would repeat every key).
        series = {}
        for f in self.files:
            if f.snapshot_at is not None and not f.folded:
                series.setdefault(f.table, []).append((f.snapshot_at, f.staged))
        if (series or self.carried) and self.problems:
            self.raise_if_problems()
        collapsed = collapse(self.con, series) if series or self.carried else {}
        counts = {}
        for name, spec in TABLES.items():
            # a file a mapping could not transform has no rows (`raw` unset)
            files = [f for f in self.files if f.table == name and f.snapshot_at is None and f.raw]
            # The events are stored in the order of their files' names and rows, which numbers
            # them (derive.sql `seq`): each file's rows are in row order as read, so the files
            # are put in order of their names; when that cannot tell (two files of one name,
            # rows a mapping made, a series' events), the rows are sorted.
            in_order = name != "events" or (name not in collapsed and not any(f.mapped for f in files)
                                            and len({f.file for f in files}) == len(files))
            staged = [f.staged for f in (sorted(files, key=lambda f: f.file) if name == "events" else files)]
            staged += [collapsed[name]] if name in collapsed else []
            cols = ", ".join(["_file", "_row", *map(q, spec.column_names)])
            if staged:
                union = " UNION ALL ".join(f"SELECT {cols} FROM {s}" for s in staged)
                union += "" if in_order else " ORDER BY _file, _row"
            else:
                union = "SELECT " + ", ".join(
                    ["CAST(NULL AS VARCHAR) AS _file", "CAST(NULL AS BIGINT) AS _row"]
                    + [f"CAST(NULL AS {DUCKDB_TYPE[c.type]}) AS {q(c.name)}" for c in spec.columns]
                ) + " WHERE false"
            self.con.execute(f"CREATE OR REPLACE TABLE c_{name} AS {union}")
            counts[name] = self.con.execute(f"SELECT count(*) FROM c_{name}").fetchone()[0]
            for s in staged + [t for _, t in series.get(name, [])]:
                self.con.execute(f"DROP TABLE IF EXISTS {s}")
        self._collect(list(self._table_checks(present)))
        self.raise_if_problems()
        self.warnings += self._unknown_references()
        return counts

    # The references kept although the other table lacks what they name (Table.unknown_kept),
    # one line per table and column: how many rows, which values (most frequent first).
    UNKNOWN = """
    SELECT x.{column} AS value, count(*) AS n, min(_file) AS file FROM {table} AS x
    WHERE x.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {ref_table} AS r WHERE r.{ref_column} = x.{column})
    GROUP BY x.{column}
    ORDER BY n DESC, value
    """

    def _unknown_references(self, shown: int = 5) -> list[Notice]:
        out = []
        for name, spec in TABLES.items():
            for column, ref_table, ref_column in spec.foreign_keys:
                if column not in spec.unknown_kept:
                    continue
                found = self.con.execute(self.UNKNOWN.format(table=f"c_{name}", column=q(column),
                                                             ref_table=f"c_{ref_table}", ref_column=q(ref_column))).fetchall()
                if found:
                    rows = sum(n for _, n, _ in found)
                    listed = ", ".join(f"«{v}» ({n})" for v, n, _ in found[:shown]) + (", …" if len(found) > shown else "")
                    out.append(Notice(found[0][2], "unknown_references",
                                      f"{rows} row{'s' * (rows != 1)} of {name} name{'s' * (rows == 1)} {len(found)} "
                                      f"{column}{' values' * (len(found) != 1)} that {ref_table} does not have — {listed}; "
                                      "published as named",
                                      (("n", rows), ("table", name), ("count", len(found)), ("column", column),
                                       ("other", ref_table), ("listed", listed))))
        return out

    def _missing(self, present: set[str]) -> set[tuple[str, str | None]]:
        """(table, column) pairs no file gave: a table missing or unreadable (column None), a
        required column missing. A check that needs one of them would only repeat its problem."""
        tables = {f.file: f.table for f in self.files}
        out = {(name, None) for name in TABLES if name not in present}
        return out | {(tables.get(p.file), p.column) for p in self.problems if p.key == "missing_column"}

    def _table_checks(self, present: set[str]):
        """Queries of the problems across rows and files, each giving (file, row, column, key,
        value, other, message); keys and values for the clerk's language, messages in English."""
        missing = self._missing(present)
        for name, spec in TABLES.items():
            t = f"c_{name}"
            if spec.primary_key:
                key = ", ".join(map(q, spec.primary_key))
                # An optional column of a key (positions.queue_id) may be empty: the empty
                # value is one value of the key (PARTITION BY groups NULLs together).
                required = [k for k in spec.primary_key if spec.column(k).required]
                shown = " || ' / ' || ".join(f"coalesce(CAST({q(k)} AS VARCHAR), '—')" for k in spec.primary_key)
                yield (
                    f"SELECT _file, _row, {sql_str(', '.join(spec.primary_key))}, 'duplicate', {shown}, "
                    f"first_file || ', ' || first_row, "
                    f"'duplicate ' || {shown} || ' (first at ' || first_file || ' row ' || first_row || ')' "
                    f"FROM (SELECT *, first_value(_file) OVER w AS first_file, first_value(_row) OVER w AS first_row, "
                    f"row_number() OVER w AS n FROM {t} WHERE {' AND '.join(f'{q(k)} IS NOT NULL' for k in required)} "
                    f"WINDOW w AS (PARTITION BY {key} ORDER BY _file, _row)) WHERE n > 1"
                )
            for column, ref_table, ref_column in spec.foreign_keys:
                if column in spec.unknown_kept:
                    continue  # told as a warning (unknown_references)
                if (ref_table, None) in missing or (ref_table, ref_column) in missing:
                    continue  # every reference would point nowhere: the missing table or column is told
                yield (
                    f"SELECT _file, _row, {sql_str(column)}, 'unknown_reference', {q(column)}, {sql_str(ref_table)}, "
                    f"{sql_str(f'{ref_table} has no ')} || {q(column)} "
                    f"FROM {t} AS x WHERE {q(column)} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM c_{ref_table} AS r WHERE r.{q(ref_column)} = x.{q(column)})"
                )
        if not any(p.key == "missing_name_column" for p in self.problems):  # else every row would repeat it
            yield (
                "SELECT _file, _row, 'name_ru', 'name_required', NULL, NULL, 'a name is required: name_kk or name_ru' "
                "FROM c_kindergartens WHERE name_kk IS NULL AND name_ru IS NULL"
            )
        # A number a parent could not type into a lookup would publish an application nobody
        # can find (engine/application_number.py: letters, digits, . / _ -, at most 64). A
        # number well formed as it is written stays so compacted (look-alike letters become
        # Cyrillic ones, one for one): only its length is checked, without compacting it.
        yield (
            f"SELECT _file, _row, 'application_number', 'not_a_number', left(application_number, 40), '{MAX_LENGTH}', "
            f"'not an application number: ' || left(application_number, 40) "
            f"|| ' (letters, digits, . / _ -, at most {MAX_LENGTH})' FROM c_applications "
            f"WHERE CASE WHEN regexp_full_match(application_number, '{WELL_FORMED}') "
            f"THEN length(application_number) > {MAX_LENGTH} "
            f"ELSE NOT regexp_full_match({compact_sql('application_number')}, '{WELL_FORMED}') "
            f"OR length({compact_sql('application_number')}) > {MAX_LENGTH} END"
        )
        # An ИИН is no application number: published, it would name the child (or parent).
        yield (
            "SELECT _file, _row, 'application_number', 'number_is_iin', application_number, NULL, "
            "'looks like an ИИН, a personal identity number: ' || application_number "
            "|| '; publish the number the queue gave the application' FROM c_applications "
            f"WHERE {privacy.is_iin_sql('application_number')}"
        )
        # Two numbers that differ only in case, spaces or look-alike letters can't be looked up
        # apart, however they are typed (their compact forms are equal): refused. Those that
        # differ only in other separators or leading zeros are published (kezek/pipeline.py).
        # A number already in its compact form (COMPACT_AS_WRITTEN) is not compacted again,
        # and only the forms that more than one number shares are ordered by file and row.
        yield (
            "SELECT _file, _row, 'application_number', 'numbers_alike', application_number, first, "
            "chr(39) || application_number || chr(39) || ' cannot be told apart from ' || chr(39) || first || chr(39) "
            "|| ' (case, spaces or look-alike letters)' FROM "
            "(WITH compacted AS MATERIALIZED (SELECT _file, _row, application_number, "
            f"CASE WHEN regexp_full_match(application_number, '{COMPACT_AS_WRITTEN}') THEN application_number "
            f"ELSE {compact_sql('application_number')} END AS k FROM c_applications) "
            "SELECT _file, _row, application_number, first_value(application_number) OVER w AS first, "
            "row_number() OVER w AS n FROM compacted "
            "WHERE k IN (SELECT k FROM compacted GROUP BY k HAVING count(*) > 1) "
            "WINDOW w AS (PARTITION BY k ORDER BY _file, _row)) WHERE n > 1 AND application_number <> first"
        )
        # Ids and places are published as they are: a person there is a mistake.
        refusals = ((privacy.IDENTIFIERS, privacy.is_person_id_sql, "id_is_personal",
                     "(an ИИН or an e-mail), not an id: ", "; publish the id the register gave it"),
                    (privacy.PLACES, privacy.looks_personal_sql, "place_is_personal",
                     "(an ИИН, a phone or an e-mail), not a place: ", ""))
        for columns_of, looks_personal, problem, what, advice in refusals:
            for name, columns in columns_of.items():
                for column in columns:
                    yield (f"SELECT _file, _row, {sql_str(column)}, '{problem}', {q(column)}, NULL, "
                           f"{sql_str('looks like personal data ' + what)} || "
                           f"{q(column)} || {sql_str(advice)} FROM c_{name} WHERE {looks_personal(q(column))}")
        for column, bound in (("latitude", 90), ("longitude", 180)):
            yield (f"SELECT _file, _row, '{column}', 'out_of_bounds', CAST({column} AS VARCHAR), '{bound}', "
                   f"'must be between -{bound} and {bound}' FROM c_kindergartens WHERE abs({column}) > {bound}")
        free = ", ".join(map(sql_str, REFERRAL_CHANNELS_WITHOUT_BULLETIN))
        for column, events in EVENT_REQUIRES.items():
            listed = ", ".join(map(sql_str, events))
            exempt = f" AND NOT (event = 'referral_issued' AND channel IN ({free}))" if column == "bulletin_id" else ""
            yield (
                f"SELECT _file, _row, {sql_str(column)}, 'event_needs', event, NULL, "
                f"'a value is required for event ' || event "
                f"FROM c_events WHERE {q(column)} IS NULL AND event IN ({listed}){exempt}"
            )
        yield (
            "SELECT _file, _row, 'group_id', 'unknown_group', group_id, kindergarten_id, "
            "'groups has no group ' || group_id || ' in kindergarten ' || kindergarten_id "
            "FROM c_vacancies AS v WHERE group_id IS NOT NULL AND EXISTS (SELECT 1 FROM c_groups) AND NOT EXISTS "
            "(SELECT 1 FROM c_groups AS g WHERE g.kindergarten_id = v.kindergarten_id AND g.group_id = v.group_id)"
        )

    def raise_if_problems(self) -> None:
        """BadInput with every problem found, each naming the column by its header in the file."""
        if self.problems:
            headers = {(f.file, canonical): header for f in self.files for canonical, header in f.columns.items()}
            problems = sorted({replace(p, header=headers.get((p.file, p.column), p.header)): None for p in self.problems},
                              key=lambda p: (p.file, p.row or 0, p.column or "", p.message))
            raise BadInput(problems, len(problems) + self.unshown, self.notices)


def _case(expr: str, labels: dict[str, str]) -> str:
    """Map labels (matched case- and space-insensitively) to canonical values. A value
    written as its canonical self (`queued`: lower case, no space) is kept as it is, without
    the pattern that folds spaces: most cells of an export are."""
    key = f"lower(regexp_replace(trim({expr}), '\\s+', ' ', 'g'))"
    whens = " ".join(f"WHEN {sql_str(k)} THEN {sql_str(v)}" for k, v in sorted(labels.items()))
    if not whens:
        return f"trim({expr})"
    canonical = sorted(v for k, v in labels.items() if k == v and v.isascii() and v == v.lower() and not re.search(r"\s", v))
    folded = f"CASE {key} {whens} ELSE trim({expr}) END"
    if not canonical:
        return folded
    return f"CASE WHEN trim({expr}) IN ({', '.join(map(sql_str, canonical))}) THEN trim({expr}) ELSE {folded} END"
