"""Kazakhstan's working days, from the maintained `holidays` calendar.

Working days exclude Saturdays, Sundays and the public holidays of Kazakhstan including
moved days off, and include the Saturdays that were declared working days (`holidays`
knows both; queue-rules.md: "use a maintained holiday calendar, not a hand-written list").

Two faces of one calendar:

- `WorkCalendar`: vectorised numpy look-ups (the demo generator counts in int64 days and
  seconds since 1970-01-01, local wall-clock time, no zone);
- `create_calendar(con, first, last)`: DuckDB tables for set-based SQL. `calendar` has
  one row per day with `wd_index`, the number of working days up to and including that
  day; `working_days` maps each index back to its working day. "The n-th working day
  after day d" is then a join, `working_days.wd_index = calendar.wd_index + n`, never a
  loop per row.

    >>> import datetime as dt
    >>> cal = WorkCalendar(2024, 2024)
    >>> from_day(int(cal.after(to_day(dt.date(2024, 3, 20)), 1)))  # Nowruz 21-25 March
    datetime.date(2024, 3, 26)
"""

from __future__ import annotations

import datetime as dt
from itertools import accumulate

import holidays

DAY = 86_400
HOUR = 3_600
EPOCH = dt.date(1970, 1, 1)


def to_day(value: dt.date) -> int:
    return (value - EPOCH).days


def from_day(value: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(value))


def to_seconds(value: dt.datetime) -> int:
    return (value.date() - EPOCH).days * DAY + value.hour * HOUR + value.minute * 60 + value.second


def working_flags(first: dt.date, last: dt.date) -> list[bool]:
    """One flag per calendar day of [first, last]: is it a working day in Kazakhstan?"""
    kz = holidays.country_holidays("KZ", years=range(first.year, last.year + 1))
    n = (last - first).days + 1
    # One look-up per calendar day (a few thousand), not per application or event.
    return [kz.is_working_day(first + dt.timedelta(days=i)) for i in range(n)]


class WorkCalendar:
    """Vectorised working-day arithmetic over [first_year, last_year]. numpy is imported by
    its methods, not by the module: an update's calendar (create_calendar) does without it."""

    def __init__(self, first_year: int, last_year: int):
        import numpy as np

        start = dt.date(first_year, 1, 1)
        flags = working_flags(start, dt.date(last_year, 12, 31))
        self.first = to_day(start)
        self.last = self.first + len(flags) - 1
        self.days = np.flatnonzero(flags).astype(np.int64) + self.first

    def after(self, day, n):
        """The n-th working day strictly after `day` (n >= 1); arrays broadcast."""
        import numpy as np

        pos = np.searchsorted(self.days, day, side="right") + (np.asarray(n) - 1)
        return self.days[pos]

    def on_or_after(self, day):
        """`day` itself when it is a working day, else the next working day."""
        import numpy as np

        return self.days[np.searchsorted(self.days, day, side="left")]

    def is_working(self, day):
        import numpy as np

        pos = np.minimum(np.searchsorted(self.days, day, side="left"), len(self.days) - 1)
        return self.days[pos] == day


def create_calendar(con, first: dt.date, last: dt.date, schema: str = "main") -> None:
    """Tables `{schema}.calendar(day, working, wd_index)` and `{schema}.working_days(wd_index, day)`
    covering [first, last]."""
    flags = working_flags(first, last)
    # Plain lists, not an Arrow table: building Arrow arrays imports pandas, which costs an
    # update more time than the rest of the calendar (and numpy, which it does without).
    con.execute(
        f"CREATE OR REPLACE TABLE {schema}.calendar AS "
        "SELECT CAST($first AS DATE) + CAST(i AS INTEGER) AS day, working, CAST(wd_index AS BIGINT) AS wd_index "
        "FROM (SELECT unnest(range(len($working))) AS i, unnest($working) AS working, unnest($wd_index) AS wd_index) "
        "ORDER BY day",
        {"first": first, "working": flags, "wd_index": list(accumulate(map(int, flags)))},
    )
    con.execute(
        f"CREATE OR REPLACE TABLE {schema}.working_days AS "
        f"SELECT wd_index, day FROM {schema}.calendar WHERE working ORDER BY wd_index"
    )
