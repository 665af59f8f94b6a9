"""The simulation behind `demo.generate`: `Simulation.build` runs its steps in order.

Everything is numpy over whole populations; the only Python loop that touches the queue
runs over allocation actions (one per vacancy bulletin and one free-choice round per
bulletin), and each of its iterations is vectorised over the bulletin's segment.

Every application carries a small time-ordered log ("timeline") of its events in fixed
width arrays. The state of a segment at an instant is read from those logs exactly as
open-data-format.md defines it, so the allocation sees what an auditor replaying the
published events will see. Background events that do not depend on the queue
(registrations, privilege changes, withdrawals, removals, places in private kindergartens
with state order, ageing out) are written first; an allocation that later involves an
application cuts its log at that instant, so nothing scheduled behind it can contradict it.

Instants: bulletin announcements have even seconds, every other event has odd seconds,
and announcements of one segment are distinct, so at the instant of a bulletin nothing
else happens in its segment except that bulletin's own notifications.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.workdays import HOUR, WorkCalendar, to_day, to_seconds
from demo.allocation import Allocation
from demo.event_log import EventLogs
from demo.organisations import Kindergartens
from demo.planting import Planting
from demo.presets import Preset
from demo.referrals import Referrals
from demo.ruleset_values import read_rules
from demo.tables import Tables
from demo.timeline import Timeline


class Simulation(Kindergartens, Timeline, EventLogs, Referrals, Allocation, Planting, Tables):
    """One preset and seed: the steps of `build`, each in the module of its concept."""

    def __init__(self, preset: Preset, seed: int):
        self.preset = preset
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        export = dt.datetime.fromisoformat(preset.exported_at)
        self.export = export
        self.export_at = to_seconds(export)
        self.export_day = to_day(export.date())
        start = export.replace(year=export.year - 1)
        self.rules = read_rules(preset.ruleset, start, export)
        self.year_start = to_seconds(start)
        self.year_start_day = to_day(start.date())
        first_year = min(preset.cohorts) - 1
        self.calendar = WorkCalendar(first_year, export.year + 1)
        self.localities = preset.localities
        w = np.array([loc.weight for loc in self.localities], float)
        self.locality_weights = w / w.sum()

    # ------------------------------------------------------------------ helpers
    def time_of_day(self, m, h0, h1):
        return self.rng.integers(int(h0 * HOUR), int(h1 * HOUR), m)

    def birthday(self, k):
        """Epoch day of each application's k-th birthday (no 29 February births)."""
        years = (self.birth_year + k - 1970).astype("datetime64[Y]")
        return ((years.astype("datetime64[M]") + (self.birth_month - 1)).astype("datetime64[D]") + (self.birth_day - 1)).astype(np.int64)

    def build(self):
        self.kindergartens()
        prefix = {"astana-2017": "AST-", "almaty": "ALA-", "national": "KZ-"}.get(self.preset.name, "KG-")
        self.kg_id = pc.binary_join_element_wise(
            prefix, pc.utf8_lpad(pc.cast(pa.array(np.arange(1, self.n_kindergartens + 1)), pa.string()), 5, "0"), "")
        self.applications()
        self.background()
        self.bulletins()
        self.allocate()
        return self.tables()
