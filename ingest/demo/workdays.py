"""Kazakhstan's working days, from the maintained `holidays` calendar, as numpy lookups.

Times in the generator are int64 seconds since 1970-01-01 in local wall-clock time (no
zone), days are int64 days since 1970-01-01. Working days exclude Saturdays, Sundays and
the public holidays of Kazakhstan including moved days off, and include the Saturdays
that were declared working days (`holidays` knows both).
"""

from __future__ import annotations

import datetime as dt

import holidays
import numpy as np

DAY = 86_400
HOUR = 3_600
EPOCH = dt.date(1970, 1, 1)


def to_day(value: dt.date) -> int:
    return (value - EPOCH).days


def to_seconds(value: dt.datetime) -> int:
    return (value.date() - EPOCH).days * DAY + value.hour * HOUR + value.minute * 60 + value.second


class WorkCalendar:
    """Vectorised working-day arithmetic over [first_year, last_year]."""

    def __init__(self, first_year: int, last_year: int):
        kz = holidays.country_holidays("KZ", years=range(first_year, last_year + 1))
        start = dt.date(first_year, 1, 1)
        n = (dt.date(last_year + 1, 1, 1) - start).days
        # One look-up per calendar day (a few thousand), not per application or event.
        flags = np.fromiter((kz.is_working_day(start + dt.timedelta(days=i)) for i in range(n)), bool, n)
        self.first = to_day(start)
        self.last = self.first + n - 1
        self.days = np.flatnonzero(flags).astype(np.int64) + self.first

    def after(self, day, n):
        """The n-th working day strictly after `day` (n >= 1); arrays broadcast."""
        pos = np.searchsorted(self.days, day, side="right") + (np.asarray(n) - 1)
        return self.days[pos]

    def on_or_after(self, day):
        """`day` itself when it is a working day, else the next working day."""
        return self.days[np.searchsorted(self.days, day, side="left")]

    def is_working(self, day):
        pos = np.minimum(np.searchsorted(self.days, day, side="left"), len(self.days) - 1)
        return self.days[pos] == day
