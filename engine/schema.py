"""The canonical tables of the Kezek open-data format, version 1.

One source of truth: ingest validates against these definitions, the engine reads the
tables they describe, and exports and docs are generated from them. Column order here is
the published column order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FORMAT_VERSION = 1

OWNERSHIP = ("state", "private_state_order", "private", "mini_centre")
PRIVILEGE = ("none", "first", "extraordinary")
PRIVILEGE_CATEGORY = (
    "military",
    "special_state_body",
    "disabled_parent",
    "orphan",
    "no_parental_care",
    "large_family",
    "special_needs",
    "teacher",
    "other",
)
STATUS = (
    "queued",
    "notified",
    "referred",
    "stop_list",
    "inactive",
    "enrolled",
    "withdrawn",
    "removed",
    "aged_out",
    "left",  # format 1.1: no longer in a published list, reason not published (series)
)
# Q2: the statuses that hold a place in the queue.
NUMBERED_STATUSES = ("queued", "notified", "referred", "stop_list")
# Rule Q2 in SQL: the macro is_numbered(status) of engine/sql/macros.sql, filled from here and
# called by every query that numbers, so that the numbered statuses are written once.
NUMBERED_STATUSES_SQL = "(" + ", ".join(f"'{s}'" for s in NUMBERED_STATUSES) + ")"
CHANNEL = ("priority", "free_choice", "private_state_order", "staff_child", "other")

# open-data-format.md, "State of an application at an instant": the status each event
# leaves behind. `privilege_changed` is the only event that bears no status.
EVENT_STATUS = {
    "registered": "queued",
    "stop_list_ended": "queued",
    "reactivated": "queued",
    "referral_cancelled": "queued",
    "interest_confirmed": "queued",
    "notified": "notified",
    "referral_issued": "referred",
    "referral_extended": "referred",
    "privilege_confirmed": "referred",
    "referral_annulled": "stop_list",
    "stop_listed": "stop_list",
    "deactivated": "inactive",
    "enrolled": "enrolled",
    "withdrawn": "withdrawn",
    "removed": "removed",
    "aged_out": "aged_out",
    # format 1.1, derived from a series: gone from the list (why is not published), back in it
    "left": "left",
    "returned": "queued",
}
# Events that bear no status: a privilege changed, or a registration time that is not what an
# earlier snapshot said (format 1.1; itself a fact to check: it should never change).
EVENT = ("registered", "privilege_changed", "registration_changed",
         *[e for e in EVENT_STATUS if e != "registered"])

# Events whose row must carry a value in the named column.
EVENT_REQUIRES = {
    "privilege": ("registered", "privilege_changed"),
    "bulletin_id": ("notified", "referral_issued"),
    "kindergarten_id": ("referral_issued", "enrolled"),
    "channel": ("referral_issued",),
}
# A6: a place in a private kindergarten with a state order is taken "regardless of the
# queue number" (seed 002, item 7), straight from the kindergarten's vacant places, so such
# a referral need not name a bulletin. An extension of the format's column table.
REFERRAL_CHANNELS_WITHOUT_BULLETIN = ("private_state_order",)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | int | float | date | datetime | enum | list
    required: bool
    description: str = ""  # a column of the input format; a published one is described in the catalogs
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    personal: bool = False  # used inside the engine, never published as such
    pattern: str | None = None  # a published text column's form (regular expression)


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()  # (column, table, column)
    # Columns an institution may publish about itself that would be personal data
    # about an applicant (phones, addresses) are allowed only where listed here.
    institutional: tuple[str, ...] = ()
    # References that may name what the referenced table lacks: kept as published and told
    # as a warning. A city's list names the kindergartens a child chose, and a few of them
    # (schools with pre-school groups) are missing from its own register of groups; refusing
    # the whole publication, or dropping the choices, would hide what the city published.
    unknown_kept: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


C = Column

KINDERGARTENS = Table(
    "kindergartens",
    True,
    "The public register of preschool organisations.",
    (
        C("kindergarten_id", "string", True, "Unique id of the kindergarten."),
        C("name_kk", "string", False, "Name in Kazakh (one of the two names is required)."),
        C("name_ru", "string", False, "Name in Russian (one of the two names is required)."),
        C("region", "string", True, "City of republican significance or oblast."),
        C("district", "string", False, "City district or rayon."),
        C("locality", "string", False, "Settlement the kindergarten serves; default: region."),
        C("address", "string", False, "Street address of the kindergarten."),
        C("latitude", "float", False, "WGS 84 latitude, degrees."),
        C("longitude", "float", False, "WGS 84 longitude, degrees."),
        C("ownership", "enum", True, "Kind of organisation.", OWNERSHIP),
        C("languages", "list", True, "Language codes of instruction separated by |."),
        C("capacity", "int", False, "Design capacity, places.", minimum=0),
        C("phone", "string", False, "Institutional phone."),
        C("website", "string", False, "Institutional website."),
    ),
    primary_key=("kindergarten_id",),
    institutional=("address", "phone", "website"),
)

GROUPS = Table(
    "groups",
    False,
    "Groups of each kindergarten with their capacity.",
    (
        C("kindergarten_id", "string", True, "Kindergarten the group belongs to."),
        C("group_id", "string", True, "Id of the group, unique within the kindergarten."),
        C("name", "string", False, "Name of the group."),
        C("birth_year", "int", True, "Birth year the group takes.", minimum=1990),
        C("language", "string", True, "Language code of instruction."),
        C("capacity", "int", True, "Places in the group.", minimum=0),
        C("enrolled", "int", False, "Children enrolled.", minimum=0),
        C("program", "string", False, "Curriculum or specialisation."),
    ),
    primary_key=("kindergarten_id", "group_id"),
    foreign_keys=(("kindergarten_id", "kindergartens", "kindergarten_id"),),
)

VACANCIES = Table(
    "vacancies",
    True,
    "Vacancy bulletins: places announced for children of one birth year and language.",
    (
        C("bulletin_id", "string", True, "Unique id of the bulletin."),
        C("kindergarten_id", "string", True, "Kindergarten offering the places."),
        C("announced_at", "datetime", True, "When the places were published."),
        C("birth_year", "int", True, "Birth year of the children who may take them.", minimum=1990),
        C("language", "string", True, "Language code of instruction of the group."),
        C("seats", "int", True, "Number of places.", minimum=1),
        C("group_id", "string", False, "Group the places are in."),
    ),
    primary_key=("bulletin_id",),
    foreign_keys=(("kindergarten_id", "kindergartens", "kindergarten_id"),),
)

APPLICATIONS = Table(
    "applications",
    True,
    "The queue register: every application and its state at export time.",
    (
        C("application_number", "string", True, "Unique public number of the application."),
        C("region", "string", True, "Whose queue the application is in."),
        C("locality", "string", False, "Settlement of the queue; default: region."),
        C("birth_date", "date", True, "Child's birth date; used for age rules, published only as the birth year.", personal=True),
        C("registered_at", "datetime", True, "When the application entered the queue."),
        C("privilege", "enum", True, "Privilege class.", PRIVILEGE),
        C("privilege_category", "enum", False, "Ground of the privilege.", PRIVILEGE_CATEGORY),
        C("language", "string", False, "Preferred language of instruction; empty: any."),
        C("status", "enum", True, "Status at export time.", STATUS),
        C("status_at", "datetime", False, "Since when the status holds."),
    ),
    primary_key=("application_number",),
)

EVENTS = Table(
    "events",
    False,
    "The status log of the applications.",
    (
        C("application_number", "string", True, "Application the event belongs to."),
        C("at", "datetime", True, "When it happened."),
        C("event", "enum", True, "What happened.", EVENT),
        C("privilege", "enum", False, "The privilege from this moment (registered, privilege_changed).", PRIVILEGE),
        C("bulletin_id", "string", False, "Bulletin (notified, referral_issued)."),
        C("kindergarten_id", "string", False, "Kindergarten (referral_issued, enrolled)."),
        C("channel", "enum", False, "How the referral was obtained (referral_issued).", CHANNEL),
        C("reason", "string", False, "Free text or code."),
        C("derived", "bool", False, "true: not published as such but derived by comparing consecutive "
                                    "snapshots of a series (format 1.1); empty: false."),
        C("seen_in", "datetime", False, "A derived event: the snapshot it was seen in."),
    ),
    foreign_keys=(
        ("application_number", "applications", "application_number"),
        ("bulletin_id", "vacancies", "bulletin_id"),
        ("kindergarten_id", "kindergartens", "kindergarten_id"),
    ),
)

POSITIONS = Table(
    "positions",
    False,
    "Queue numbers as officially published, for comparison.",
    (
        C("as_of", "date", True, "Day the number was published."),
        C("application_number", "string", True, "Application."),
        C("queue_number", "int", True, "Published queue number.", minimum=1),
        C("privileged_queue_number", "int", False, "Published number by privileged category (0: not privileged).", minimum=0),
        C("queue_id", "string", False, "The queue the number belongs to where a city keeps one queue per "
                                       "kindergarten (its kindergarten_id, or kindergarten × group; format 1.1); "
                                       "empty: the segment's queue."),
        C("kindergarten_id", "string", False, "The kindergarten whose queue queue_id is, where the queue is finer "
                                              "than a kindergarten (kindergarten × group type × language); empty: "
                                              "queue_id is the kindergarten's id itself (format 1.1). One the "
                                              "register lacks is kept as the city named it."),
    ),
    # One number per queue: an application may stand in several kindergartens' queues on one day.
    primary_key=("as_of", "application_number", "queue_id"),
    foreign_keys=(("application_number", "applications", "application_number"),
                  ("kindergarten_id", "kindergartens", "kindergarten_id")),
    unknown_kept=("kindergarten_id",),
)

CHOICES = Table(
    "choices",
    False,
    "The kindergartens each application asked for, in the order of preference (format 1.1).",
    (
        C("application_number", "string", True, "Application."),
        C("rank", "int", True, "Order of preference: 1 = first choice.", minimum=1),
        C("kindergarten_id", "string", True, "Kindergarten asked for; one the register lacks is kept as the "
                                             "city named it (and the update warns)."),
        C("language", "string", False, "Language code of instruction asked for in that kindergarten."),
        C("group_type", "string", False, "Kind of group asked for in that kindergarten."),
    ),
    primary_key=("application_number", "rank"),
    foreign_keys=(
        ("application_number", "applications", "application_number"),
        ("kindergarten_id", "kindergartens", "kindergarten_id"),
    ),
    unknown_kept=("kindergarten_id",),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (KINDERGARTENS, GROUPS, VACANCIES, APPLICATIONS, EVENTS, POSITIONS, CHOICES)
}

# DuckDB types of the canonical columns once loaded.
DUCKDB_TYPE = {
    "string": "VARCHAR",
    "enum": "VARCHAR",
    "list": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "bool": "BOOLEAN",
}


# dataset.json: what a dataset says of itself (open-data-format.md), each key with its meaning.
# Every key is optional; all are published beside the tables and on every page.
DATASET_KEYS = {
    "title": "The dataset's title.",
    "publisher": "Who publishes it (an akimat, an education department).",
    "region": "The region it covers, as the rulesets name regions (engine/rulesets/regions.toml).",
    "exported_at": "When it was exported (a date, or a date and time): the day the data describe.",
    "timezone": "The IANA time zone of its times (default Asia/Almaty).",
    "ruleset": "The rules to apply to all of it: a built-in ruleset's name (engine/rulesets/), or a ruleset "
               "file of the publisher's own in the dataset's folder (NAME.toml), checked like the built-in ones; "
               "absent: the rulesets in force per region and date, none where no ruleset covers a region.",
    "license": "The licence of the data (an SPDX id, e.g. CC0-1.0).",
}
# A dataset.json with every key, as docs/format.md shows it.
DATASET_EXAMPLE = {
    "title": "Очередь в детские сады города Астаны",
    "publisher": "ГУ «Управление образования города Астаны»",
    "region": "Астана",
    "exported_at": "2017-06-05T09:30:00",
    "timezone": "Asia/Almaty",
    "ruleset": "astana-2017",
    "license": "CC0-1.0",
}
