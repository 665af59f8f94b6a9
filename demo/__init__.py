"""Synthetic demo data in the Kezek open-data format (`kezek update --source demo:PRESET`).

    from demo import generate, PRESETS
    ds = generate("astana-2017")          # seed None: the preset's fixed default seed
    ds.tables    # {"kindergartens", "groups", "vacancies", "applications", "events", "positions"}: pyarrow
    ds.metadata  # dataset.json: title, publisher, region, exported_at, timezone, ruleset, license
    ds.ground_truth  # the violations planted on purpose: type, application_number, bulletin_id
    ds.write("out/", "parquet")           # or "csv": a dataset folder

The data are invented; no row describes a real child or a real kindergarten. What is real
is the shape: the figures below come from the project's reference facts (facts.md) and seeds,
and every event obeys the queue rules of queue-rules.md (Q1-Q5, E1-E3, A1-A6) so that an
audit of the base data finds nothing — violations are only ever planted on purpose: each
preset plants `Preset.plant` (2) of every type of finding of queue-rules.md F, seeded, and
lists them in `DemoDataset.ground_truth` (demo/planting.py). `positions` holds the
queue lists of two segments as a portal would publish them on two days, a few numbers
among them planted wrong.

Tables use the canonical column names, order and types of `engine.schema` (strings,
int64, float64, date32, timestamp[s] in naive local time; enums and lists as strings).
The same preset and seed give identical tables (numpy `default_rng(seed)`, no wall clock).

Presets
-------
`astana-2017` (ruleset `astana-2017`; export 2017-06-05 08:00; events from 2016-06-05)
    One segment per birth year, region = locality = Астана, districts Алматы, Байқоңыр,
    Есіл, Сарыарқа. 263 organisations as counted by informburo.kz (early 2017): 96 state +
    2 departmental (ownership `state`), 116 private (96 `private_state_order`, 20
    `private`), 49 `mini_centre`. Vacancy bulletins for state kindergartens add up exactly
    to the places of seed 000 (Sputnik, 28.03.2017; total confirmed by matritca.kz
    05.06.2017): 2015 -> 1 240, 2014 -> 2 233, 2013 -> 1 340, 2012 -> 1 111, 2011 -> 386
    (6 310), first announced on 10, 12, 18, 21 and 25 April 2017, the rest of a birth year
    within 3 working days, at 09:00-12:00, 1-30 seats each, kk or ru. About 33 000
    applications numbered at the export ("over 33 000 waiting", informburo.kz /
    matritca.kz), about 90 registrations a day in the last year (informburo.kz), 2 %
    extraordinary (military, special state bodies), 8 % first priority (disabled parent,
    orphan, no parental care, large family, special needs) — bilim.astana.kz FAQ 49434.
    Rules (seed 000): 15 working days to choose, referral valid 5 working days, a missed
    window leaves the application in the queue, places not taken go to free choice;
    automatic referrals to private kindergartens with state order from 05.01.2017 (seed
    000) from age 3, mini-centres from 4.
`almaty` (ruleset `almaty-2018`; export 2019-01-25; events from 2018-01-25)
    The unified city queue started 25.01.2018 (seed 004, Tengrinews 17.01.2018). About
    850 organisations in 8 districts (Алатау, Алмалы, Әуезов, Бостандық, Жетісу, Медеу,
    Наурызбай, Түрксіб), split like the ~2020 figures (189 state, 399 private, 236
    mini-centres of 824). About 50 000 numbered at the export (64 315 waiting in January
    2018, 49 131 in 2023). Placement in waves by birth year (inva.kz 20.05.2019): 60 % of
    the places in June-August, the rest through the year. 3 working days to choose, a
    missed window leaves the application in the queue (seed 003, the national portal's
    instructions of the time).
`national` (ruleset `kz-2020`; export 2024-06-01; events from 2023-06-01)
    About 1 000 000 applications and 10 000 organisations (7 880 kindergartens in 2023,
    kazaknews.kz, plus mini-centres) in Astana, Almaty, Shymkent and the 17 oblasts (1-4
    localities each, 61 in all), weights roughly by population; about 25 000 bulletins
    (55 % in July-August, before the school year). The choice window is the same day until
    20:00 (seed 002, national instructions); children are placed until 6 (Rules No. 254):
    ruleset `kz-2020` (the 2024 voucher rules, `kz-2024`, are not simulated).
    Allocation is exact per bulletin, as for the other presets.

Allocation model (all presets): when a bulletin of n seats for a state kindergarten is
announced at t, the first n eligible applications of its segment (region, locality, birth
year) in Q3 order at t are notified (`notified`, bulletin and kindergarten set); eligible
means status `queued`, language equal to the bulletin's or empty, at least 2 full years
old and younger than `max_age` on that day. A notified applicant takes the place in the
window (`referral_issued`, channel `priority`) or the window is missed
(`referral_cancelled`, reason `window_missed`, at the window's close: back to `queued`).
The seats not taken are given the working day after the window closed (channel
`free_choice`, and a few `staff_child`) to random eligible applications. A referral is
followed by `privilege_confirmed` within 3 working days when the holder is privileged,
then `enrolled` within 4 working days; a few expire (`referral_annulled`, reason
`expired`, -> stop-list, `stop_list_ended` at the midnight after 10 working days), a few
privileged ones are not confirmed (A5: annulled, `privilege_changed` to none), a few are
cancelled by the parent within a day. Nobody is annulled twice. Referrals to private
kindergartens with state order (channel `private_state_order`, no bulletin) go to queued
applications aged 3 (mini-centres 4). Withdrawals, removals and privilege changes happen
at random; children still in the queue on their `max_age` birthday get `aged_out` at
00:00:01. Working days come from `holidays.country_holidays("KZ")`.

The rule values (windows, validity, stop-list, ages, the Q3 ratio) are not the demo's own:
they are the engine ruleset the preset names (`engine/rulesets/*.toml`, read by
demo/ruleset_values.py, which refuses a ruleset the simulation does not obey).

Modules, one concept each: presets.py (places, sizes, dates), rules.py (the engine's rule
values), simulation.py (the steps in order), kindergartens.py (organisations), timeline.py
(applications registering, privilege changes, withdrawals, removals, private places,
ageing out), event_log.py (each application's log of events), referrals.py (what follows
a notification or a referral), allocation.py (bulletins and who gets their places),
planting.py (the violations planted on purpose), tables.py (the tables of the format),
codes.py (integer codes of the schema's enumerations), names.py (word lists).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from demo.presets import PRESETS, Preset

__all__ = ["PRESETS", "DemoDataset", "Preset", "generate"]

TIMEZONE = "Asia/Almaty"
LICENSE = "CC0-1.0"
PUBLISHER = "Kezek demo generator (synthetic data, not an official publication)"


@dataclass(frozen=True)
class DemoDataset:
    preset: str
    seed: int
    tables: dict[str, pa.Table]
    metadata: dict = field(default_factory=dict)
    # The violations planted on purpose (demo.planting): the findings an audit must
    # report, as (type, application_number, bulletin_id). Not part of the dataset.
    ground_truth: pa.Table | None = None

    def write(self, folder: str | Path, fmt: str = "parquet") -> Path:
        """Write the dataset as a folder in the open-data format (parquet or csv)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, tbl in self.tables.items():
            if fmt == "parquet":
                import pyarrow.parquet as pq

                pq.write_table(tbl, folder / f"{name}.parquet")
            elif fmt == "csv":
                import pyarrow.csv as pcsv

                pcsv.write_csv(tbl, folder / f"{name}.csv")
            else:
                raise ValueError(f"unknown format {fmt!r}: expected parquet or csv")
        (folder / "dataset.json").write_text(json.dumps(self.metadata, ensure_ascii=False, indent=2), encoding="utf-8")
        return folder


def generate(preset: str, seed: int | None = None) -> DemoDataset:
    """Generate the named preset; `seed` None uses the preset's fixed default seed."""
    from demo.simulation import Simulation

    try:
        spec = PRESETS[preset]
    except KeyError:
        raise ValueError(f"unknown demo preset {preset!r}; expected one of: {', '.join(PRESETS)}") from None
    seed = spec.seed if seed is None else int(seed)
    simulation = Simulation(spec, seed)
    tables = simulation.build()
    metadata = {
        "title": spec.title if seed == spec.seed else f"{spec.title}, seed {seed}",
        "publisher": PUBLISHER,
        "region": spec.region,
        "exported_at": spec.exported_at,
        "timezone": TIMEZONE,
        "ruleset": spec.ruleset,
        "license": LICENSE,
    }
    return DemoDataset(preset, seed, tables, metadata, simulation.ground_truth)
