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
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import duckdb

from ingest.problems import BadInput, Problem
from ingest.vocabulary import column_synonyms, header_key

FORMATS = ("csv", "parquet", "json", "jsonl", "xlsx")
DELIMITERS = (",", ";", "\t")
CHUNK = 1 << 20
# Exports carry a few dozen columns. A file with thousands is not an export but a hostile or
# broken one, and every column costs memory in each copy DuckDB makes of the table, whatever
# the file's size (a 100 KB CSV with 15 000 columns took over 20 GB). 1 000 leaves room for
# any export and refuses such a file before it is read.
MAX_COLUMNS = 1000
# Python's csv module refuses a field longer than this; a header row longer than it is not
# a header (1 000 headers of 130 characters fit).
MAX_HEADER_CHARS = csv.field_size_limit()
# An XLSX sheet is read whole into memory, 32 bytes a cell as far as its farthest cell: two
# cells at A1 and XFD100000 of a 5 KB file would take 50 GB. 5 000 000 cells (100 000 rows of
# 50 columns) is more than a spreadsheet export holds; larger tables come as CSV or Parquet.
MAX_XLSX_CELLS = 5_000_000
# A report saved from a spreadsheet often has a title (and a blank line) above its headers:
# the header row is looked for among the first rows.
HEADER_SEARCH_ROWS = 10


def quote_ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


# Two Cyrillic letters in a row as UTF-8 writes them. In a Windows-1251 file these bytes
# would read "Р°Р°"-like, which no export holds: a file that has them but is not UTF-8 as a
# whole mixes two encodings, and reading it either way would garble some of its rows.
UTF8_CYRILLIC_WORD = re.compile(rb"(?:[\xd0\xd1][\x80-\xbf]){2,}")


def not_text(path: Path, kind: str) -> BadInput:
    """Bad input for a file with NUL bytes where text is expected: an image, an archive, a
    workbook or UTF-16 text under a text file's name."""
    return BadInput([Problem(path.name, None, None, f"not a text file (it holds NUL bytes, as images, archives, "
                             f"workbooks and UTF-16 text do): cannot be read as {kind}; save it as {kind} in UTF-8",
                             key="not_text", values=(("value", kind),))])


def _row_at(fh, offset: int) -> int:
    """The row (the header is row 1) holding byte `offset` of the file."""
    fh.seek(0)
    newlines = 0
    while offset > 0 and (chunk := fh.read(min(CHUNK, offset))):
        newlines += chunk.count(b"\n")
        offset -= len(chunk)
    return newlines + 1


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else cp1251; a
    file that mixes the two, or holds a byte cp1251 does not define, is refused, naming the
    first row that is not UTF-8, and so is a binary file."""
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
        offset, undefined = 0, None
        while chunk := fh.read(CHUNK):
            # Only in a file that is not UTF-8: a NUL in UTF-8 text is one cell's bad value,
            # reported with its row and column.
            if b"\x00" in chunk:
                raise not_text(path, "CSV")
            if UTF8_CYRILLIC_WORD.search(chunk):
                raise BadInput([Problem(path.name, _row_at(fh, bad), None, "not UTF-8, while other rows of the file are: "
                                        "mixed encodings; save the whole file in one (UTF-8)", key="mixed_encodings")])
            if undefined is None and (at := chunk.find(b"\x98")) >= 0:
                undefined = offset + at
            offset += len(chunk)
        if undefined is not None:  # the one byte Windows-1251 leaves undefined
            raise BadInput([Problem(path.name, _row_at(fh, undefined), None, "neither UTF-8 nor Windows-1251 text: "
                                    "cannot be read as CSV; save it as CSV in UTF-8", key="unknown_encoding")])
        return "cp1251"


def detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most fields (outside quotes)."""
    best, best_count = ",", 0
    for delimiter in DELIMITERS:
        fields = next(csv.reader([header_line], delimiter=delimiter), [])
        if len(fields) > best_count:
            best, best_count = delimiter, len(fields)
    return best


def known_headers(cells) -> int:
    """How many cells name a column of the format (its name, or a Russian or Kazakh header)."""
    synonyms = column_synonyms()
    return sum(header_key(c) in synonyms for c in cells if c is not None)


def header_index(rows: list[list]) -> int:
    """The index of the header row among the first rows: the first row, unless a later one
    names more columns of the format (at least two) — the rows above it are a title.

    >>> header_index([["Список заявлений на 05.06.2017"], [], ["Номер заявления", "Статус", "Льгота"]])
    2
    >>> header_index([["application_number", "status"], ["Номер заявления", "Статус", "Льгота"]])
    0
    """
    scores = [known_headers(map(str, r)) for r in rows[:HEADER_SEARCH_ROWS]]
    if not scores or scores[0] >= 2:
        return 0
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return best if scores[best] >= 2 and scores[best] > scores[0] else 0


def _header_line(lines: list[str]) -> tuple[int, str]:
    """The header among the first lines of a CSV file (header_index), and its delimiter."""
    parsed = [max((next(csv.reader([line.rstrip("\r\n")], delimiter=d), []) for d in DELIMITERS),
                  key=known_headers) for line in lines]
    index = header_index(parsed)
    return index, detect_delimiter(lines[index].rstrip("\r\n"))


def _utf8_copy(path: Path, encoding: str, workdir: Path) -> Path:
    """A UTF-8 copy without BOM for DuckDB's reader; the original is left as it was."""
    if encoding == "utf-8":
        return path
    out = workdir / f"{path.name}.utf8"
    with open(path, "r", encoding=encoding, newline="") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(CHUNK):
            dst.write(chunk)
    return out


def _from_line(path: Path, skip: int, workdir: Path) -> Path:
    """A copy of a UTF-8 text file without its first `skip` lines (a title above the headers)."""
    out = workdir / f"{path.name}.table"
    with open(path, "r", encoding="utf-8", newline="") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        for _ in range(skip):
            src.readline()
        while chunk := src.read(CHUNK):
            dst.write(chunk)
    return out


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, workdir: Path) -> dict:
    encoding = detect_encoding(path)
    text_path = _utf8_copy(path, encoding, workdir)
    with open(text_path, "r", encoding="utf-8", newline="") as fh:
        lines = [fh.readline(MAX_HEADER_CHARS + 1) for _ in range(HEADER_SEARCH_ROWS)]
    # the lines up to the first that is too long for a header, or the end of the file
    usable = lines[:next((i for i, line in enumerate(lines) if len(line) > MAX_HEADER_CHARS or not line), len(lines))]
    skip, delimiter = _header_line(usable) if usable else (0, ",")
    header_line = lines[skip]
    if len(header_line) > MAX_HEADER_CHARS:
        raise BadInput([Problem(path.name, 1, None, f"the header row is longer than {spaced(MAX_HEADER_CHARS)} "
                                "characters; not a header of the format", key="header_too_long",
                                values=(("value", spaced(MAX_HEADER_CHARS)),))])
    if not header_line.strip():
        raise BadInput([Problem(path.name, None, None, "the file is empty; expected a header row", key="empty_file")])
    headers = next(csv.reader([header_line.rstrip("\r\n")], delimiter=delimiter))
    headers = [h.replace("\ufeff", "").strip() for h in headers]
    check_width(path, len(headers))
    _check_headers(path, headers)
    placeholders = {f"c{i}": "VARCHAR" for i in range(len(headers))}
    if skip:  # DuckDB's `skip` reads no rows after a title in some files: a copy from the header on
        text_path = _from_line(text_path, skip, workdir)
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
    _rename(con, table, headers, first_row=skip + 2)
    return {"encoding": encoding, "delimiter": delimiter, **({"header_row": skip + 1} if skip else {})}


def _csv_problem(path: Path, exc: Exception, n_headers: int) -> Problem:
    text = str(exc)
    line = re.search(r"Line:\s*(\d+)", text)
    found = re.search(r"Found:\s*(\d+)", text)
    row = int(line.group(1)) if line else None
    if found:
        return Problem(path.name, row, None, f"{found.group(1)} fields, but the header has {n_headers}",
                       key="row_fields", values=(("value", found.group(1)), ("other", n_headers)))
    too_long = re.search(r"Maximum line size of (\d+) bytes exceeded", text)
    if too_long:
        return Problem(path.name, row, None, f"the row is longer than {spaced(int(too_long.group(1)))} bytes; "
                                             "no field of the format needs that much", key="row_too_long",
                       values=(("value", spaced(int(too_long.group(1)))),))
    first = text.splitlines()[0] if text else type(exc).__name__
    return Problem(path.name, row, None, f"cannot be read as CSV: {first}")


def spaced(number: int) -> str:
    """1 000 000: thousands apart as Russian and Kazakh write them."""
    return f"{number:,}".replace(",", " ")


def check_width(path: Path, columns: int, nested: bool = False) -> None:
    """`nested`: the fields inside nested columns are counted too (Parquet, JSON)."""
    if columns > MAX_COLUMNS:
        counted = "columns (nested fields counted)" if nested else "columns"
        raise BadInput([Problem(path.name, None, None, f"{spaced(columns)} {counted}, over the limit of "
                                f"{spaced(MAX_COLUMNS)} (an export has a few dozen)",
                                key="too_many_fields" if nested else "too_many_columns",
                                values=(("value", spaced(columns)), ("other", spaced(MAX_COLUMNS))))])


def _check_headers(path: Path, headers: list[str]) -> None:
    problems = []
    seen: dict[str, int] = {}
    for i, header in enumerate(headers, start=1):
        if not header:
            problems.append(Problem(path.name, 1, f"#{i}", "empty header; every column needs a name", key="empty_header"))
        elif header.casefold() in seen:
            problems.append(Problem(path.name, 1, header, f"header repeated (columns {seen[header.casefold()]} and {i})",
                                    key="header_repeated", values=(("value", seen[header.casefold()]), ("other", i))))
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
    import pyarrow as pa  # here, not at the top: an update of CSV files does without it (and numpy)
    import pyarrow.parquet as pq

    try:
        # The footer alone; its count is of leaf columns, so that nested groups count too.
        metadata = pq.read_metadata(path)
        check_width(path, metadata.num_columns, nested=True)
    except (pa.ArrowException, OSError) as exc:
        raise BadInput([Problem(path.name, None, None, f"cannot be read as Parquet: {exc}")]) from None
    # The rows are numbered as they are read (the reader's own row number), not by a second
    # copy of the table; a file with a column of that name is numbered after it is read.
    numbered = ROW_NUMBER not in {name.casefold() for name in metadata.schema.to_arrow_schema().names}
    select = (f"* EXCLUDE ({ROW_NUMBER}), CAST({ROW_NUMBER} + 1 AS BIGINT) AS _row FROM read_parquet($path, {ROW_NUMBER} = true)"
              if numbered else "* FROM read_parquet($path)")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {quote_ident(table)} AS SELECT {select}", {"path": str(path)})
    except duckdb.Error as exc:
        raise BadInput([Problem(path.name, None, None, f"cannot be read as Parquet: {str(exc).splitlines()[0]}")]) from None
    if not numbered:
        add_row_numbers(con, table, first_row=1)
    return {}


ROW_NUMBER = "file_row_number"  # the column DuckDB's Parquet reader adds when asked (read_parquet)


def read_json(con, path: Path, table: str, workdir: Path) -> dict:
    fmt = "newline_delimited" if path.suffix.lower() == ".jsonl" else "array"
    with open(path, "rb") as fh:
        if b"\x00" in fh.read(CHUNK):  # JSON text never holds one, not even in a string
            raise not_text(path, "JSON")
    params = {"path": str(path), "fmt": fmt}
    try:
        # The columns are detected first (a pass that holds no rows) and counted with their
        # nested fields, each of which DuckDB stores as a column: 100 fields of 150 each are
        # 15 000. Records of any width are rows (DuckDB's default takes a record of over 200
        # fields for a map, which `records = true` then refuses).
        detected = con.sql("SELECT * FROM read_json($path, format = $fmt, records = true, sample_size = -1, "
                           "union_by_name = true, map_inference_threshold = -1)", params=params)
        check_width(path, _leaf_columns(detected.types), nested=True)
        columns = dict(zip(detected.columns, map(str, detected.types)))
        con.execute(
            f"""CREATE OR REPLACE TABLE {quote_ident(table)} AS
                SELECT * FROM read_json($path, format = $fmt, records = true, columns = $columns)""",
            {**params, "columns": columns},
        )
    except (duckdb.Error, UnicodeDecodeError) as exc:
        # DuckDB quotes the offending bytes, which need not be UTF-8 themselves
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc).splitlines()[0]
        raise BadInput([Problem(path.name, None, None, f"cannot be read as JSON: {reason}")]) from None
    add_row_numbers(con, table, first_row=1)
    return {}


def _leaf_columns(types) -> int:
    nested = ("struct", "list", "map", "array", "union")
    return sum(_leaf_columns([child for _, child in t.children]) if t.id in nested else 1 for t in types)


def read_xlsx(con, path: Path, table: str, workdir: Path) -> dict:
    """First sheet; the first row is the header. Cells become text as a person reads them."""
    from python_calamine import CalamineWorkbook

    _check_sheet_extent(path)
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise BadInput([Problem(path.name, None, None, f"cannot be read as XLSX: {exc}")]) from None
    skip = header_index(rows)
    if not rows or not any(str(c).strip() for c in rows[skip]):
        raise BadInput([Problem(path.name, None, None, "the first sheet is empty; expected a header row", key="empty_sheet")])
    headers = [str(h).strip() for h in rows[skip]]
    while headers and not headers[-1]:
        headers.pop()
    _check_headers(path, headers)
    width = len(headers)
    columns = list(zip(*[(list(r) + [""] * width)[:width] for r in rows[skip + 1:]])) or [()] * width
    import pyarrow as pa

    arrow = pa.table({f"c{i}": pa.array([_cell_text(v) for v in col], pa.string()) for i, col in enumerate(columns)})
    con.register("_xlsx", arrow)
    con.execute(f"CREATE OR REPLACE TABLE {quote_ident(table)} AS SELECT * FROM _xlsx")
    con.unregister("_xlsx")
    _rename(con, table, headers, first_row=skip + 2)
    return {"header_row": skip + 1} if skip else {}


# A cell's reference (`<c r="B7" t="s">`; rows have a number alone), with the spaces and
# either quote XML allows. A cell or a row may go without one, and then follows the previous.
XLSX_REF_COLUMN = re.compile(rb"""\sr\s*=\s*["']([A-Z]{1,4})[0-9]""")
XLSX_REF_ROW = re.compile(rb"""\sr\s*=\s*["'][A-Z]{1,4}([0-9]{1,8})["']""")
XLSX_CELL = re.compile(rb"<c[\s/>]")
XLSX_ROW = re.compile(rb"<row[\s/>]")
XLSX_ROW_NUMBERED = re.compile(rb"""<row\s[^>]*?\br\s*=\s*["'][0-9]""")
XLSX_WORKBOOK_LIMIT = 16 << 20  # bytes of xl/workbook.xml read: it lists a few sheets


def _check_sheet_extent(path: Path) -> None:
    """Refuse a first sheet wider than MAX_COLUMNS or larger than MAX_XLSX_CELLS before it is
    read: the reader holds every cell up to the farthest one. The sheet's XML is scanned as a
    stream (about a third of the time the reader then takes) for the cells' references; a
    cell or row without one counts as one more column or row."""
    try:
        with zipfile.ZipFile(path) as book:
            part = _first_sheet_part(book)
            if part is None:  # a zip whose first sheet cannot be found cannot be checked: refused
                raise BadInput([Problem(path.name, None, None, "the first sheet of the workbook cannot be found "
                                        "(xl/workbook.xml and its relationships); save the table as CSV",
                                        key="sheet_missing")])
            columns, height, loose_cells, loose_rows = set(), 0, 0, 0
            with book.open(part) as xml:
                rest = b""
                while chunk := xml.read(CHUNK):
                    data = rest + chunk
                    # Up to the last `<` the text holds whole tags only (a tag is short).
                    cut = data.rfind(b"<", max(0, len(data) - 4096))
                    whole, rest = (data, b"") if cut < 0 else (data[:cut], data[cut:])
                    columns.update(XLSX_REF_COLUMN.findall(whole))
                    rows = XLSX_REF_ROW.findall(whole)
                    height = max(height, max(map(int, rows), default=0))
                    loose_cells += len(XLSX_CELL.findall(whole)) - len(rows)
                    loose_rows += len(XLSX_ROW.findall(whole)) - len(XLSX_ROW_NUMBERED.findall(whole))
            width = max(map(_column_number, columns), default=0)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return  # the reader reports a broken workbook in its own words
    check_width(path, width)
    cells = (width + max(loose_cells, 0)) * (height + max(loose_rows, 0))
    if cells > MAX_XLSX_CELLS:
        raise BadInput([Problem(path.name, None, None, f"the first sheet spans {spaced(cells)} cells, over the limit "
                                f"of {spaced(MAX_XLSX_CELLS)}; save a table this large as CSV", key="too_many_cells",
                                values=(("value", spaced(cells)), ("other", spaced(MAX_XLSX_CELLS))))])


def _column_number(letters: bytes) -> int:
    """B → 2, AA → 27, XFD → 16 384."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _first_sheet_part(book: zipfile.ZipFile) -> str | None:
    """The XML part of the workbook's first sheet (the one read), found through
    xl/workbook.xml and its relationships; None when the workbook has no such layout."""
    try:  # both list a few sheets; a part larger than the limit is not what it says
        workbook, rels = (ElementTree.fromstring(book.open(name).read(XLSX_WORKBOOK_LIMIT))
                          for name in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    sheet = workbook.find("{*}sheets/{*}sheet")
    rel_id = next((v for k, v in (sheet.attrib if sheet is not None else {}).items() if k.endswith("}id")), None)
    target = next((r.get("Target") for r in rels.iter() if r.get("Id") == rel_id), None)
    if not target:
        return None
    part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))
    return part if part in book.namelist() else None


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
        raise BadInput([Problem(path.name, None, None, "the file is empty; expected a header row", key="empty_file")])
    return READERS[fmt](con, path, table, workdir)
