"""What a mapping file may compute (docs/mapping.md), checked before it runs and run where it can reach nothing.

A table's entry in a mapping may set constants, compute columns with SQL expressions over
the file's columns, filter rows, group them, turn repeated column groups into rows and convert
coordinates to WGS 84. Its expressions are a publisher's text, so each is parsed by DuckDB's
own parser (json_serialize_sql) and must be ONE scalar expression: columns of the file,
constants, operators, CASE, casts and the functions listed below (aggregates only where the
rows are grouped). Nothing else passes: no subquery, no table function, no star, no second
statement. The checked SQL then runs on a connection of its own that holds only the file's
rows (handed over as Arrow) and may not touch a file or the network
(`enable_external_access = false`, locked), so that even a gap in the check reaches nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cache

import duckdb
import numpy as np
import pyarrow as pa

from ingest.readers import quote_ident as q
from ingest.vocabulary import column_synonyms, header_key

# Scalar functions an expression may call (DuckDB's names, lower case; operators by symbol).
SCALAR_FUNCTIONS = frozenset("""
    lower upper lcase ucase trim ltrim rtrim length len strlen length_grapheme substr substring
    substring_grapheme left right left_grapheme right_grapheme concat concat_ws replace reverse lpad rpad
    split_part string_split str_split string_split_regex regexp_split_to_array strpos instr position
    starts_with ends_with contains prefix suffix regexp_matches regexp_replace regexp_extract
    regexp_extract_all regexp_full_match regexp_escape nullif ifnull translate format printf strip_accents
    chr ascii unicode ord array_to_string list_extract list_element array_extract list_slice array_slice
    array_length list_contains array_contains list_has list_position list_distinct list_sort list_concat
    list_value
    year month day hour minute second millisecond microsecond make_date make_timestamp make_time date_part
    datepart date_trunc datetrunc strptime try_strptime strftime epoch epoch_ms to_timestamp date_diff
    datediff date_sub datesub last_day dayofweek dayofmonth dayofyear isodow isoyear week weekofyear
    quarter yearweek dayname monthname to_days to_months to_years to_hours to_minutes to_seconds to_weeks
    abs round round_even floor ceil ceiling trunc greatest least sign sqrt pow power ln log log10 log2 exp
    radians degrees sin cos tan asin acos atan atan2 pi isnan isinf isfinite even gcd lcm
    hash md5 sha1 sha256 if iif typeof
    snapshot_time
    + - * / // % ** ^ || ~~ !~~ ~~* !~~* ~~~ ^@ & | << >> ~ @
    like_escape ilike_escape not_like_escape not_ilike_escape
""".split())
# Aggregate functions, allowed only in a table whose rows are grouped (group_by).
AGGREGATE_FUNCTIONS = frozenset("""
    any_value arbitrary first last min max sum count count_star avg mean string_agg group_concat listagg
    bool_or bool_and arg_min arg_max argmin argmax median mode list array_agg product fsum
""".split())
# Kinds of node an expression is made of; anything else (a subquery, a star, a window, a
# lambda, a parameter) is refused.
NODES = frozenset({"CONSTANT", "COLUMN_REF", "FUNCTION", "OPERATOR", "COMPARISON", "CONJUNCTION", "CASE",
                   "CAST", "BETWEEN", "TYPE"})
REFUSED = {"SUBQUERY": "a subquery", "STAR": "*", "WINDOW": "a window function", "LAMBDA": "a lambda",
           "PARAMETER": "a parameter", "COLUMNS": "COLUMNS(…)", "POSITIONAL_REFERENCE": "a positional reference"}
X, Y = "_kezek_x", "_kezek_y"  # the coordinates before conversion
# `snapshot_time()`: the local time of the snapshot the file belongs to (a series' day, or a
# folder named by its time read alone) — what a city's list of free places is "announced" at,
# and the year its age ranges count from. Defined on the transformation's own connection.
UNDATED = ("snapshot_time() is the time of a snapshot: a folder named by it (YYYY-MM-DD or "
           "YYYY-MM-DDTHHMM) or a day of a series; this file has none")


@cache
def _parser() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()  # parses only: it runs json_serialize_sql on a text, never the text


@cache
def _parse(text: str) -> dict:
    return json.loads(_parser().execute("SELECT json_serialize_sql('SELECT ' || $e)", {"e": text}).fetchone()[0])


@cache
def _bare_select() -> dict:
    """`SELECT 1` without its select list: what an expression's statement must be around it."""
    node = dict(_parse("1")["statements"][0]["node"])
    node.pop("select_list")
    return node


@dataclass
class Checked:
    problems: list[str] = field(default_factory=list)
    columns: set[str] = field(default_factory=set)  # column names as the expression writes them


def check(text: str, aggregates: bool = False) -> Checked:
    """Whether `text` is one scalar expression of allowed parts (aggregates too if `aggregates`);
    what is wrong with it, and the columns it names."""
    out = Checked()
    tree = _parse(text)
    if tree.get("error"):
        out.problems.append(f"is not one SQL expression ({tree.get('error_message', 'cannot be parsed')})")
        return out
    statements = tree["statements"]
    if len(statements) != 1:
        out.problems.append("must be one expression, not several statements")
        return out
    node = dict(statements[0]["node"])
    items = node.pop("select_list", [])
    if node != _bare_select() or statements[0].get("named_param_map"):
        out.problems.append("must be one expression, not a query (no FROM, WHERE, GROUP BY, UNION, ORDER BY …)")
        return out
    if len(items) != 1:
        out.problems.append(f"must be one expression; found {len(items)} separated by commas")
        return out
    if items[0].get("alias"):
        out.problems.append("must be one expression without an alias (AS …): the key names the column")
    _walk(items[0], aggregates, out)
    out.problems = list(dict.fromkeys(out.problems))
    return out


def _walk(node, aggregates: bool, out: Checked) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, aggregates, out)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("class")
    if kind is not None and kind not in NODES:
        out.problems.append(f"{REFUSED.get(kind, kind.lower())} is not allowed")
        return
    if kind == "FUNCTION":
        name = str(node.get("function_name", "")).lower()
        if node.get("schema") or node.get("catalog"):
            out.problems.append(f"function {node['schema'] or node['catalog']}.{name} is not allowed")
        elif name in AGGREGATE_FUNCTIONS and not aggregates:
            out.problems.append(f"aggregate function {name} needs group_by")
        elif name not in SCALAR_FUNCTIONS and name not in AGGREGATE_FUNCTIONS:
            out.problems.append(f"function {name} is not allowed")
    if kind == "COLUMN_REF":
        names = node.get("column_names", [])
        if len(names) != 1:
            out.problems.append(f"column {'.'.join(names)} is not allowed: name a column of the file")
        else:
            out.columns.add(names[0])
        return
    for value in node.values():
        _walk(value, aggregates, out)


# -- one table's transformation --------------------------------------------------------------

@dataclass
class Plan:
    sql: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)  # (key, message)
    sources: dict[str, set[str]] = field(default_factory=dict)  # canonical column → headers of the file it is made from
    parts: dict[str, str] = field(default_factory=dict)  # key → a query of that key alone (to name a failure)
    coordinates: str | None = None  # the reference system of X and Y
    key: str = ""  # the table's own key, tables.X
    reads: set[str] = field(default_factory=set)  # the file's headers the SQL reads (and only those are handed over)


def literal(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def plan(table_mapping, table: str, canonical: tuple[str, ...], headers: list[str]) -> Plan:
    """The SQL that makes `table`'s rows from a file with `headers` (its rows in table `file`,
    with `_row`), or the problems that keep it from running, each under its mapping key."""
    prefix = f"tables.{table}"
    m, out = table_mapping, Plan(key=prefix)
    grouped = bool(m.group_by) or m.distinct
    exact = {h: h for h in headers}
    folded = {}
    for h in headers:
        folded.setdefault(h.casefold(), h)
        folded.setdefault(header_key(h), h)

    def header(name: str, key: str) -> str | None:
        found = exact.get(name) or folded.get(name.casefold()) or folded.get(header_key(name))
        if found is None:
            out.problems.append((key, f"the file has no column {name!r}"))
        return found

    repeat = m.repeat
    values = repeat.values if repeat else [None]
    placeholder = "{" + repeat.index + "}" if repeat else None

    def sub(text: str, value) -> str:
        return text.replace(placeholder, str(value)) if placeholder else text

    def templated(text: str) -> bool:
        return bool(placeholder) and placeholder in text

    selects = []
    for value in values:
        used: set[str] = set()  # headers the columns, expressions and coordinates are made from
        outputs: list[tuple[str, str, bool]] = []  # (canonical, SQL, templated)

        def expression(text: str, key: str, target: str | None, aggregates: bool) -> str:
            checked = check(sub(text, value), aggregates)
            out.problems.extend((key, p) for p in checked.problems)
            headers_used = {header(c, key) for c in checked.columns} - {None}
            out.reads.update(headers_used)
            if target is not None:
                used.update(headers_used)
                out.sources.setdefault(target, set()).update(headers_used)
            return f"(\n{sub(text, value)}\n)"

        keys = [k for k in (header(sub(g, value), f"{prefix}.group_by") for g in m.group_by) if k]
        for name, target in m.columns.items():
            h = header(sub(name, value), f"{prefix}.columns.{name}")
            if h is None:
                continue
            if m.group_by and h not in keys:
                out.problems.append((f"{prefix}.columns.{name}", "the rows are grouped: a column renamed must be one "
                                     "of group_by; compute the others in expressions, e.g. any_value(…)"))
            used.add(h)
            out.sources.setdefault(target, set()).add(h)
            outputs.append((target, q(h), templated(name)))
        for target, text in m.expressions.items():
            outputs.append((target, expression(text, f"{prefix}.expressions.{target}", target, grouped), templated(text)))
        for target, constant in m.constants.items():
            outputs.append((target, literal(constant), False))
        if m.coordinates is not None:
            for axis, text, alias in (("x", m.coordinates.x, X), ("y", m.coordinates.y, Y)):
                h = exact.get(sub(text, value))  # a header of the file, as it is, or an expression
                if h is not None:
                    used.add(h)
                    sql = f"TRY_CAST(replace(CAST({q(h)} AS VARCHAR), ',', '.') AS DOUBLE)"
                    sql = f"any_value({sql})" if grouped and h not in keys else sql
                else:
                    sql = f"TRY_CAST({expression(text, f'{prefix}.coordinates.{axis}', 'latitude', grouped)} AS DOUBLE)"
                for target in ("latitude", "longitude"):
                    out.sources.setdefault(target, set()).update({h} if h else out.sources.get("latitude", set()))
                outputs.append((alias, sql, templated(text)))
            out.coordinates = m.coordinates.from_
        given = {target for target, _, _ in outputs}
        if repeat and repeat.index in canonical and repeat.index not in given:
            outputs.append((repeat.index, literal(value), False))
        where = expression(m.filter, f"{prefix}.filter", None, False) if m.filter else None
        if m.group_by:
            passthrough = [k for k in keys if k not in used]
        elif grouped:
            passthrough = []
        else:  # the file's other columns that name a column of the table, read as without a transformation
            produced = {header_key(t) for t in given}
            filtered = check(sub(m.filter, value)).columns if m.filter else set()
            passthrough = [h for h in headers if h not in used and h not in filtered and header_key(h) not in produced
                           and _names_column(h, canonical)]
        out.reads.update(used, keys, passthrough)
        columns = [*map(q, passthrough), *(f"{sql} AS {q(target)}" for target, sql, _ in outputs),
                   "min(_row) AS _row" if grouped else "_row"]
        group = f" GROUP BY {', '.join(map(q, keys))}" if m.group_by else " GROUP BY ALL" if grouped else ""
        select = f"SELECT {', '.join(columns)} FROM file" + (f" WHERE {where}" if where else "") + group
        repeated = [target for target, _, is_templated in outputs if is_templated]
        if repeated:  # a group of repeated columns that is empty gives no row
            present = ", ".join(f"nullif(trim(CAST({q(t)} AS VARCHAR)), '')" for t in repeated)
            select = f"SELECT * FROM ({select}) WHERE coalesce({present}) IS NOT NULL"
        selects.append(select)
        if value == values[0]:  # each key alone, to name the one that fails
            for target, text in m.expressions.items():
                out.parts[f"{prefix}.expressions.{target}"] = f"SELECT (\n{sub(text, value)}\n) FROM file{group}"
            if where:
                out.parts[f"{prefix}.filter"] = f"SELECT count(*) FROM file WHERE {where}"
    out.problems = list(dict.fromkeys(out.problems))
    out.sql = " UNION ALL BY NAME ".join(f"({s})" for s in selects) + " ORDER BY _row"
    return out


def _names_column(header: str, canonical: tuple[str, ...]) -> bool:
    """Whether a header is one of the table's columns (the format's name, or its Russian or
    Kazakh name): the only columns of a transformed file worth reading further. The others —
    in Vilnius's list, fifty columns about each choice — would be carried through every row the
    transformation makes (five per child with `repeat`) only to be set aside."""
    return header_key(header) in {header_key(c) for c in canonical} or column_synonyms().get(header_key(header)) in canonical


def run(arrow: pa.Table, steps: Plan, timezone: str,
        snapshot_at: dt.datetime | None = None) -> tuple[pa.Table | None, list[tuple[str, str]]]:
    """Run the plan's SQL over the file's rows on a connection that can reach no file and no
    network; the rows made (coordinates converted), or the keys that failed and why.
    `snapshot_at` is what `snapshot_time()` gives (an error where the file has no snapshot time)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = $zone", {"zone": timezone})
        given = (f"TIMESTAMP '{snapshot_at:%Y-%m-%d %H:%M:%S}'" if snapshot_at is not None
                 else f"CAST(error('{UNDATED}') AS TIMESTAMP)")
        con.execute(f"CREATE MACRO snapshot_time() AS {given}")
        con.register("file", arrow)  # a view of the Arrow table: nothing is copied
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        try:
            made = con.sql(steps.sql).to_arrow_table()
        except duckdb.Error as exc:
            return None, _failed(con, steps, exc)
    finally:
        con.close()
    if steps.coordinates is not None:
        made = wgs84(made, steps.coordinates)
    return made, []


def _failed(con: duckdb.DuckDBPyConnection, steps: Plan, exc: duckdb.Error) -> list[tuple[str, str]]:
    """Which keys fail on their own (each tried alone), else the error of the whole table."""
    failed = []
    for key, sql in steps.parts.items():
        try:
            con.execute(sql).fetchall()
        except duckdb.Error as own:
            failed.append((key, _first_line(own)))
    return failed or [(steps.key, _first_line(exc))]


def _first_line(exc: Exception) -> str:
    return re.sub(r"\s+", " ", str(exc).split("\n\nLINE")[0]).strip()


@cache
def _transformer(crs: str):
    """One PROJ transformer per system: making one takes a quarter of a second, and a series
    converts the same system every day."""
    from pyproj import Transformer

    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def wgs84(made: pa.Table, crs: str) -> pa.Table:
    """X and Y in `crs` → latitude and longitude in WGS 84, the whole columns at once."""
    transformer = _transformer(crs)
    x = made.column(X).to_numpy(zero_copy_only=False).astype("float64")
    y = made.column(Y).to_numpy(zero_copy_only=False).astype("float64")
    lon, lat = transformer.transform(x, y)
    made = made.drop_columns([X, Y])
    for name, values in (("latitude", np.asarray(lat)), ("longitude", np.asarray(lon))):
        made = made.append_column(name, pa.array(values, mask=~np.isfinite(values)))
    return made

