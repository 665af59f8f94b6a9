"""A declarative mapping file for exports whose layout differs from the format.

```toml
[tables.applications]
files = ["zayavki"]                      # file names (without extension) holding the table
[tables.applications.columns]
"Рег. номер" = "application_number"      # header in the file = canonical column
[tables.applications.values.status]
"Ожидает распределения" = "queued"       # label in the file = canonical value
```
A dataset folder may carry it as `mapping.toml`; `kezek update --mapping FILE` names one.
"""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from engine.schema import TABLES
from ingest.vocabulary import column_synonyms, header_key
from ingest.privacy import is_personal
from ingest.problems import BadInput, Problem


class TableMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: list[str] = []
    columns: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tables: dict[str, TableMapping] = {}

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: dict[str, TableMapping]) -> dict[str, TableMapping]:
        for name, table in tables.items():
            if name not in TABLES:
                raise ValueError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}")
            columns = TABLES[name].column_names
            for target in [*table.columns.values(), *table.values]:
                if target not in columns:
                    raise ValueError(f"table {name}: unknown column {target!r}")
        return tables

    def table_for_file(self, stem: str) -> str | None:
        for name, table in self.tables.items():
            if file_key(stem) in map(file_key, table.files):
                return name
        return None


def file_key(name: str) -> str:
    """A file name as compared: zips made on macOS spell `й` as `и` and a combining breve
    (NFD), a mapping file typed elsewhere as one letter (NFC); and case does not count."""
    return unicodedata.normalize("NFC", name).casefold()


def load_mapping(path: Path) -> Mapping:
    try:
        mapping = Mapping.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput([Problem(str(path), None, None, f"mapping file cannot be read: {exc}")]) from None
    except ValidationError as exc:
        problems = [
            Problem(str(path), None, ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()
        ]
        raise BadInput(problems) from None
    problems = [
        Problem(str(path), None, None, f"table {name}: header {header!r} names personal data; it cannot be mapped "
                f"to {column!r}, which is published (a column with personal data is dropped on arrival)")
        for name, table in mapping.tables.items() for header, column in table.columns.items()
        if publishes_personal_header(name, header, column)
    ]
    if problems:
        raise BadInput(problems)
    return mapping


def publishes_personal_header(table: str, header: str, column: str) -> bool:
    """A header that names a person's data (privacy.is_personal) sent to a published column,
    unless the column is made for it: an institution's own contact (`Table.institutional`),
    the child's birth date (published only as the year), or a header the format itself
    accepts for that column (vocabulary.toml: "Дата рождения", "Адрес", "name")."""
    spec = TABLES[table]
    return (is_personal(header) and column not in spec.institutional and not spec.column(column).personal
            and column_synonyms().get(header_key(header)) != column)
