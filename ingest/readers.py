"""Read one file of a dataset into a DuckDB table, whatever its format and encoding.

Every reader produces the same thing: a table of the file's columns under their original
headers plus `_row`, the row number a person sees (the header is row 1 in CSV and XLSX;
records count from 1 in JSON and Parquet). Text stays text here: typing is the
validator's job, so that a bad value is reported rather than guessed.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.problems import BadInput, Problem

FORMATS = ("csv", "parquet", "json", "jsonl", "xlsx")
DELIMITERS = (",", ";", "\t")
CHUNK = 1 << 20


def quote_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


# Two Cyrillic letters in a row as UTF-8 writes them. In a Windows-1251 file these bytes
# would read "Р°Р°"-like, which no export holds: a file that has them but is not UTF-8 as a
# whole mixes two encodings, and reading it either way would garble some of its rows.
UTF8_CYRILLIC_WORD = re.compile(rb"(?:[\xd0\xd1][\x80-\xbf]){2,}")


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else cp1251; a
    file that mixes the two is refused, naming the first row that is not UTF-8."""
    with open(path, "rb") as fh:
        head = fh.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset, bad = 0, None
        while chunk := fh.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = offset + exc.start
                break
            offset += len(chunk)
        else:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                bad = offset
        if bad is None:
            return "utf-8"
        fh.seek(0)
        while chunk := fh.read(CHUNK):
            if UTF8_CYRILLIC_WORD.search(chunk):
                fh.seek(0)
                row = fh.read(bad).count(b"\n") + 1  # the header is row 1
                raise BadInput([Problem(path.name, row, None, "not UTF-8, while other rows of the file are: "
                                        "mixed encodings; save the whole file in one (UTF-8)")])
        return "cp1251"


def detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most fields (outside quotes)."""
    best, best_count = ",", 0
    for delimiter in DELIMITERS:
        fields = next(csv.reader([header_line], delimiter=delimiter), [])
        if len(fields) > best_count:
            best, best_count = delimiter, len(fields)
    return best


def _utf8_copy(path: Path, encoding: str, workdir: Path) -> Path:
    """A UTF-8 copy without BOM for DuckDB's reader; the original is left as it was."""
    if encoding == "utf-8":
        return path
    out = workdir / f"{path.name}.utf8"
    with open(path, "r", encoding=encoding, newline="") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(CHUNK):
            dst.write(chunk)
    return out


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, workdir: Path) -> dict:
    encoding = detect_encoding(path)
    text_path = _utf8_copy(path, encoding, workdir)
    with open(text_path, "r", encoding="utf-8", newline="") as fh:
        header_line = fh.readline()
    if not header_line.strip():
        raise BadInput([Problem(path.name, None, None, "the file is empty; expected a header row")])
    delimiter = detect_delimiter(header_line.rstrip("\r\n"))
    headers = next(csv.reader([header_line.rstrip("\r\n")], delimiter=delimiter))
    headers = [h.replace("\ufeff", "").strip() for h in headers]
    _check_headers(path, headers)
    placeholders = {f"c{i}": "VARCHAR" for i in range(len(headers))}
    # DuckDB reads a file in parallel unless a quoted field holds a line break (an address
    # typed on two lines in a spreadsheet): then it is read again, in one pass.
    for parallel in (True, False):
        try:
            con.execute(
                f"""CREATE OR REPLACE TABLE {quote_ident(table)} AS
                    SELECT * FROM read_csv($path, header = true, columns = $columns, auto_detect = false,
                                           delim = $delim, quote = '"', escape = '"',
                                           null_padding = true, strict_mode = true, parallel = $parallel)""",
                {"path": str(text_path), "columns": placeholders, "delim": delimiter, "parallel": parallel},
            )
            break
        except duckdb.Error as exc:
            if parallel and "quoted new lines" in str(exc):
                continue
            raise BadInput([_csv_problem(path, exc, len(headers))]) from None
    _rename(con, table, headers, first_row=2)
    return {"encoding": encoding, "delimiter": delimiter}


def _csv_problem(path: Path, exc: Exception, n_headers: int) -> Problem:
    text = str(exc)
    line = re.search(r"Line:\s*(\d+)", text)
    found = re.search(r"Found:\s*(\d+)", text)
    row = int(line.group(1)) if line else None
    if found:
        return Problem(path.name, row, None, f"{found.group(1)} fields, but the header has {n_headers}")
    too_long = re.search(r"Maximum line size of (\d+) bytes exceeded", text)
    if too_long:
        return Problem(path.name, row, None, f"the row is longer than {int(too_long.group(1)):,} bytes; "
                                             "no field of the format needs that much".replace(",", " "))
    first = text.splitlines()[0] if text else type(exc).__name__
    return Problem(path.name, row, None, f"cannot be read as CSV: {first}")


def _check_headers(path: Path, headers: list[str]) -> None:
    problems = []
    seen: dict[str, int] = {}
    for i, header in enumerate(headers, start=1):
        if not header:
            problems.append(Problem(path.name, 1, f"#{i}", "empty header; every column needs a name"))
        elif header.casefold() in seen:
            problems.append(Problem(path.name, 1, header, f"header repeated (columns {seen[header.casefold()]} and {i})"))
        seen.setdefault(header.casefold(), i)
    if problems:
        raise BadInput(problems)


def _rename(con, table: str, headers: list[str], first_row: int) -> None:
    """Give the placeholder columns their headers and add `_row`."""
    select = ", ".join(f"c{i} AS {quote_ident(h)}" for i, h in enumerate(headers))
    con.execute(
        f"CREATE OR REPLACE TABLE {quote_ident(table)} AS "
        f"SELECT {select}, CAST(rowid + {first_row} AS BIGINT) AS _row FROM {quote_ident(table)}"
    )


def read_parquet(con, path: Path, table: str, workdir: Path) -> dict:
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {quote_ident(table)} AS SELECT * FROM read_parquet($path)",
            {"path": str(path)},
        )
    except duckdb.Error as exc:
        raise BadInput([Problem(path.name, None, None, f"cannot be read as Parquet: {str(exc).splitlines()[0]}")]) from None
    add_row_numbers(con, table, first_row=1)
    return {}


def read_json(con, path: Path, table: str, workdir: Path) -> dict:
    fmt = "newline_delimited" if path.suffix.lower() == ".jsonl" else "array"
    try:
        con.execute(
            f"""CREATE OR REPLACE TABLE {quote_ident(table)} AS
                SELECT * FROM read_json($path, format = $fmt, records = true,
                                        sample_size = -1, union_by_name = true)""",
            {"path": str(path), "fmt": fmt},
        )
    except duckdb.Error as exc:
        raise BadInput([Problem(path.name, None, None, f"cannot be read as JSON: {str(exc).splitlines()[0]}")]) from None
    add_row_numbers(con, table, first_row=1)
    return {}


def read_xlsx(con, path: Path, table: str, workdir: Path) -> dict:
    """First sheet; the first row is the header. Cells become text as a person reads them."""
    from python_calamine import CalamineWorkbook

    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise BadInput([Problem(path.name, None, None, f"cannot be read as XLSX: {exc}")]) from None
    if not rows or not any(str(c).strip() for c in rows[0]):
        raise BadInput([Problem(path.name, None, None, "the first sheet is empty; expected a header row")])
    headers = [str(h).strip() for h in rows[0]]
    while headers and not headers[-1]:
        headers.pop()
    _check_headers(path, headers)
    width = len(headers)
    columns = list(zip(*[(list(r) + [""] * width)[:width] for r in rows[1:]])) or [()] * width
    arrow = pa.table({f"c{i}": pa.array([_cell_text(v) for v in col], pa.string()) for i, col in enumerate(columns)})
    con.register("_xlsx", arrow)
    con.execute(f"CREATE OR REPLACE TABLE {quote_ident(table)} AS SELECT * FROM _xlsx")
    con.unregister("_xlsx")
    _rename(con, table, headers, first_row=2)
    return {}


def _cell_text(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def add_row_numbers(con, table: str, first_row: int) -> None:
    con.execute(
        f"CREATE OR REPLACE TABLE {quote_ident(table)} AS "
        f"SELECT *, CAST(rowid + {first_row} AS BIGINT) AS _row FROM {quote_ident(table)}"
    )


READERS = {
    "csv": read_csv,
    "parquet": read_parquet,
    "json": read_json,
    "jsonl": read_json,
    "xlsx": read_xlsx,
}


def read_file(con: duckdb.DuckDBPyConnection, path: Path, table: str, workdir: Path) -> dict:
    """Load `path` into table `table`; returns what was detected (encoding, delimiter)."""
    fmt = path.suffix.lower().lstrip(".")
    if path.stat().st_size == 0:
        raise BadInput([Problem(path.name, None, None, "the file is empty; expected a header row")])
    return READERS[fmt](con, path, table, workdir)
