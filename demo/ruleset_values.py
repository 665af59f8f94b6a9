"""The queue rules the simulation obeys: the engine's ruleset that the preset names.

The demo keeps no rule values of its own. A preset names one of `engine/rulesets/*.toml`;
its values at the export are what the simulation counts in (and what `dataset.json`
names, so the audit replays the data under the very rules they were made with).

The simulation covers a part of the rules only. A ruleset asking for something it does
not do is refused here rather than simulated wrongly: a missed window that does more than
leave the application in the queue, a yearly confirmation of interest, windows counted in
other units, values that change during the simulated year, a first-priority/general
cycle that does not start with first-priority, and deadlines shorter than the fixed delays
the simulation uses (a parent cancels within 21 hours, a privilege is confirmed within 3
working days).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine import ruleset

# The simulation's fixed delays that the rules must leave room for.
LONGEST_CANCELLATION_HOURS = 21  # a parent cancels a referral 0.5-20.5 hours after it
LONGEST_PRIVILEGE_CONFIRMATION_WORKING_DAYS = 3  # confirmed 1-3 working days after the referral

# Parameters of the rules the simulation does not simulate: they must be absent.
NOT_SIMULATED = ("interest_deadline", "inactive_restorable")


class UnsimulatedRule(ValueError):
    """The ruleset asks for something the simulation does not do."""


@dataclass(frozen=True)
class Rules:
    """Rule values in the units the simulation counts in (queue-rules.md ids in comments)."""

    name: str
    choice_window_working_days: int | None  # A2; None: the same day, until choice_closes_at_hour
    choice_closes_at_hour: int | None  # A2 when the window is the same day
    referral_valid_working_days: int  # A4
    stop_list_working_days: int  # A4
    max_annulments: int  # A4
    privilege_confirm_calendar_days: int  # A5
    min_age_state: int  # E2
    min_age_private_state_order: int  # E2, A6
    min_age_mini_centre: int  # E2, A6
    max_age: int  # E2
    ratio_first: int  # Q3: first-priority applications per cycle ...
    ratio_general: int  # ... then general ones


def read_rules(name: str, year_start: dt.datetime, export: dt.datetime) -> Rules:
    """The values of engine ruleset `name` for a simulation of `year_start`..`export`."""
    rules = ruleset.get(name)

    def value(parameter: str, *units: str):
        at_export = rules.value(parameter, export)
        if rules.value(parameter, year_start) != at_export:
            raise UnsimulatedRule(f"ruleset {name}: {parameter} changes during the simulated year")
        if units and at_export.unit not in units:
            raise UnsimulatedRule(f"ruleset {name}: {parameter} in {at_export.unit}, the simulation counts in "
                                  f"{' or '.join(units)}")
        return at_export.value

    window = rules.value("choice_window", export)
    value("choice_window", "working_day", "hour_of_day")
    if value("on_window_missed") != "stay_in_queue":
        raise UnsimulatedRule(f"ruleset {name}: only a missed window that leaves the application in the queue "
                              "is simulated")
    for parameter in NOT_SIMULATED:
        if value(parameter) != ruleset.NONE:
            raise UnsimulatedRule(f"ruleset {name}: {parameter} is not simulated")
    if value("pattern_starts_with") != "first":
        raise UnsimulatedRule(f"ruleset {name}: the simulated Q3 cycle starts with first-priority")
    if value("cancel_window", "calendar_day") * 24 < LONGEST_CANCELLATION_HOURS:
        raise UnsimulatedRule(f"ruleset {name}: cancel_window shorter than the simulated cancellations")
    if value("privilege_confirm_working", "working_day") < LONGEST_PRIVILEGE_CONFIRMATION_WORKING_DAYS:
        raise UnsimulatedRule(f"ruleset {name}: privilege_confirm_working shorter than the simulated confirmations")
    same_day = window.unit == "hour_of_day"
    return Rules(
        name=name,
        choice_window_working_days=None if same_day else window.value,
        choice_closes_at_hour=window.value if same_day else None,
        referral_valid_working_days=value("referral_valid", "working_day"),
        stop_list_working_days=value("stop_list_duration", "working_day"),
        max_annulments=value("max_annulments", "annulment"),
        privilege_confirm_calendar_days=value("privilege_confirm_calendar", "calendar_day"),
        min_age_state=value("min_age_state", "year"),
        min_age_private_state_order=value("min_age_private_state_order", "year"),
        min_age_mini_centre=value("min_age_mini_centre", "year"),
        max_age=value("max_age", "year"),
        ratio_first=value("ratio_first", "application"),
        ratio_general=value("ratio_general", "application"),
    )
