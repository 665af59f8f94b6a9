"""The published tables as open-data resources: their columns, keys and partitioning, in
one place. `kezek export` writes them and their Table Schemas (datapackage.json); the
dashboard's data dictionary and docs/open-data.md are generated from the same list.

The canonical tables come from engine/schema.py without their personal columns; the
derived ones (the public queue, the audit's findings, the segment movement, the comparison of
published queues with simple orders) are described
here. Column titles are the dashboard's catalog entries `column.NAME` (kk, ru, en)."""

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

    def meaning(self, column: str) -> str:
        """A column's description (the API describes the same fields with it)."""
        return next(c.description for c in self.columns if c.name == column)


# Never published per application (open-data-format.md): the ground of a privilege says
# more about a family than the queue needs; the birth date is personal data.
WITHHELD = ("privilege_category",)
BIRTH_YEAR = C("birth_year", "int", True, "Child's birth year (the birth date is never published).", minimum=1990)
OF_THE_APPLICATION = (
    C("region", "string", True, "Region of the application's queue (partition of the Parquet files)."),
    C("birth_year", "int", True, "Birth year of the application's child (partition of the Parquet files).",
      minimum=1990),
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
        C("application_number", "string", True, "Application."),
        C("region", "string", True, "Region of the queue (Q1)."),
        C("locality", "string", True, "Settlement of the queue (Q1)."),
        BIRTH_YEAR,
        C("registered_at", "datetime", True, "When the application entered the queue (Q3 orders by it)."),
        C("privilege", "enum", True, "Privilege class (Q3).", PRIVILEGE),
        C("status", "enum", True, "Status at the snapshot's date (Q2: numbered statuses only).", STATUS),
        C("queue_number", "int", True, "Position in the segment's Q3 order (Q4).", minimum=1),
        C("privileged_queue_number", "int", True, "Position among the extraordinary and first-priority "
                                                  "applications; 0 for a general application (Q4).", minimum=0),
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
        C("finding_id", "int", True, "Stable within a snapshot: findings in time order, then by type.", minimum=1),
        C("type", "string", True, "Finding type (queue-rules.md, F)."),
        C("rule", "string", True, "The rule it tests, e.g. A1; — for an inconsistent record."),
        C("application_number", "string", False, "Application concerned."),
        C("bulletin_id", "string", False, "Bulletin concerned."),
        C("kindergarten_id", "string", False, "Kindergarten concerned."),
        C("at", "datetime", True, "The instant of the breach (for a deadline: the deadline)."),
        C("evidence", "string", True, "What the replay found, as a JSON object."),
        C("explanation_kk", "string", True, "The finding in a sentence, in Kazakh."),
        C("explanation_ru", "string", True, "The finding in a sentence, in Russian."),
        C("explanation_en", "string", True, "The finding in a sentence, in English."),
    ),
    order=("finding_id",),
    primary_key=("finding_id",),
)

SEGMENT_MOVEMENT = Resource(
    "segment_movement",
    (
        C("region", "string", True, "Region of the queue (Q1)."),
        C("locality", "string", True, "Settlement of the queue (Q1)."),
        C("birth_year", "int", True, "Birth year of the queue (Q1).", minimum=1990),
        C("week", "date", True, "Monday of the week; the last week ends with the snapshot's date."),
        C("queue_length", "int", True, "Numbered applications at the end of the week (Q2).", minimum=0),
        C("new_applications", "int", True, "Applications registered that week.", minimum=0),
        C("privileged_insertions", "int", True, "Registered with a privilege, or granted one (Q3).", minimum=0),
        C("notifications", "int", True, "Offers of a place in queue order (A1).", minimum=0),
        C("referrals_priority", "int", True, "Referrals in queue order (A1).", minimum=0),
        C("referrals_free_choice", "int", True, "Referrals after the priority window (A3).", minimum=0),
        C("referrals_staff_child", "int", True, "Referrals of children of staff (A9).", minimum=0),
        C("referrals_private_state_order", "int", True, "Referrals to private kindergartens with a state "
                                                        "order (A6).", minimum=0),
        C("enrolments", "int", True, "Children enrolled (A8).", minimum=0),
        C("departures", "int", True, "Left without a place: withdrawn, removed, aged out or deactivated (Q5).",
          minimum=0),
        C("front_registered_at", "datetime", False, "The latest registration among the applications referred "
                                                    "in queue order that week: how far the front reached; "
                                                    "empty in a week without such referrals."),
    ),
    order=("region", "locality", "birth_year", "week"),
    primary_key=("region", "locality", "birth_year", "week"),
    source="SELECT *, coalesce(locality, region) AS locality FROM segment_movement",
)

ORDER_COMPARISON = Resource(
    "order_comparison",
    (
        C("region", "string", True, "Region of the queue."),
        C("queue", "string", True, "The queue: a kindergarten's own (positions.queue_id), or a segment written "
                                   "region / settlement / birth year (Q1)."),
        C("as_of", "date", True, "The latest day the city published this queue."),
        C("order_name", "enum", True, "The simple order compared with the published one: application time; "
                                      "privilege class, then application time; privilege class, then age.",
          enum=("application_time", "privilege_then_application_time", "privilege_then_age")),
        C("applications", "int", True, "Applications the city published in the queue that day.", minimum=1),
        C("rank_correlation", "float", False, "Spearman's rank correlation between the published places and the "
                                              "order: 1 the same order, 0 unrelated, -1 reversed; empty for one "
                                              "application."),
        C("consecutive_in_order", "float", False, "Share of consecutive published places in which the one ahead "
                                                  "comes first by the order too; empty for one application."),
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
    published={"enrolled": C("enrolled", "string", False, 'Children enrolled; "<5" in a group for special '
                             'educational needs with fewer than 5 (engine/disclosure.py).', pattern=r"^(\d+|<5)$")},
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
