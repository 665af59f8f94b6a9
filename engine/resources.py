"""The published tables as open-data resources: their columns, keys and partitioning, in
one place. `kezek export` writes them and their Table Schemas (datapackage.json); the
dashboard's data dictionary and docs/open-data.md are generated from the same list.

The canonical tables come from engine/schema.py without their personal columns; the
derived ones (the public queue, the audit's findings, the segment movement, the comparison of
published queues with simple orders) are described
here. Column titles are the dashboard's catalog entries `column.NAME` and what each column
of a resource means, as published, is `field.RESOURCE.NAME` (kk, ru, en): the data dictionary
of the Open data page, datapackage.json and docs/open-data.md read them there. A canonical
column keeps its description of the input format in engine/schema.py (docs/format.md)."""

from __future__ import annotations

from dataclasses import dataclass

from engine import disclosure
from engine.schema import PRIVILEGE, STATUS, TABLES, Column, Table

C = Column


@dataclass(frozen=True)
class Resource:
    name: str
    columns: tuple[Column, ...]
    order: tuple[str, ...]  # row order: a unique key
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()
    partition: tuple[str, ...] = ()  # Parquet in hive-style folders by these columns
    source: str = ""  # the snapshot's query, when not the table of the same name

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def description_key(self, column: str) -> str:
        """The catalog entry (i18n/{kk,ru,en}.json) that says what `column` means as published."""
        return f"field.{self.name}.{column}"

    def meaning(self, column: str, lang: str = "en") -> str:
        """What `column` means as published (the API describes the same fields with it)."""
        from i18n import t

        return t(self.description_key(column), lang)


# Never published per application (open-data-format.md): the ground of a privilege says
# more about a family than the queue needs; the birth date is personal data.
WITHHELD = ("privilege_category",)
BIRTH_YEAR = C("birth_year", "int", True, minimum=1990)
OF_THE_APPLICATION = (
    C("region", "string", True),
    C("birth_year", "int", True, minimum=1990),
)


def canonical(table: Table, extra: tuple[Column, ...] = (), published: dict[str, Column] | None = None,
              **kw) -> Resource:
    """A canonical table as published: without its personal and withheld columns, with the
    `extra` columns after its own, and `published` columns in place of the format's."""
    columns = [(published or {}).get(c.name, c) for c in table.columns
               if not c.personal and c.name not in WITHHELD]
    if table.name == "applications":
        columns.insert([c.name for c in columns].index("locality") + 1, BIRTH_YEAR)
    # A reference that may name what the other table lacks (Table.unknown_kept) is no foreign
    # key a validator could hold the file to.
    keys = tuple(k for k in table.foreign_keys if k[0] not in table.unknown_kept)
    return Resource(table.name, (*columns, *extra), kw.pop("order", table.primary_key), table.primary_key,
                    keys, **kw)


QUEUE = Resource(
    "queue",
    (
        C("application_number", "string", True),
        C("region", "string", True),
        C("locality", "string", True),
        BIRTH_YEAR,
        C("registered_at", "datetime", True),
        C("privilege", "enum", True, enum=PRIVILEGE),
        C("status", "enum", True, enum=STATUS),
        C("queue_number", "int", True, minimum=1),
        C("privileged_queue_number", "int", True, minimum=0),
    ),
    order=("region", "locality", "birth_year", "queue_number"),
    primary_key=("application_number",),
    foreign_keys=(("application_number", "applications", "application_number"),),
    partition=("region", "birth_year"),
    source="SELECT *, coalesce(locality, region) AS locality FROM queue",
)

FINDINGS = Resource(
    "findings",
    (
        C("finding_id", "int", True, minimum=1),
        C("type", "string", True),
        C("rule", "string", True),
        C("application_number", "string", False),
        C("bulletin_id", "string", False),
        C("kindergarten_id", "string", False),
        C("at", "datetime", True),
        C("evidence", "string", True),
        C("explanation_kk", "string", True),
        C("explanation_ru", "string", True),
        C("explanation_en", "string", True),
    ),
    order=("finding_id",),
    primary_key=("finding_id",),
)

SEGMENT_MOVEMENT = Resource(
    "segment_movement",
    (
        C("region", "string", True),
        C("locality", "string", True),
        C("birth_year", "int", True, minimum=1990),
        C("week", "date", True),
        C("queue_length", "int", True, minimum=0),
        C("new_applications", "int", True, minimum=0),
        C("privileged_insertions", "int", True, minimum=0),
        C("notifications", "int", True, minimum=0),
        C("referrals_priority", "int", True, minimum=0),
        C("referrals_free_choice", "int", True, minimum=0),
        C("referrals_staff_child", "int", True, minimum=0),
        C("referrals_private_state_order", "int", True, minimum=0),
        C("enrolments", "int", True, minimum=0),
        C("departures", "int", True, minimum=0),
        C("front_registered_at", "datetime", False),
    ),
    order=("region", "locality", "birth_year", "week"),
    primary_key=("region", "locality", "birth_year", "week"),
    source="SELECT *, coalesce(locality, region) AS locality FROM segment_movement",
)

ORDER_COMPARISON = Resource(
    "order_comparison",
    (
        C("region", "string", True),
        C("queue", "string", True),
        C("as_of", "date", True),
        C("order_name", "enum", True, enum=("application_time", "privilege_then_application_time", "privilege_then_age")),
        C("applications", "int", True, minimum=1),
        C("rank_correlation", "float", False),
        C("consecutive_in_order", "float", False),
    ),
    order=("region", "queue", "order_name"),
    primary_key=("queue", "order_name"),
)

EVENTS = canonical(
    TABLES["events"],
    extra=OF_THE_APPLICATION,
    order=("application_number", "at", "seq"),
    partition=("region", "birth_year"),
    source="SELECT e.*, a.region, a.birth_year FROM events AS e JOIN applications AS a USING (application_number)",
)

GROUPS = canonical(
    TABLES["groups"],
    published={"enrolled": C("enrolled", "string", False, pattern=r"^(\d+|<5)$")},
    source=f"SELECT * REPLACE ({disclosure.enrolled_sql()} AS enrolled) FROM groups",
)

RESOURCES: dict[str, Resource] = {r.name: r for r in (
    canonical(TABLES["kindergartens"]),
    GROUPS,
    canonical(TABLES["vacancies"]),
    canonical(TABLES["applications"], partition=("region", "birth_year")),
    EVENTS,
    canonical(TABLES["positions"]),
    canonical(TABLES["choices"]),  # format 1.1: exported when the dataset has choices
    QUEUE,
    FINDINGS,
    SEGMENT_MOVEMENT,
    ORDER_COMPARISON,  # format 1.1: how each published queue compares with simple orders; facts, not findings
)}

# Frictionless Table Schema types of the column types of engine/schema.py.
FIELD_TYPE = {"string": "string", "enum": "string", "list": "string", "int": "integer", "float": "number",
              "date": "date", "datetime": "datetime", "bool": "boolean"}
