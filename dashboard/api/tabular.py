"""The API's list routes as CSV (`?format=csv`, docs/interfaces.md), and the values their
filters can take.

CSV for machines: the items of the JSON answer, one row each, with the JSON field names as the
header row and the codes as in JSON (`mini_centre`, not a word), UTF-8 without a byte-order
mark, comma-separated. A list of codes is written joined by `|` as in the open-data format
(`kk|ru`); an object (a finding's evidence and explanation) as its JSON text. Written by
pyarrow's CSV writer, column by column.
"""

from __future__ import annotations

import io
import json
import threading
import typing

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import BaseModel

from engine import schema

MEDIA_TYPE = "text/csv; charset=utf-8; header=present"


def item_model(response: typing.Any) -> type[BaseModel] | None:
    """The model of one item of a list route's answer (`list[X]`, or a page with `items: list[X]`)."""
    if typing.get_origin(response) is list:
        return typing.get_args(response)[0]
    if isinstance(response, type) and issubclass(response, BaseModel) and "items" in response.model_fields:
        return typing.get_args(response.model_fields["items"].annotation)[0]
    return None


def _is_object(annotation: typing.Any) -> bool:
    """Whether a field holds an object (a dict or a document), written as JSON text."""
    kinds = typing.get_args(annotation) or (annotation,)
    return any(k is dict or typing.get_origin(k) is dict or (isinstance(k, type) and issubclass(k, BaseModel))
               for k in kinds)


def csv_bytes(model: type[BaseModel], items: list[dict]) -> bytes:
    """`items` (JSON-mode dumps of `model`) as CSV, a column per field of the model: an empty
    answer still has its header row."""
    names = list(model.model_fields)
    objects = [name for name, field in model.model_fields.items() if _is_object(field.annotation)]
    if objects:  # a finding's evidence varies by type: as JSON text, not as a column each
        items = [item | {name: json.dumps(item[name], ensure_ascii=False, sort_keys=True) for name in objects}
                 for item in items]
    table = pa.Table.from_pylist(items) if items else pa.table({name: pa.array([], pa.string()) for name in names})
    table = table.select(names)
    for i, column in enumerate(table.columns):
        if pa.types.is_list(column.type):
            table = table.set_column(i, names[i], pc.binary_join(column.cast(pa.list_(pa.string())), "|"))
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


# --- the values a filter can take -------------------------------------------------------------

# A filter value the publication holds nowhere is a mistake (`district=Есил`, `region=Astana`):
# it is answered with the values it holds, not with an empty list. The values are those of
# every table, so that one with no rows in a given answer (a district without findings) is
# still valid and gives an empty list.
KNOWN = {
    "region": """SELECT region FROM applications UNION SELECT region FROM kindergartens""",
    "locality": """SELECT coalesce(locality, region) FROM applications
                   UNION SELECT coalesce(locality, region) FROM kindergartens""",
    "district": """SELECT district FROM kindergartens""",
    "language": """SELECT language FROM vacancies UNION SELECT language FROM groups
                   UNION SELECT trim(unnest(string_split(languages, '|'))) FROM kindergartens""",
}
FIXED = {"ownership": schema.OWNERSHIP}  # a closed list of codes, whatever the data hold

_known: dict[tuple[str, str], list[str]] = {}
_known_lock = threading.Lock()


def known(cur: duckdb.DuckDBPyConnection, snapshot: str, parameter: str) -> list[str]:
    """The values `parameter` can take in the snapshot, sorted; remembered per snapshot (the
    applications of a country are read once, not on every request)."""
    if parameter in FIXED:
        return sorted(FIXED[parameter])
    key = (snapshot, parameter)
    if key not in _known:
        found = cur.execute(f"SELECT DISTINCT v FROM ({KNOWN[parameter]}) AS t(v) "
                            "WHERE v IS NOT NULL AND trim(v) <> '' ORDER BY v").fetchall()
        with _known_lock:
            if len(_known) > 64:  # old snapshots' values
                _known.clear()
            _known[key] = [row[0] for row in found]
    return _known[key]


def unknown_value(cur: duckdb.DuckDBPyConnection, snapshot: str, params: BaseModel) -> tuple[str, str, list[str]] | None:
    """(parameter, value, the values it can take) of the first filter whose value the
    snapshot does not hold; None when every one is known."""
    for parameter in (*KNOWN, *FIXED):
        value = getattr(params, parameter, None)
        if value is not None:
            allowed = known(cur, snapshot, parameter)
            if value not in allowed:
                return parameter, value, allowed
    return None
