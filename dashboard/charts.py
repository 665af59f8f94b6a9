"""The axis conventions every chart of the dashboard follows, in one place.

- A count (children, places, findings, a queue number) is a whole number: its axis never
  shows `0 1 1 2 2 3` (Plotly's steps of 0.5, rounded by the whole-number format), so a short
  axis gets a tick for every whole number and a long one Plotly's own whole steps.
- A time axis of a few dates (a two-day history, three weeks) gets one tick per date, written
  as the language writes dates; a long one Plotly's ticks in that same format.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from i18n import date, date_pattern

SHORT_COUNT = 10  # at most this many whole numbers on an axis: a tick for each
FEW_DATES = 12  # at most this many dates: a tick for each, none in between


def count_axis(fig, values: Iterable[float], axis: str = "y", *, from_zero: bool = True):
    """Whole-number ticks on the count axis `axis` ("x" or "y") of the values drawn (for
    stacked bars: the stacks' heights); `from_zero`: the axis starts at 0."""
    numbers = pd.Series(list(values), dtype="float64").dropna()
    low = min(numbers.min(), 0) if from_zero and not numbers.empty else (numbers.min() if not numbers.empty else 0)
    high = numbers.max() if not numbers.empty else 0
    settings = {"tickformat": ",d", "rangemode": "tozero" if from_zero else "normal"}
    if high - low <= SHORT_COUNT:
        settings |= {"tick0": 0, "dtick": 1}
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(**settings)
    return fig


def date_axis(fig, days: Iterable[object], lang: str, axis: str = "x"):
    """Dates on `axis` as the language writes them; one tick per date when there are few."""
    found = pd.to_datetime(pd.Series(list(days))).dropna().drop_duplicates().sort_values()
    settings: dict = {"tickformat": date_pattern(lang)}
    if 0 < len(found) <= FEW_DATES:
        settings |= {"tickmode": "array", "tickvals": [d.isoformat() for d in found],
                     "ticktext": [date(d.date(), lang) for d in found]}
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(**settings)
    return fig
