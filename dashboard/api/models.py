"""The documents of the HTTP API and the parameters it takes, as pydantic models.

These models shape every response (`model_dump(mode="json")`), validate every query
string, and are the only source of the OpenAPI description (`dashboard.api.openapi`):
what the API answers and what it says it answers cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from dashboard.url_values import whole_number
from engine import schema
from engine.application_number import MAX_LENGTH, WELL_FORMED, is_well_formed
from engine.audit import FINDING_TYPES, LEGITIMATE_CHANNELS
from engine.resources import RESOURCES

# --- value types --------------------------------------------------------------------------

# The patterns the OpenAPI description publishes are the server's own checks, with [0-9]
# for a digit: Python's \d also takes other scripts' digits, JSON Schema's does not.
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def _iso_date(value: object) -> object:
    """Only `YYYY-MM-DD` (pydantic alone would also take a Unix timestamp)."""
    if isinstance(value, str):
        if not re.fullmatch(DATE_PATTERN, value):
            raise ValueError("expected a date YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("expected a date YYYY-MM-DD that exists") from None
    return value


Date = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]


def _whole(value: object) -> object:
    """A number in a query string or path: the digits 0-9 only (pydantic alone would also
    take `1.0`, ` 12`, `1_000` and `+5`)."""
    if isinstance(value, str):
        number = whole_number(value)
        if number is None:
            raise ValueError("expected a whole number written with the digits 0-9")
        return number
    return value


Whole = Annotated[int, BeforeValidator(_whole)]


def _absent_if_empty(value: object) -> object:
    return None if value == "" else value


# Free text: `?region=` means no region filter. Every other kind of parameter has a shape
# an empty value does not have, so there it is malformed, as the description says.
Text = Annotated[str | None, BeforeValidator(_absent_if_empty)]

# An application number as people type it (engine/application_number.py): the characters
# of a normalised number in either case, spaces anywhere, at most MAX_LENGTH characters
# besides the spaces. Whatever matches normalises to a well-formed number.
_NUMBER_CHARS = re.fullmatch(r"\[(.*)\]\+", WELL_FORMED).group(1)  # 0-9A-ZА-Я… ./_\-
_TYPED_CHARS = _NUMBER_CHARS + re.sub(r"0-9|[./_]|\\-", "", _NUMBER_CHARS.lower())  # … and a-zа-я…
_SPACE = r"[ \t\u00a0\u202f]"


def _typed_number(characters: str) -> str:
    return rf"^{_SPACE}*(?:[{characters}]{_SPACE}*){{1,{MAX_LENGTH}}}$"


NUMBER_PATTERN = _typed_number(_TYPED_CHARS)
# In a path a `/` would end the segment: such a number cannot be asked for there.
NUMBER_IN_PATH_PATTERN = _typed_number(_TYPED_CHARS.replace("/", ""))


def _application_number(pattern: str):
    def check(value: object) -> object:
        if isinstance(value, str) and not (re.fullmatch(pattern, value) and is_well_formed(value)):
            raise ValueError(f"not an application number (letters, digits, . / _ -, at most {MAX_LENGTH})")
        return value

    return check


ApplicationNumber = Annotated[str, BeforeValidator(_application_number(NUMBER_PATTERN)),
                              WithJsonSchema({"type": "string", "pattern": NUMBER_PATTERN})]
ApplicationNumberInPath = Annotated[
    str, BeforeValidator(_application_number(NUMBER_IN_PATH_PATTERN)),
    WithJsonSchema({"type": "string", "pattern": NUMBER_IN_PATH_PATTERN})]

# Times in the data are local wall-clock times of the publishing region, without an
# offset (open-data-format.md), so they are not RFC 3339 `date-time`s: say what they are.
LocalDateTime = Annotated[
    dt.datetime,
    PlainSerializer(lambda v: v.isoformat(timespec="seconds"), return_type=str),
    WithJsonSchema({
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
        "description": "Local wall-clock time of the region (YYYY-MM-DDTHH:MM:SS, no offset).",
    }),
]


def _codes(value: object) -> object:
    """`kk|ru` as the list it is."""
    if isinstance(value, str):
        return [code.strip() for code in value.split("|") if code.strip()]
    return value


Codes = Annotated[list[str], BeforeValidator(_codes)]

Privilege = Literal[schema.PRIVILEGE]
Status = Literal[schema.STATUS]
EventName = Literal[schema.EVENT]
Ownership = Literal[schema.OWNERSHIP]
# The bounds before the validator: after it, pydantic would describe them as `ge`/`le`,
# which JSON Schema does not know, instead of `minimum`/`maximum`.
BirthYear = Annotated[int, Field(ge=0, le=9999, description="Birth year of the children."), BeforeValidator(_whole)]
Count = Annotated[int, Field(ge=0)]


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- errors --------------------------------------------------------------------------------

class Error(Document):
    """Every error answer: `{"error": "not_found"}`, `{"error": "bad_request", …}`, …"""

    error: Literal["bad_request", "not_found", "method_not_allowed", "unavailable", "internal"]
    detail: str | None = Field(None, description=(
        "What was wrong, in English (bad_request); for an application number not found, how to "
        "type it, in the language of Accept-Language (kk, ru, en; default en)."))
    parameter: str | None = Field(None, description="The parameter that was wrong (bad_request).")
    allowed: list[str] | None = Field(None, description=(
        "The values the parameter can take (bad_request for a value the publication does not hold, "
        "e.g. `district=Есил`)."))
    pattern: str | None = Field(None, description=(
        "How the publication's application numbers are written, e.g. `УО.YYYY.NNNNNN.N` (N: a "
        "digit); absent when they do not share one shape (not_found of an application number)."))


# --- applications ------------------------------------------------------------------------

class Ahead(Document):
    """Numbered applications ahead in the merged list of the segment, by privilege class
    (rule Q3: extraordinary first, then first-priority and general interleaved 1 : 3)."""

    extraordinary: Count
    first: Count
    none: Count


class Choice(Document):
    """A kindergarten the application asked for (format 1.1, `choices`), with its place in
    that kindergarten's own queue as the city published it; Kezek computes no such place."""

    rank: int = Field(ge=1, description="Order of preference: 1 = first choice.")
    kindergarten_id: str
    name_kk: str | None = Field(description="The kindergarten's name in Kazakh, as published.")
    name_ru: str | None = Field(description="The kindergarten's name in Russian, as published.")
    queue_number: int | None = Field(
        description="The application's place in this kindergarten's queue as published by the city "
                    "(`positions` with queue_id = kindergarten_id) on the latest day up to `as_of` of the "
                    "document; null when none was published.")
    as_of: Date | None = Field(description="The day that place was published; null with it.")


class StatusDetail(Document):
    """What the status means for the application: since when it holds and where (observed in
    its events), and until when under the ruleset in force (computed by rules)."""

    since: LocalDateTime | None = Field(description="Observed: when the application entered its status (the "
                                                    "first event of the run that keeps it there, else the "
                                                    "register's status_at); null when unknown.")
    event: EventName | None = Field(description="Observed: the event that put it there; null without events.")
    kindergarten_id: str | None = Field(description="The kindergarten of the referral or enrolment, or of the "
                                                    "bulletin a notification is for; null otherwise.")
    name_kk: str | None = Field(description="That kindergarten's name in Kazakh, as published.")
    name_ru: str | None = Field(description="That kindergarten's name in Russian, as published.")
    until: LocalDateTime | None = Field(
        description="Computed by rules: when the period of the status ends (exclusive; 00:00 is the end of the day "
                    "before) — notified: the window to answer (A2); referred: the referral's validity, with its "
                    "extension (A4); stop_list: the end of the stop-list, no offers until then (E3); inactive: the "
                    "last moment it may be restored (A2). Counted from the event that opened the status, the day of "
                    "the event not counted, in Kazakhstan's working days where the unit says so. Null for other "
                    "statuses, where the ruleset has no such rule, and where the region's rules are unknown.")
    rule: str | None = Field(description="The rule id the status rests on (E3 for stop_list, A8 for enrolled …).")
    ruleset: str | None = Field(description="The ruleset whose parameter gave `until`.")
    parameter: str | None = Field(description="That parameter (choice_window, referral_valid, extension_max, "
                                              "stop_list_duration, inactive_restorable).")
    value: int | None = Field(description="Its value in force.")
    unit: str | None = Field(description="Its unit (working_day, calendar_day, hour_of_day).")
    on_window_missed: str | None = Field(description="notified: what follows when the window passes unanswered "
                                                     "(stay_in_queue, stop_list, inactive); null otherwise.")
    annulments: Count = Field(description="Referrals of the application annulled so far (A4).")
    max_annulments: int | None = Field(description="After this many annulments the application is removed (A4); "
                                                   "given with a status that has a deadline, null otherwise and "
                                                   "where the rules are unknown.")


class Lookup(Document):
    """The `kezek lookup --json` document (interfaces.md), plus `ahead`."""

    # The engine may extend the document (interfaces.md: "extra fields are welcome"); pass
    # them on rather than fail. tests/test_api.py insists that each is declared here.
    model_config = ConfigDict(extra="allow")

    application_number: str
    as_of: Date = Field(description="End of this day.")
    region: str
    locality: str
    birth_year: BirthYear
    registered_at: LocalDateTime
    privilege: Privilege = Field(description="Privilege class at `as_of`.")
    status: Status = Field(description="Status at `as_of`.")
    in_queue: bool = Field(description="Whether the status holds a place in the queue (rule Q2).")
    queue_number: int | None = Field(description="Number in the segment's queue; null when not in the queue.")
    privileged_queue_number: int | None = Field(
        description="Number among the privileged of the segment, 0 when not privileged; null when not in the queue.")
    segment_size: int | None = Field(
        description="Numbered applications of the segment (region, locality, birth year); null when not in the queue.")
    ahead: Ahead | None = Field(None, description="Who stands ahead, by privilege class; null when not in the queue.")
    choices: list[Choice] = Field(description="The kindergartens the application asked for, first choice first; "
                                              "empty when the data publish no choices.")
    rules_unknown: bool = Field(False, description="No ruleset covers the application's region: Kezek numbers no "
                                                   "one there (queue_number is null); the places in `choices` are "
                                                   "the city's own.")
    status_detail: StatusDetail | None = Field(None, description="What the status means: since when, where, "
                                                                 "until when by the rules in force; null for a "
                                                                 "queued application (its number says it).")


class HistoryDay(Document):
    date: Date
    queue_number: int | None = Field(description="At the end of the day; null when not in the queue.")
    privileged_queue_number: int | None
    change: int = Field(description="queue_number minus the day before's (0 on the days it entered or left the queue).")
    causes: dict[str, int] = Field(
        description="The change split by cause; the values add up to `change`. An event name (registered, "
                    "enrolled, withdrawn, removed, aged_out, deactivated, reactivated, privilege_changed, "
                    "register_status …) counts the applications ahead that entered (+) or left (−) the queue "
                    "or their list; `interleaving` is the effect of rule Q3's interleaving of first-priority "
                    "and general applications; `own_privilege` the change on a day one's own privilege changed.")


class PublishedPlace(Document):
    """A place a city published for the application in one kindergarten's queue on one day."""

    date: Date
    kindergarten_id: str
    queue_id: str = Field(description="The queue (a kindergarten's, or kindergarten × group type × language).")
    queue_number: int = Field(ge=1, description="The place as published.")
    change: int | None = Field(description="Against the day before it was published in that queue; null the first time.")


class History(Document):
    """One application's numbers day by day (`kezek lookup NUMBER --history --json`)."""

    application_number: str
    observed_since: Date | None = Field(None, description="A series (lists published day after day): the day "
                                                           "of its first snapshot, where the history starts; "
                                                           "nothing before it was observed. Null for a status log.")
    days: list[HistoryDay] = Field(description="The days on which the number changed or the application "
                                                "entered or left the queue, oldest first; empty where the "
                                                "rules are unknown.")
    rules_unknown: bool = Field(False, description="No ruleset covers the application's region: no number is "
                                                   "computed (no `days`); `places` is what was observed.")
    places: list[PublishedPlace] = Field([], description="The places the city published for the application in "
                                                         "each kindergarten's own queue (format 1.1), every day it "
                                                         "published one, oldest first: observed, never computed.")


class Forecast(Document):
    """When the application's number is likely reached: a range, not a promise (engine/forecast.py;
    the method and its backtest are on the dashboard's About page)."""

    application_number: str
    as_of: Date = Field(description="The snapshot's date; the simulation starts the week after it.")
    waiting: bool = Field(description="Numbered and still waiting for an offer (queued or in the stop list); "
                                      "false: no forecast (not numbered, or a place is already offered).")
    history_weeks: int = Field(description="Whole weeks of allocation history in the data.")
    enough_history: bool = Field(description="At least the weeks a forecast needs; false: no dates.")
    horizon_years: int = Field(description="Dates beyond it are null: not within that many years.")
    waiting_ahead: int | None = Field(description="Applications ahead still waiting for an offer.")
    p10: Date | None = Field(description="10 % of the simulated futures reach the number by this Sunday.")
    p50: Date | None = Field(description="Half of them by this Sunday; null: not within the horizon.")
    p90: Date | None = Field(description="90 % by this Sunday; null: not within the horizon.")
    offers_next_year: int | None = Field(description="Expected offers in queue order in the segment over the "
                                                     "next 52 weeks (A1).")
    leavers_ahead_next_year: int | None = Field(description="Expected to leave from ahead by other ways over the "
                                                            "next 52 weeks (A3, A6, A9, Q5).")
    insertions_ahead_next_year: int | None = Field(description="Expected privileged applications slotted ahead "
                                                               "over the next 52 weeks (Q3; 0 for a privileged "
                                                               "application).")


# --- kindergartens -------------------------------------------------------------------------

class Kindergarten(Document):
    """One organisation of the public register, with the places it announced."""

    kindergarten_id: str
    name_kk: str | None
    name_ru: str | None
    region: str
    district: str | None
    locality: str
    address: str | None
    latitude: float | None
    longitude: float | None
    ownership: Ownership
    languages: Codes = Field(description="Language codes of instruction.")
    capacity: int | None
    phone: str | None
    website: str | None
    bulletins: Count = Field(description="Vacancy bulletins of this kindergarten in the snapshot.")
    seats: Count = Field(description="Places announced in those bulletins.")


class Group(Document):
    group_id: str
    name: str | None
    birth_year: BirthYear
    language: str
    capacity: Count
    enrolled: int | Literal["<5"] | None = Field(
        description="Children enrolled; \"<5\" in a group for special educational needs with fewer than 5 "
                    "(small counts single children out; engine/disclosure.py).")
    program: str | None


class Bulletin(Document):
    """A vacancy bulletin ("бюллетень свободных мест") and where its kindergarten is."""

    bulletin_id: str
    kindergarten_id: str
    announced_at: LocalDateTime
    birth_year: BirthYear
    language: str
    seats: Count
    group_id: str | None
    region: str | None
    district: str | None
    locality: str | None


class KindergartenDetail(Kindergarten):
    groups: list[Group] = Field(description="Its groups, youngest children first, then by language and group_id.")
    vacancies: list[Bulletin] = Field(description="Its vacancy bulletins, oldest first.")


class Page(Document):
    total: Count = Field(description="Items matching the filters, on every page.")
    limit: int
    offset: Count


class KindergartenPage(Page):
    items: list[Kindergarten]


class BulletinPage(Page):
    items: list[Bulletin]


# --- the queue --------------------------------------------------------------------------------

class QueueEntry(Document):
    """One line of the public queue list, as the portals show it."""

    queue_number: int
    application_number: str
    registered_at: LocalDateTime
    privilege: Privilege
    status: Status
    privileged_queue_number: Count


class QueuePage(Page):
    """A page of one segment's queue, in queue_number order; `total` is the segment size."""

    as_of: Date = Field(description="The day the queue describes (the snapshot's data).")
    region: str
    locality: str
    birth_year: BirthYear
    items: list[QueueEntry]


# --- statistics -------------------------------------------------------------------------------

class VacanciesByBirthYear(Document):
    birth_year: BirthYear
    seats: Count
    bulletins: Count
    kindergartens: Count


class QueueBySegment(Document):
    region: str
    locality: str
    birth_year: BirthYear
    segment_size: Count = Field(description="Numbered applications of the segment.")
    extraordinary: Count
    first: Count
    none: Count


# --- the audit -----------------------------------------------------------------------------

FindingType = Literal[FINDING_TYPES]


class Explanation(Document):
    """One sentence in each language of the dashboard."""

    kk: str
    ru: str
    en: str


class Finding(Document):
    """One offer or referral that broke a rule, as the published record shows it
    (queue-rules.md, F). Evidence never holds a birth date: ages are in full years."""

    finding_id: int = Field(description="Stable within a snapshot: findings in time order, then by type.")
    type: FindingType
    rule: str = Field(description="The rule id it tests (queue-rules.md), e.g. A1.")
    application_number: str | None
    bulletin_id: str | None
    kindergarten_id: str | None = Field(description="The kindergarten concerned: its own, else its bulletin's.")
    kindergarten_name_kk: str | None
    kindergarten_name_ru: str | None
    region: str | None = Field(description="The kindergarten's region, else the application's.")
    district: str | None = Field(description="The kindergarten's district.")
    at: LocalDateTime = Field(description="The instant of the breach (for a deadline: the deadline).")
    month: str = Field(description="YYYY-MM of `at`.")
    evidence: dict = Field(description="What the replay found, by finding type (e.g. the applications passed over with their numbers).")
    explanation: Explanation


class FindingPage(Page):
    items: list[Finding]


class Legitimate(Document):
    """A referral out of queue order by design (rule A9): listed, never flagged."""

    at: LocalDateTime
    channel: Literal[tuple(LEGITIMATE_CHANNELS)]
    rule: str
    application_number: str
    bulletin_id: str | None
    kindergarten_id: str | None
    kindergarten_name_kk: str | None
    kindergarten_name_ru: str | None
    region: str | None
    district: str | None
    explanation: Explanation


class FindingSummary(Document):
    """Findings per type (every type, zeros included), per month, and the legitimate
    out-of-order referrals per channel, under the same filters."""

    findings: Count
    by_type: dict[str, Count]
    by_month: dict[str, Count]
    legitimate: dict[str, Count] = Field(description="Referrals out of queue order by design, per channel (A9).")
    position_offsets: dict[str, Count] = Field(
        description="Published minus recomputed queue number → applications, when the data carry published numbers.")


WEEK = RESOURCES["segment_movement"].meaning


class SegmentWeek(Document):
    """One queue's week (named by its Monday; the last ends with the snapshot's day)."""

    # The meanings are those of the open-data table `segment_movement` (engine/resources.py).
    region: str
    locality: str
    birth_year: BirthYear
    week: Date = Field(description=WEEK("week"))
    queue_length: Count = Field(description=WEEK("queue_length"))
    new_applications: Count = Field(description=WEEK("new_applications"))
    privileged_insertions: Count = Field(description=WEEK("privileged_insertions"))
    notifications: Count = Field(description=WEEK("notifications"))
    referrals_priority: Count = Field(description=WEEK("referrals_priority"))
    referrals_free_choice: Count = Field(description=WEEK("referrals_free_choice"))
    referrals_staff_child: Count = Field(description=WEEK("referrals_staff_child"))
    referrals_private_state_order: Count = Field(description=WEEK("referrals_private_state_order"))
    enrolments: Count = Field(description=WEEK("enrolments"))
    departures: Count = Field(description=WEEK("departures"))
    front_registered_at: LocalDateTime | None = Field(description=WEEK("front_registered_at"))


class SegmentWeekPage(Page):
    items: list[SegmentWeek]


# --- query parameters ---------------------------------------------------------------------

class Parameters(BaseModel):
    """Query parameters; an unknown parameter is an error, an empty text one is absent."""

    model_config = ConfigDict(extra="forbid")

    def days(self) -> Iterator[tuple[str, dt.date]]:
        """(parameter, day) of every day the parameters name: none may be after the
        snapshot's date (engine.lookup.within_the_data)."""
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if isinstance(value, dt.date):
                yield field.alias or name, value


class Paging(Parameters):
    limit: Whole = Field(100, ge=1, le=1000, description="Items per page.")
    offset: Whole = Field(0, ge=0, le=2**62, description="Items to skip.")


class Tabular(Parameters):
    """A list route's answer as JSON or as CSV (dashboard/api/tabular.py)."""

    format: Literal["json", "csv"] = Field("json", description=(
        "`csv`: the items as CSV (UTF-8, comma, a header row of the JSON field names, codes as in JSON; a "
        "list joined by `|`, an object as JSON text), paged by `limit` and `offset` as the JSON."))

    def filters(self) -> dict:
        """The parameters that choose the rows (all but `format`)."""
        return self.model_dump(exclude={"format"})


class ApplicationParameters(Parameters):
    as_of: Date | None = Field(None, description="End of this day (YYYY-MM-DD); default: the snapshot's date, "
                                                 "which it may not be after.")


class HistoryParameters(Parameters):
    from_: Date | None = Field(None, alias="from", description="First day (default: the day of registration); "
                                                               "not after `to` nor the snapshot's date.")
    to: Date | None = Field(None, description="Last day (default: the snapshot's date, which it may not be after).")


class ForecastParameters(Parameters):
    pass


class KindergartenParameters(Tabular, Paging):
    q: Text = Field(None, description="Part of the Kazakh or Russian name, any case.")
    region: Text = None
    district: Text = None
    locality: Text = None
    language: Text = Field(None, description="A language code of instruction, e.g. kk.")
    ownership: Text = Field(None, description="state, private_state_order, private or mini_centre.")
    has_vacancies: bool | None = Field(None, description="Only those with (true) or without (false) vacancy bulletins.")


class VacancyParameters(Tabular, Paging):
    region: Text = Field(None, description="Region of the kindergarten.")
    birth_year: BirthYear | None = None
    district: Text = Field(None, description="District of the kindergarten.")
    language: Text = Field(None, description="Language code of instruction of the places.")
    kindergarten_id: Text = None
    from_: Date | None = Field(None, alias="from", description="Announced on or after this day; not after `to` "
                                                               "nor the snapshot's date.")
    to: Date | None = Field(None, description="Announced on or before this day; not after the snapshot's date.")


class QueueParameters(Tabular, Paging):
    region: Text = Field(None, description="Region of the segment; required unless `number` is given.")
    locality: Text = Field(None, description="Locality of the segment; default: the region.")
    birth_year: BirthYear | None = Field(None, description="Birth year of the segment; required unless `number` is given.")
    number: ApplicationNumber | None = Field(
        None, description="An application number, typed any way: its segment, and the page that holds it.")


class BulletinParameters(Tabular):
    region: Text = Field(None, description="Region of the kindergarten.")
    district: Text = Field(None, description="District of the kindergarten.")
    language: Text = Field(None, description="Language code of instruction of the places.")


class SegmentParameters(Tabular):
    region: Text = None
    locality: Text = None
    birth_year: BirthYear | None = None


Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="YYYY-MM.")]


class FindingFilters(Parameters):
    type: FindingType | None = None
    rule: Text = Field(None, max_length=8, description="A rule id, e.g. A1.")
    region: Text = Field(None, description="Region of the kindergarten, else of the application.")
    district: Text = Field(None, description="District of the kindergarten.")
    kindergarten_id: Text = None
    month: Month | None = Field(None, description="Only findings of this month (YYYY-MM); not after the snapshot's "
                                                  "month.")
    application_number: ApplicationNumber | None = Field(None, description="One application, typed any way.")

    def days(self) -> Iterator[tuple[str, dt.date]]:
        yield from super().days()
        year, month = map(int, self.month.split("-")) if self.month is not None else (0, 0)
        if year >= 1:  # a month that begins after the snapshot's date is all beyond the data (and 0000-…, before)
            yield "month", dt.date(year, month, 1)


class FindingParameters(FindingFilters, Tabular, Paging):
    pass


class SegmentWeekParameters(Tabular, Paging):
    region: Text = None
    locality: Text = None
    birth_year: BirthYear | None = None
    from_: Date | None = Field(None, alias="from", description="Weeks from the one holding this day; not after `to` "
                                                               "nor the snapshot's date.")
    to: Date | None = Field(None, description="Weeks up to the one holding this day; not after the snapshot's date.")


class NoParameters(Parameters):
    pass


class NumberPath(BaseModel):
    number: ApplicationNumberInPath = Field(
        description="Application number, typed any way (case, spaces, Latin look-alikes); a number holding a "
                    "`/` cannot be given in the path.")


class KindergartenPath(BaseModel):
    kindergarten_id: str


class FindingPath(BaseModel):
    finding_id: Whole = Field(ge=1, le=2**31 - 1)


# --- districts over time (the Districts page; engine/district_months.py) ----------------------

class DistrictMonth(Document):
    """One district's month: what its kindergartens announced, received and were found to do."""

    region: str
    locality: str
    district: str = Field(description="District of the kindergartens (`kindergartens.district`); empty where the "
                                      "register names none.")
    month: Month
    places: Count = Field(description="Places announced that month in the bulletins of the district's kindergartens "
                                      "(published).")
    bulletins: Count = Field(description="Those bulletins.")
    referrals: Count = Field(description="Referrals issued to the district's kindergartens that month, every channel "
                                         "(observed).")
    findings: Count | None = Field(description="The audit's findings about the district's kindergartens that month "
                                               "(computed by rules); null where no ruleset covers the region then.")


class SettlementMonth(Document):
    """One settlement's queue against the places announced in a month (the queue is kept per
    settlement and birth year, rule Q1; not per district)."""

    region: str
    locality: str
    month: Month
    waiting: Count = Field(description="Applications numbered (Q2) at the start of the month (computed from the "
                                       "status history).")
    places: Count = Field(description="Places announced that month by the settlement's kindergartens (published).")
    bulletins: Count = Field(description="Those bulletins.")
    waiting_per_place: float | None = Field(description="waiting ÷ places, to one decimal; null in a month without "
                                                        "places.")


Months = Annotated[int, Field(ge=1, le=1200), BeforeValidator(_whole)]


class DistrictMonthParameters(Parameters):
    region: Text = Field(None, description="Region of the kindergartens and applications.")
    locality: Text = Field(None, description="Settlement (default of a kindergarten or application: its region).")
    months: Months | None = Field(None, description="The last this many months up to the snapshot's date; default: "
                                                    "every month since the first bulletin or referral.")


class DistrictMonthFilters(DistrictMonthParameters):
    district: Text = Field(None, description="District of the kindergartens.")
