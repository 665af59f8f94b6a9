"""A source definition file (`kezek update --source sources.toml`): several sources, each
with its type, address, mapping and the name of the environment variable holding its key.

```toml
[[sources]]                      # the register of applications, exported nightly by the akimat
type = "http"                    # a dataset folder's URL, or a .zip URL (ingest/remote.py)
url = "https://export.akimat.example.kz/kezek/"

[[sources]]                      # the vacancies, from the national open-data portal
type = "portal"                  # data.egov.kz style API (ingest/portal.py)
base = "https://data.egov.kz"
api = "almaty_vacancies"         # the dataset's apiUri
version = "v1"
table = "vacancies"              # the canonical table its rows are
key_env = "EGOV_API_KEY"         # the key is read from this environment variable
mapping = "vacancies.mapping.toml"   # field names → canonical columns (ingest/mapping.py)

[[sources]]
type = "folder"                  # or a local folder or .zip
path = "/srv/kezek/kindergartens"
```
Relative paths are relative to the file."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.schema import TABLES
from ingest.problems import BadInput, Problem


class SourceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["http", "portal", "folder"]
    url: str | None = None
    path: str | None = None
    base: str | None = None
    api: str | None = None
    version: str = "v1"
    table: str | None = None
    key_env: str | None = None
    page_size: int = 1000
    mapping: str | None = None


class SourceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: list[SourceEntry]


def load(path: Path) -> list[SourceEntry]:
    try:
        doc = SourceFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput([Problem(str(path), None, None, f"source file cannot be read: {exc}")]) from None
    except ValidationError as exc:
        raise BadInput([Problem(str(path), None, ".".join(map(str, e["loc"])), e["msg"])
                        for e in exc.errors()]) from None
    problems = []
    for i, entry in enumerate(doc.sources):
        where = f"sources.{i}"
        needed = {"http": ("url",), "folder": ("path",), "portal": ("base", "api", "table", "key_env")}[entry.type]
        problems += [Problem(str(path), None, f"{where}.{name}", f"required for type {entry.type!r}")
                     for name in needed if not getattr(entry, name)]
        if entry.table and entry.table not in TABLES:
            problems.append(Problem(str(path), None, f"{where}.table", f"unknown table {entry.table!r}"))
        if entry.key_env and entry.type == "portal" and not os.environ.get(entry.key_env):
            problems.append(Problem(str(path), None, f"{where}.key_env",
                                    f"the environment variable {entry.key_env} holding the key is not set"))
    if problems:
        raise BadInput(problems)
    return doc.sources
