"""A declarative mapping file for exports whose layout differs from the format.

```toml
[tables.applications]
files = ["zayavki"]                      # file names (without extension) holding the table
[tables.applications.columns]
"Рег. номер" = "application_number"      # header in the file = canonical column
[tables.applications.values.status]
"Ожидает распределения" = "queued"       # label in the file = canonical value
```
`[dataset]` gives what dataset.json would (title, publisher, region, timezone, licence,
ruleset) to exports that come without one. A dataset folder may carry it as `mapping.toml`; `kezek update --mapping FILE` names one.

A table's entry may also transform the file (format 1.1, docs/mapping.md): `constants`,
`expressions` (SQL over the file's columns), `filter`, `group_by` or `distinct`, `repeat`
(repeated column groups into rows) and `coordinates` (to WGS 84). One file may feed several
tables. The expressions are checked and run apart from everything else (ingest/transform.py).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from engine.schema import DATASET_KEYS, TABLES
from ingest.vocabulary import column_synonyms, header_key
from ingest.privacy import is_personal
from ingest.problems import BadInput, Problem
from ingest import transform

EPSG = r"(?i)^EPSG:[0-9]{4,6}$"


class Repeat(BaseModel):
    """Repeated column groups into rows: one row per value, `{index}` in the headers,
    expressions and filter replaced by it; a row whose repeated columns are all empty is dropped."""
    model_config = ConfigDict(extra="forbid")
    index: str  # the placeholder; also the column set to the value, if the table has one of that name
    values: list[int | str] = Field(min_length=1)


class Coordinates(BaseModel):
    """Coordinates in a named reference system, converted to WGS 84 latitude and longitude."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from", pattern=EPSG)  # e.g. EPSG:3346 (LKS-94)
    x: str  # easting (or longitude): a header of the file or an expression
    y: str  # northing (or latitude)

    @field_validator("from_")
    @classmethod
    def _known_system(cls, code: str) -> str:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            CRS.from_user_input(code.upper())
        except CRSError:
            raise ValueError(f"unknown reference system {code!r}") from None
        return code.upper()


class TableMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: list[str] = []
    columns: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    constants: dict[str, str | int | float | bool] = {}
    expressions: dict[str, str] = {}
    filter: str | None = None
    group_by: list[str] = []
    distinct: bool = False
    repeat: Repeat | None = None
    coordinates: Coordinates | None = None

    @model_validator(mode="after")
    def _one_way_of_grouping(self) -> "TableMapping":
        if self.group_by and self.distinct:
            raise ValueError("group_by already gives one row per group; leave out distinct")
        return self

    @property
    def transforms(self) -> bool:
        return bool(self.constants or self.expressions or self.filter or self.group_by or self.distinct
                    or self.repeat or self.coordinates)

    def given(self) -> dict[str, list[str]]:
        """canonical column → the keys that give it (more than one is a mistake)."""
        out: dict[str, list[str]] = {}
        for target in {*self.columns.values()}:
            out.setdefault(target, []).append("columns")
        for kind in ("expressions", "constants"):
            for target in getattr(self, kind):
                out.setdefault(target, []).append(kind)
        if self.coordinates:
            for target in ("latitude", "longitude"):
                out.setdefault(target, []).append("coordinates")
        return out


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # What dataset.json says (title, publisher, region, timezone, licence, ruleset …), for
    # exports that come without one: a city's daily files never carry it. A dataset.json
    # beside the files wins, key by key.
    dataset: dict[str, str] = {}
    tables: dict[str, TableMapping] = {}
    _path: str = PrivateAttr(default="mapping.toml")

    @field_validator("dataset")
    @classmethod
    def _known_dataset_keys(cls, dataset: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(dataset) - set(DATASET_KEYS))
        if unknown:
            raise ValueError(f"unknown key {', '.join(map(repr, unknown))}; expected one of {', '.join(DATASET_KEYS)}")
        return {k: v for k, v in dataset.items() if v.strip()}

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: dict[str, TableMapping]) -> dict[str, TableMapping]:
        for name, table in tables.items():
            if name not in TABLES:
                raise ValueError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}")
            columns = TABLES[name].column_names
            for target in [*table.columns.values(), *table.values, *table.constants, *table.expressions]:
                if target not in columns:
                    raise ValueError(f"table {name}: unknown column {target!r}")
            if table.coordinates and not {"latitude", "longitude"} <= set(columns):
                raise ValueError(f"table {name}: has no latitude and longitude for coordinates")
            for target, kinds in table.given().items():
                if len(kinds) > 1:
                    raise ValueError(f"table {name}: column {target!r} is given by both {' and '.join(kinds)}")
        return tables

    def tables_for_file(self, stem: str) -> list[str]:
        """The tables a file feeds (one file may feed several: groups and kindergartens)."""
        return [name for name, table in self.tables.items() if file_key(stem) in map(file_key, table.files)]

    @property
    def path(self) -> str:
        return self._path


def file_key(name: str) -> str:
    """A file name as compared: zips made on macOS spell `й` as `и` and a combining breve
    (NFD), a mapping file typed elsewhere as one letter (NFC); and case does not count."""
    return unicodedata.normalize("NFC", name).casefold()


# The keys of the clerk's language for what pydantic finds (its `type`); another is a value the
# key does not take, told with the validator's own (English) words: they say which values it takes.
SETTING_PROBLEMS = {"missing": "mapping_key_missing", "extra_forbidden": "mapping_key_unknown"}


def load_mapping(path: Path) -> Mapping:
    try:
        mapping = Mapping.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))  # tomllib gives the place only in its text
        raise BadInput([Problem(str(path), int(line.group(1)) if line else None, None,
                                f"mapping file cannot be read: {exc}", key="mapping_syntax")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput([Problem(str(path), None, None, f"mapping file cannot be read: {exc}",
                                key="mapping_not_utf8" if isinstance(exc, UnicodeDecodeError) else "mapping_unreadable")]) from None
    except ValidationError as exc:
        problems = [
            Problem(str(path), None, ".".join(map(str, e["loc"])), e["msg"],
                    key=SETTING_PROBLEMS.get(e["type"], "mapping_value_invalid"), values=(("value", e["msg"]),))
            for e in exc.errors()
        ]
        raise BadInput(problems) from None
    mapping._path = str(path)
    problems = [
        Problem(str(path), None, None, f"table {name}: header {header!r} names personal data; it cannot be mapped "
                f"to {column!r}, which is published (a column with personal data is dropped on arrival)",
                key="mapping_personal_header", values=(("table", name), ("value", header), ("other", column)))
        for name, table in mapping.tables.items() for header, column in table.columns.items()
        if publishes_personal_header(name, header, column)
    ]
    # what is wrong with an expression is said in English (ingest/transform.py), under the clerk's words
    problems += [Problem(str(path), None, None, f"{key}: {message}", key="mapping_expression",
                         values=(("column", key), ("value", message))) for key, message in expression_problems(mapping)]
    if problems:
        raise BadInput(problems)
    return mapping


def expression_problems(mapping: Mapping) -> list[tuple[str, str]]:
    """What is wrong with the mapping's expressions and filters as SQL (ingest/transform.py),
    each under its key, all at once; whether the columns they name are in the file is known
    only when it is read."""
    out: list[tuple[str, str]] = []
    for name, table in mapping.tables.items():
        texts = [(f"expressions.{t}", text, bool(table.group_by or table.distinct)) for t, text in table.expressions.items()]
        texts += [("filter", table.filter, False)] if table.filter else []
        values = table.repeat.values if table.repeat else [None]
        for key, text, aggregates in texts:
            for value in values:
                concrete = text.replace("{" + table.repeat.index + "}", str(value)) if table.repeat else text
                out += [(f"tables.{name}.{key}", p) for p in transform.check(concrete, aggregates).problems]
    return list(dict.fromkeys(out))


def publishes_personal_header(table: str, header: str, column: str) -> bool:
    """A header that names a person's data (privacy.is_personal) sent to a published column,
    unless the column is made for it: an institution's own contact (`Table.institutional`),
    the child's birth date (published only as the year), or a header the format itself
    accepts for that column (vocabulary.toml: "Дата рождения", "Адрес", "name")."""
    spec = TABLES[table]
    return (is_personal(header) and column not in spec.institutional and not spec.column(column).personal
            and column_synonyms().get(header_key(header)) != column)
