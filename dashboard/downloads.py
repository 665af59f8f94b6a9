"""Downloads of the tables a page shows, for people (docs/interfaces.md, "Dashboard downloads").

Every table is offered twice: as CSV (comma, UTF-8, for data tools) and for a spreadsheet
(semicolon, UTF-8 with a byte-order mark, decimal comma: what a Russian or Kazakh Excel opens
right with a double click). Both carry the page language's column names and words for the
codes (`mini_centre` → «мини-центр»); the machine-readable codes are in the open data and the
API's `format=csv`. The file name says what was downloaded: the table, the filter, the page
language and the day the data describe, e.g.
`vacancies_by_birth_year_district-esil_ru_2018-08-01.csv`. CSV has no place for a note that
every reader skips, so the filter travels in the name, not in a comment line.

The files are written by pyarrow's CSV writer, column by column, never row by row.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

import i18n
from dashboard import labels
from i18n import N_

BOM = "\ufeff".encode()
SPREADSHEET_SUFFIX = "_excel"  # the spreadsheet file's name: the CSV's, with this before .csv
LONGEST_NAME = 150  # characters of a file name, extension included (file systems take 255 bytes)

# Columns holding codes of the open-data format, and the words for them (dashboard/labels.py).
CODES = {
    "status": labels.STATUS,
    "privilege": labels.PRIVILEGE,
    "ownership": labels.OWNERSHIP,
    "language": labels.LANGUAGE,
    "type": labels.FINDING_TYPE,
    "channel": labels.CHANNEL,
    "order_name": labels.ORDER,
}

# Columns of the dashboard's own tables named by a text the catalogs already have.
SAME_AS = {
    "referrals": "overview.referrals",
    "seats_here": "column.places_here",
    "table_name": "column.table",
}
# Column names only the downloads use (as column.NAME), declared for the catalog test.
DOWNLOAD_ONLY = (N_("column.period"), N_("column.ruleset"))

# Kazakh and Russian letters in Latin ones, for file names (a name in Cyrillic is mangled by
# some mail programs and archive tools). Russian after the common passport rules (ICAO 9303).
LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "iu", "я": "ia", "ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u",
    "һ": "h", "і": "i",
}


def safe(text: object) -> str:
    """A value as a piece of a file name: Latin letters, digits and '-'.

    >>> safe("Есиль"), safe("Целиноград ауданы"), safe("Қосшы"), safe("2017-06")
    ('esil', 'tselinograd-audany', 'qosshy', '2017-06')
    """
    lowered = "".join(LATIN.get(ch, ch) for ch in str(text).lower())
    ascii_only = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def file_name(stem: str, filters: Iterable[tuple[str, object]], lang: str, as_of: str | None) -> str:
    """`stem`, each filter in use as `name-value`, the page language and the data's day.

    >>> file_name("vacancies_by_birth_year", [("district", "Есиль"), ("language", "")], "ru", "2018-08-01")
    'vacancies_by_birth_year_district-esil_ru_2018-08-01.csv'
    """
    parts = [safe(stem).replace("-", "_")]
    parts += [f"{safe(name).replace('-', '_')}-{safe(value)}" for name, value in filters if value not in (None, "")]
    parts += [lang, safe(as_of or "")]
    name = "_".join(p for p in parts if p)
    return name[:LONGEST_NAME - len(SPREADSHEET_SUFFIX + ".csv")].rstrip("_-") + ".csv"


def spreadsheet_name(name: str) -> str:
    """'queue_2016_ru_2018-08-01.csv' → 'queue_2016_ru_2018-08-01_excel.csv'."""
    return name.removesuffix(".csv") + SPREADSHEET_SUFFIX + ".csv"


def column_label(name: str, lang: str) -> str:
    """The catalog's name of a column (`column.NAME`); a cause of a change of the queue
    number (`cause_enrolled`) as 'Change: children were enrolled …'; else the name as it is
    (a birth year)."""
    catalog = i18n.catalog(lang)
    if name in SAME_AS:
        return i18n.t(SAME_AS[name], lang)
    if f"column.{name}" in catalog:
        return i18n.t(f"column.{name}", lang)
    cause = f"cause.{str(name).removeprefix('cause_')}"
    if str(name).startswith("cause_") and cause in catalog:
        return f"{i18n.t('column.change', lang)}: {i18n.t(cause, lang)}"
    return str(name)


def words(column: pa.ChunkedArray, codes: dict[str, str], lang: str) -> pa.ChunkedArray:
    """Each code of `column` as the catalog's word; a code without one as it is (as
    labels._label shows it)."""
    column = column.cast(pa.string())
    found = pc.index_in(column, value_set=pa.array(list(codes)))
    return pc.coalesce(pc.take(pa.array([i18n.t(key, lang) for key in codes.values()]), found), column)


def list_words(column: pa.ChunkedArray, codes: dict[str, str], lang: str) -> pa.ChunkedArray:
    """'kk|ru' → 'қазақ, орыс': a list of codes (the register's languages) in words."""
    lists = pc.split_pattern(column.cast(pa.string()), "|").combine_chunks()
    said = words(pa.chunked_array([lists.flatten()]), codes, lang).combine_chunks()
    return pc.binary_join(pa.ListArray.from_arrays(lists.offsets, said, mask=lists.is_null()), ", ")


def arrow(table: pd.DataFrame) -> pa.Table:
    """`table` as Arrow; a column mixing kinds of values (a parameter's value: a number here,
    a word there) as text, which Arrow's one type per column requires."""
    try:
        return pa.Table.from_pandas(table, preserve_index=False).replace_schema_metadata(None)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        mixed = {name: "string" for name, kind in table.dtypes.items() if kind == object}
        return pa.Table.from_pandas(table.astype(mixed), preserve_index=False).replace_schema_metadata(None)


def for_people(table: pd.DataFrame, lang: str) -> pa.Table:
    """`table` with the language's column names and words for the codes, as Arrow."""
    out = arrow(table)
    names: list[str] = []
    for i, name in enumerate(out.column_names):
        column = out.column(i)
        text = pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        if text and name in CODES:
            out = out.set_column(i, name, words(column, CODES[name], lang))
        elif text and name == "languages":
            out = out.set_column(i, name, list_words(column, labels.LANGUAGE, lang))
        label = column_label(name, lang)
        names.append(label if label not in names else f"{label} ({name})")  # two codes, one word
    return out.rename_columns(names)


def decimal_comma(table: pa.Table) -> pa.Table:
    """Fractions written with a comma (0,5), as a Russian or Kazakh spreadsheet reads them."""
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            text = pc.replace_substring(pc.cast(table.column(i), pa.string()), ".", ",")
            table = table.set_column(i, field.name, text)
    return table


def csv_bytes(table: pa.Table, *, spreadsheet: bool = False) -> bytes:
    """CSV (comma, UTF-8) or, with `spreadsheet`, the spreadsheet's form (semicolon, BOM,
    decimal comma). Quotes only where a value needs them."""
    if spreadsheet:
        table = decimal_comma(table)
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(delimiter=";" if spreadsheet else ",", quoting_style="needed"))
    return (BOM if spreadsheet else b"") + sink.getvalue()
