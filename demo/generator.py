"""The simulation behind `demo.generate`.

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

from engine.schema import (
    CHANNEL,
    EVENT,
    EVENT_STATUS,
    NUMBERED_STATUSES,
    OWNERSHIP,
    PRIVILEGE,
    PRIVILEGE_CATEGORY,
    STATUS,
    TABLES,
)
from demo import names
from demo.planting import FREE_TYPES, PRIORITY_TYPES, Plan
from demo.presets import Preset
from demo.rules import read_rules
from engine.workdays import DAY, HOUR, WorkCalendar, to_day, to_seconds

NEVER = np.iinfo(np.int64).max

# Codes (indices into the schema's own tuples; nothing here re-declares an enum).
EVENT_CODE = {e: np.int8(i) for i, e in enumerate(EVENT)}
STATUS_CODE = {s: np.int8(i) for i, s in enumerate(STATUS)}
PRIVILEGE_CODE = {p: np.int8(i) for i, p in enumerate(PRIVILEGE)}
CATEGORY_CODE = {c: np.int8(i) for i, c in enumerate(PRIVILEGE_CATEGORY)}
CHANNEL_CODE = {c: np.int8(i) for i, c in enumerate(CHANNEL)}
OWNERSHIP_CODE = {o: np.int8(i) for i, o in enumerate(OWNERSHIP)}
STATUS_SET_BY_EVENT = np.array([STATUS_CODE[EVENT_STATUS[e]] if e in EVENT_STATUS else -1 for e in EVENT], np.int8)
IS_NUMBERED = np.zeros(len(STATUS) + 1, bool)  # indexed by status code + 1 (code -1: not yet registered)
IS_NUMBERED[[STATUS_CODE[s] + 1 for s in NUMBERED_STATUSES]] = True
QUEUED = STATUS_CODE["queued"]
NO_PRIVILEGE, FIRST_PRIORITY, EXTRAORDINARY = PRIVILEGE_CODE["none"], PRIVILEGE_CODE["first"], PRIVILEGE_CODE["extraordinary"]
REASONS = (
    "window_missed",  # A2: the priority window closed without a choice (stays in the queue)
    "cancelled_by_parent",  # A4: cancelled within the cancel window, no penalty
    "expired",  # A4: not used within its validity
    "privilege_not_confirmed",  # A5
    "by_parent",  # withdrawn on the parent's request
    "duplicate",
    "moved_away",
    "documents_invalid",
)
REASON_CODE = {r: np.int8(i) for i, r in enumerate(REASONS)}
LANGUAGES = ("kk", "ru")
EXTRAORDINARY_CATEGORIES = np.array([CATEGORY_CODE["military"], CATEGORY_CODE["special_state_body"]], np.int8)
EXTRAORDINARY_SHARES = np.array([0.7, 0.3])
FIRST_PRIORITY_CATEGORIES = np.array([CATEGORY_CODE[c] for c in ("large_family", "disabled_parent", "special_needs", "no_parental_care", "orphan")], np.int8)
FIRST_PRIORITY_SHARES = np.array([0.55, 0.15, 0.15, 0.08, 0.07])
REGISTRATION_HOUR_SHARES = np.array([1, .5, .3, .2, .2, .3, .8, 2, 4, 6, 7, 7, 6, 6, 7, 7, 6, 5, 4, 4, 4, 3, 2, 1.5])
REGISTRATION_HOUR_SHARES = REGISTRATION_HOUR_SHARES / REGISTRATION_HOUR_SHARES.sum()

# Kinds of entries in an allocation chain, and the layouts of the chains (see referral_chain).
STEP_REFERRAL, STEP_PRIVILEGE_CONFIRMED, STEP_ENROLLED, STEP_EXPIRED, STEP_STOP_LIST_ENDED, STEP_CANCELLED_BY_PARENT, STEP_PRIVILEGE_NOT_CONFIRMED, STEP_PRIVILEGE_REMOVED, STEP_NOTIFIED, STEP_WINDOW_MISSED, STEP_AGED_OUT, NO_STEP = range(12)
STEP_EVENT = np.array([EVENT_CODE["referral_issued"], EVENT_CODE["privilege_confirmed"], EVENT_CODE["enrolled"], EVENT_CODE["referral_annulled"],
                    EVENT_CODE["stop_list_ended"], EVENT_CODE["referral_cancelled"], EVENT_CODE["referral_annulled"], EVENT_CODE["privilege_changed"],
                    EVENT_CODE["notified"], EVENT_CODE["referral_cancelled"], EVENT_CODE["aged_out"], -1], np.int8)
STEP_STATUS = np.r_[STATUS_SET_BY_EVENT[STEP_EVENT[:-1]], -1].astype(np.int8)
STEP_REASON = np.array([-1, -1, -1, REASON_CODE["expired"], -1, REASON_CODE["cancelled_by_parent"], REASON_CODE["privilege_not_confirmed"],
                    REASON_CODE["privilege_not_confirmed"], -1, REASON_CODE["window_missed"], -1, -1], np.int8)
STEP_PRIVILEGE = np.array([-1, -1, -1, -1, -1, -1, -1, NO_PRIVILEGE, -1, -1, -1, -1], np.int8)
STEP_NAMES_BULLETIN = np.array([1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0], bool)  # carries bulletin and kindergarten
NO_STEP = NO_STEP
REFERRAL_OUTCOMES = np.array([  # index: outcome * 2 + privileged
    [STEP_REFERRAL, STEP_ENROLLED, NO_STEP, NO_STEP], [STEP_REFERRAL, STEP_PRIVILEGE_CONFIRMED, STEP_ENROLLED, NO_STEP],  # enrolled
    [STEP_REFERRAL, STEP_EXPIRED, STEP_STOP_LIST_ENDED, NO_STEP], [STEP_REFERRAL, STEP_PRIVILEGE_CONFIRMED, STEP_EXPIRED, STEP_STOP_LIST_ENDED],  # expired -> stop-list
    [STEP_REFERRAL, STEP_CANCELLED_BY_PARENT, NO_STEP, NO_STEP], [STEP_REFERRAL, STEP_CANCELLED_BY_PARENT, NO_STEP, NO_STEP],  # cancelled by the parent
    [STEP_REFERRAL, STEP_ENROLLED, NO_STEP, NO_STEP], [STEP_REFERRAL, STEP_PRIVILEGE_NOT_CONFIRMED, STEP_PRIVILEGE_REMOVED, STEP_STOP_LIST_ENDED],  # privilege not confirmed (A5)
])
WINDOW_MISSED = np.array([STEP_WINDOW_MISSED, NO_STEP, NO_STEP, NO_STEP])
# with a free last column for ageing out (filled by `commit`)
REFERRAL_CHAINS = np.hstack([REFERRAL_OUTCOMES, np.full((len(REFERRAL_OUTCOMES), 1), NO_STEP)])
OFFER_CHAINS = np.hstack([np.full((len(REFERRAL_OUTCOMES) + 1, 1), STEP_NOTIFIED),
                             np.vstack([REFERRAL_OUTCOMES, WINDOW_MISSED]), np.full((len(REFERRAL_OUTCOMES) + 1, 1), NO_STEP)])


FIELD_AT, FIELD_EVENT, FIELD_PRIVILEGE, FIELD_CATEGORY, FIELD_BULLETIN, FIELD_KINDERGARTEN, FIELD_CHANNEL, FIELD_REASON = range(8)


class EventBlock:
    """Events to append to the logs of `m` applications: one (8, m, width) int64 array of
    fields (time, event, privilege, category, bulletin, kindergarten, channel, reason; -1 =
    none) and an (m, width) mask of the entries that exist."""

    __slots__ = ("values", "present")

    def __init__(self, v, ok):
        self.values, self.present = v, ok

    @classmethod
    def empty(cls, m: int, width: int) -> EventBlock:
        v = np.full((8, m, width), -1, np.int64)
        v[FIELD_AT] = NEVER
        return cls(v, np.zeros((m, width), bool))

    @property
    def t(self):
        return self.values[FIELD_AT]

    @property
    def ev(self):
        return self.values[FIELD_EVENT]

    def set(self, col, mask, t, ev, pr=-1, cat=-1, bu=-1, kg=-1, ch=-1, rs=-1):
        """Fill column `col` where `mask` (values broadcast over the rows)."""
        v = self.values
        for f, value in ((FIELD_AT, t), (FIELD_EVENT, ev), (FIELD_PRIVILEGE, pr), (FIELD_CATEGORY, cat), (FIELD_BULLETIN, bu), (FIELD_KINDERGARTEN, kg), (FIELD_CHANNEL, ch), (FIELD_REASON, rs)):
            if type(value) is not np.ndarray and value == -1:
                continue  # the default; masks of one column never overlap
            np.copyto(v[f, :, col], value, where=mask)
        self.present[:, col] |= mask

    @staticmethod
    def hstack(*blocks: EventBlock) -> EventBlock:
        return EventBlock(np.concatenate([b.values for b in blocks], axis=2), np.concatenate([b.present for b in blocks], axis=1))


def odd(t):
    return np.asarray(t, np.int64) | 1


def even(t):
    return np.asarray(t, np.int64) & ~np.int64(1)


class Simulation:
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

    # ------------------------------------------------------------------ organisations
    def kindergartens(self):
        preset, rng = self.preset, self.rng
        nloc = len(self.localities)
        counts = {}
        for own in OWNERSHIP:
            total = preset.organisations.get(own, 0)
            raw = total * self.locality_weights
            c = np.floor(raw).astype(int)
            rest = total - c.sum()
            if rest > 0:
                c[np.argsort(-(raw - c), kind="stable")[:rest]] += 1
            if own == "state":
                c = np.maximum(c, 2)  # every locality needs state kindergartens for its bulletins
            counts[own] = c
        loc = np.concatenate([np.repeat(np.arange(nloc), counts[o]) for o in OWNERSHIP])
        own = np.concatenate([np.full(counts[o].sum(), OWNERSHIP_CODE[o], np.int8) for o in OWNERSHIP])
        order = np.lexsort((own, loc))
        loc, own = loc[order], own[order]
        n = len(loc)
        self.n_kindergartens = n
        self.kg_locality, self.kg_ownership = loc, own
        state = own == OWNERSHIP_CODE["state"]
        # departmental kindergartens (ownership state): a few, at random
        dep = np.zeros(n, bool)
        state_idx = np.flatnonzero(state)
        dep[rng.choice(state_idx, size=min(preset.departmental, len(state_idx)), replace=False)] = True
        self.kg_departmental = dep
        # languages of instruction: 0 kk, 1 ru, 2 kk|ru
        probs = np.array([self.localities[i].kg_language for i in range(nloc)])[loc]
        u = rng.random(n)
        lang = (u > probs[:, 0]).astype(np.int8) + (u > probs[:, 0] + probs[:, 1])
        mini = own == OWNERSHIP_CODE["mini_centre"]
        lang = np.where(mini & (lang == 2), (rng.random(n) < 0.5).astype(np.int8), lang)
        self.kg_language = lang.astype(np.int8)
        # state kindergartens are numbered within their locality (with gaps, as in reality)
        num = rng.integers(1, 120, n)
        st_idx = np.flatnonzero(state)  # contiguous per locality: sorted by (locality, ownership)
        cs = np.cumsum(1 + rng.poisson(0.15, len(st_idx)))
        first = np.r_[0, np.flatnonzero(np.diff(loc[st_idx])) + 1]
        sizes = np.diff(np.r_[first, len(st_idx)])
        num[st_idx] = cs - np.repeat(np.r_[0, cs[first[1:] - 1]], sizes)
        self.kg_number = num
        # coordinates: around the district centre, or the locality centre
        lat = np.empty(n)
        lon = np.empty(n)
        district = np.full(n, None, object)
        spread = np.array([l.spread for l in self.localities])[loc]
        for i, l in enumerate(self.localities):  # per locality (tens of them), vectorised inside
            sel = np.flatnonzero(loc == i)
            if l.districts:
                d = rng.integers(0, len(l.districts), len(sel))
                cen = np.array([(a, b) for _, a, b in l.districts])[d]
                district[sel] = np.array([x for x, _, _ in l.districts], object)[d]
            else:
                cen = np.tile([l.lat, l.lon], (len(sel), 1))
            la = cen[:, 0] + rng.normal(0, 1, len(sel)) * spread[sel]
            lo = cen[:, 1] + rng.normal(0, 1, len(sel)) * spread[sel] * 1.5
            if l.box:
                la = np.clip(la, l.box[0] + 0.002, l.box[1] - 0.002)
                lo = np.clip(lo, l.box[2] + 0.002, l.box[3] - 0.002)
            lat[sel], lon[sel] = la, lo
        self.kg_lat, self.kg_lon = np.round(lat, 5), np.round(lon, 5)
        self.kg_district = district
        self.state_kgs_by_locality = [np.flatnonzero(state & (loc == i)) for i in range(nloc)]

    def kindergarten_table(self, capacity) -> pa.Table:
        rng, n = self.rng, self.n_kindergartens
        own, loc = self.kg_ownership, self.kg_locality
        kk_pick = rng.integers(0, len(names.KK_NAMES), n)
        ru_pick = rng.integers(0, len(names.RU_NAMES), n)
        use_ru = (own != OWNERSHIP_CODE["state"]) & (own != OWNERSHIP_CODE["mini_centre"]) & (rng.random(n) < 0.25)
        brand = np.where(use_ru, np.array(names.RU_NAMES, object)[ru_pick], np.array(names.KK_NAMES, object)[kk_pick])
        brand = pa.array(brand, pa.string())
        quoted = pc.binary_join_element_wise("«", brand, "»", "")
        num = pc.cast(pa.array(self.kg_number), pa.string())
        school = pc.cast(pa.array(rng.integers(1, 95, n)), pa.string())
        kinds = {
            "state": (pc.binary_join_element_wise("№", num, " ", quoted, " балабақшасы", ""),
                      pc.binary_join_element_wise("Ясли-сад №", num, " ", quoted, "")),
            "departmental": (pc.binary_join_element_wise(quoted, " ведомстволық балабақшасы", ""),
                             pc.binary_join_element_wise("Ведомственный детский сад ", quoted, "")),
            "private_a": (pc.binary_join_element_wise(quoted, " жеке балабақшасы", ""),
                          pc.binary_join_element_wise("Частный детский сад ", quoted, "")),
            "private_b": (pc.binary_join_element_wise(quoted, " балабақшасы ЖШС", ""),
                          pc.binary_join_element_wise("ТОО «Детский сад ", brand, "»", "")),
            "mini_a": (pc.binary_join_element_wise(quoted, " шағын орталығы", ""),
                       pc.binary_join_element_wise("Мини-центр ", quoted, "")),
            "mini_b": (pc.binary_join_element_wise("№", school, " мектеп жанындағы ", quoted, " шағын орталығы", ""),
                       pc.binary_join_element_wise("Мини-центр ", quoted, " при школе №", school, "")),
        }
        which = np.where(own == OWNERSHIP_CODE["state"], np.where(self.kg_departmental, 1, 0),
                         np.where(own == OWNERSHIP_CODE["mini_centre"], np.where(rng.random(n) < 0.6, 4, 5),
                                  np.where(rng.random(n) < 0.6, 2, 3)))
        order = list(kinds)
        name_kk = kinds[order[0]][0]
        name_ru = kinds[order[0]][1]
        for i, key in enumerate(order[1:], start=1):
            mask = pa.array(which == i)
            name_kk = pc.if_else(mask, kinds[key][0], name_kk)
            name_ru = pc.if_else(mask, kinds[key][1], name_ru)
        # addresses
        loc_names = np.array([l.name for l in self.localities], object)
        street_lists = [names.STREETS.get(l.name, names.GENERIC_STREETS) for l in self.localities]
        streets = np.empty(n, object)
        for i, lst in enumerate(street_lists):
            sel = np.flatnonzero(loc == i)
            streets[sel] = np.array(lst, object)[rng.integers(0, len(lst), len(sel))]
        house = pc.cast(pa.array(rng.integers(1, 160, n)), pa.string())
        address = pc.binary_join_element_wise(pa.array(loc_names[loc], pa.string()), " қ., ",
                                              pa.array(streets, pa.string()), ", ", house, "")
        codes = np.array([l.phone_code for l in self.localities], object)[loc]
        width = 10 - np.array([len(c) for c in codes])
        local = rng.integers(10 ** (width - 1) * 2, 10 ** width)
        phone = pc.binary_join_element_wise("+7 ", pa.array(codes, pa.string()), " ",
                                            pc.cast(pa.array(local), pa.string()), "")
        has_phone = rng.random(n) < np.where(own == OWNERSHIP_CODE["state"], 0.95, 0.8)
        phone = pc.if_else(pa.array(has_phone), phone, pa.nulls(n, pa.string()))
        lang_str = np.array(["kk", "ru", "kk|ru"], object)[self.kg_language]
        region = np.array([l.region for l in self.localities], object)[loc]
        cols = {
            "kindergarten_id": self.kg_id,
            "name_kk": name_kk,
            "name_ru": name_ru,
            "region": pa.array(region, pa.string()),
            "district": pa.array(self.kg_district, pa.string()),
            "locality": pa.array(loc_names[loc], pa.string()),
            "address": address,
            "latitude": pa.array(self.kg_lat, pa.float64()),
            "longitude": pa.array(self.kg_lon, pa.float64()),
            "ownership": pa.array(np.array(OWNERSHIP, object)[own], pa.string()),
            "languages": pa.array(lang_str, pa.string()),
            "capacity": pa.array(capacity, pa.int64()),
            "phone": phone,
            "website": pa.nulls(n, pa.string()),
        }
        return table("kindergartens", cols)

    # ------------------------------------------------------------------ applications
    def applications(self):
        preset, rng, rules = self.preset, self.rng, self.rules
        years = np.array(sorted(preset.cohorts))
        nloc = len(self.localities)
        cnt = np.array([[preset.cohorts[y][0] for y in years]]) * self.locality_weights[:, None]
        cnt = np.round(cnt).astype(np.int64)  # (locality, birth year)
        loc = np.repeat(np.repeat(np.arange(nloc), len(years)), cnt.ravel())
        by = np.repeat(np.tile(years, nloc), cnt.ravel())
        recent_share = np.array([preset.cohorts[y][1] for y in years])[np.searchsorted(years, by)]
        n = len(loc)
        # birth dates: uniform in the year, but nobody who had aged out before the window
        w0 = self.export.replace(year=self.export.year - 1).date()
        too_old = to_day(dt.date(w0.year - rules.max_age, w0.month, w0.day))
        lo = np.maximum(np.array([to_day(dt.date(y, 1, 1)) for y in years])[np.searchsorted(years, by)], too_old + 1)
        hi = np.minimum(np.array([to_day(dt.date(y, 12, 31)) for y in years])[np.searchsorted(years, by)], self.export_day - 20)
        # cohorts kept only as children who age out during the year (not numbered at export)
        aged = np.isin(by, np.array(preset.aged_cohorts, np.int64))
        last_aged = to_day(dt.date(self.export.year - rules.max_age, self.export.month, self.export.day)) - 1
        hi = np.where(aged, np.minimum(hi, last_aged), hi)
        keep = lo <= hi
        loc, by, lo, hi, recent_share = loc[keep], by[keep], lo[keep], hi[keep], recent_share[keep]
        n = len(loc)
        birth = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
        b = birth.astype("datetime64[D]")
        self.birth_year = b.astype("datetime64[Y]").astype(np.int64) + 1970
        self.birth_month = (b.astype("datetime64[M]").astype(np.int64) % 12) + 1
        self.birth_day = (b - b.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
        leap = (self.birth_month == 2) & (self.birth_day == 29)
        self.birth_day[leap] = 28
        birth[leap] -= 1
        self.birth = birth
        ageout_day = self.birthday(rules.max_age)
        # registration: soon after birth (truncated exponential delay) or, for a share of
        # each cohort, some day in the last year (families moving in, late applicants)
        upper = np.minimum(self.export_day, ageout_day - 30)  # exclusive
        span = np.maximum(upper - birth - 1, 1)
        mean = preset.registration_delay_days
        u = rng.random(n)
        delay = np.floor(-mean * np.log1p(-u * (1 - np.exp(-span / mean)))).astype(np.int64)
        early = birth + 1 + np.minimum(delay, span - 1)
        rlo = np.maximum(self.year_start_day, birth + 1)
        recent = rlo + np.floor(rng.random(n) * np.maximum(upper - rlo, 0)).astype(np.int64)
        use_recent = (rng.random(n) < recent_share) & (upper > rlo)
        day = np.where(use_recent, recent, early)
        # fewer registrations on days off: most move to the next working day
        off = ~self.calendar.is_working(day)
        nxt = self.calendar.on_or_after(day)
        day = np.where(off & (rng.random(n) < 0.6) & (nxt < upper), nxt, day)
        hour = rng.choice(24, size=n, p=REGISTRATION_HOUR_SHARES)
        reg = odd(day * DAY + hour * HOUR + rng.integers(0, HOUR, n))
        reg = np.where(reg >= self.export_at, odd(self.export_at - rng.integers(2, HOUR, n)), reg)
        # privilege at registration
        u = rng.random(n)
        priv = np.where(u < preset.extraordinary, EXTRAORDINARY, np.where(u < preset.extraordinary + preset.first, FIRST_PRIORITY, NO_PRIVILEGE)).astype(np.int8)
        cat = np.full(n, -1, np.int8)
        ex, fi = priv == EXTRAORDINARY, priv == FIRST_PRIORITY
        cat[ex] = rng.choice(EXTRAORDINARY_CATEGORIES, size=ex.sum(), p=EXTRAORDINARY_SHARES)
        cat[fi] = rng.choice(FIRST_PRIORITY_CATEGORIES, size=fi.sum(), p=FIRST_PRIORITY_SHARES)
        probs = np.array([l.app_language for l in self.localities])[loc]
        u = rng.random(n)
        lang = np.where(u < probs[:, 0], 0, np.where(u < probs[:, 0] + probs[:, 1], 1, -1)).astype(np.int8)
        # application numbers: УО.{registration year}.{sequence}.1, the sequence following
        # registration order within the year (with gaps left by applications that are gone)
        tie = rng.random(n)
        order = np.lexsort((tie, reg))
        reg_year = (reg // DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
        ry = reg_year[order]
        seq = np.empty(n, np.int64)
        first_of = np.r_[0, np.flatnonzero(np.diff(ry)) + 1]
        sizes = np.diff(np.r_[first_of, n])
        lam = np.where(ry[first_of] < self.export.year - 1, 1.2, 0.15)
        lam = np.minimum(lam, np.maximum(999_999 / sizes - 1.05, 0))
        gaps = rng.poisson(np.repeat(lam, sizes)) + 1
        cs = np.cumsum(gaps)
        seq_sorted = cs - np.repeat(np.r_[0, cs[first_of[1:] - 1]], sizes)
        seq[order] = seq_sorted
        assert seq.max() <= 999_999, "application sequence overflow"
        # internal order: by segment, then (registered_at, number) — the Q3 base order
        nyears = len(years)
        yi = np.searchsorted(years, self.birth_year)
        seg = loc * nyears + yi
        perm = np.lexsort((seq, reg, seg))
        for name, arr in (("locality", loc), ("birth_year", self.birth_year), ("birth_month", self.birth_month), ("birth_day", self.birth_day), ("birth", birth),
                          ("registered_at", reg), ("privilege_at_registration", priv), ("category_at_registration", cat), ("lang", lang), ("sequence", seq),
                          ("reg_year", reg_year), ("segment", seg)):
            setattr(self, name, arr[perm])
        self.n_applications = n
        self.years = years
        self.n_segments = nloc * nyears
        bounds = np.searchsorted(self.segment, np.arange(self.n_segments + 1))
        self.segment_start, self.segment_end = bounds[:-1], bounds[1:]
        self.aged_out_day = self.birthday(rules.max_age)
        self.aged_out_at = self.aged_out_day * DAY + 1  # 00:00:01 on the birthday
        self.state_age_day = self.birthday(rules.min_age_state)
        self.private_state_order_age_day = self.birthday(rules.min_age_private_state_order)
        self.mini_centre_age_day = self.birthday(rules.min_age_mini_centre)

    # ------------------------------------------------------------------ the logs
    def start_logs(self, width=8):
        n = self.n_applications
        self.log_width = width
        self.log_at = np.full((n, width), NEVER, np.int64)
        self.log_event = np.full((n, width), -1, np.int8)
        self.log_status = np.full((n, width), -1, np.int8)
        self.log_privilege = np.full((n, width), -1, np.int8)
        self.log_category = np.full((n, width), -1, np.int8)
        self.log_bulletin = np.full((n, width), -1, np.int32)
        self.log_kindergarten = np.full((n, width), -1, np.int32)
        self.log_channel = np.full((n, width), -1, np.int8)
        self.log_reason = np.full((n, width), -1, np.int8)
        self.log_length = np.zeros(n, np.int64)
        self.log_read = np.zeros(n, np.int64)  # entries already read by `advance`
        self.status_now = np.full(n, -1, np.int8)
        self.privilege_now = np.full(n, -1, np.int8)
        self.annulments = np.zeros(n, np.int64)  # annulments read so far
        self.expirations = np.zeros(n, np.int64)  # ... of them, for an expired referral (A4, not A5)
        self.next_at = np.full(n, NEVER, np.int64)

    def _widen_logs(self, need):
        add = max(need - self.log_width, 4)
        for name, fill in (("log_at", NEVER), ("log_event", -1), ("log_status", -1), ("log_privilege", -1), ("log_category", -1), ("log_bulletin", -1),
                           ("log_kindergarten", -1), ("log_channel", -1), ("log_reason", -1)):
            arr = getattr(self, name)
            setattr(self, name, np.hstack([arr, np.full((arr.shape[0], add), fill, arr.dtype)]))
        self.log_width += add

    def append(self, rows, block: EventBlock):
        """Append each row's valid block entries after its current last entry."""
        ok = block.present
        if not ok.any():
            return
        pos = self.log_length[rows][:, None] + np.cumsum(ok, axis=1) - 1
        need = int(pos[ok].max()) + 2  # always one spare NEVER column for `advance`
        if need > self.log_width:
            self._widen_logs(need)
        r = np.broadcast_to(rows[:, None], ok.shape)[ok]
        c = pos[ok]
        # entries must extend the log strictly later in time
        last = np.where(self.log_length[rows] > 0, self.log_at[rows, np.maximum(self.log_length[rows] - 1, 0)], -NEVER)
        first_new = np.where(ok, block.t, NEVER).min(axis=1)
        assert (first_new > last).all(), "events out of order"
        v = block.values[:, ok]
        self.log_at[r, c] = v[FIELD_AT]
        self.log_event[r, c] = v[FIELD_EVENT]
        self.log_status[r, c] = STATUS_SET_BY_EVENT[v[FIELD_EVENT]]
        self.log_privilege[r, c] = v[FIELD_PRIVILEGE]
        self.log_category[r, c] = v[FIELD_CATEGORY]
        self.log_bulletin[r, c] = v[FIELD_BULLETIN]
        self.log_kindergarten[r, c] = v[FIELD_KINDERGARTEN]
        self.log_channel[r, c] = v[FIELD_CHANNEL]
        self.log_reason[r, c] = v[FIELD_REASON]
        self.log_length[rows] += ok.sum(axis=1)
        self.next_at[rows] = self.log_at[rows, self.log_read[rows]]

    def advance(self, lo, hi, t):
        """Bring the running state of applications lo..hi up to instant t (events at or before t).

        Allocation actions come in time order, so each log is read once, front to back;
        `next_t` caches the time of each log's first unread entry."""
        idx = lo + np.flatnonzero(self.next_at[lo:hi] <= t)
        while len(idx):
            p = self.log_read[idx]
            s = self.log_status[idx, p]
            self.status_now[idx] = np.where(s >= 0, s, self.status_now[idx])
            v = self.log_privilege[idx, p]
            self.privilege_now[idx] = np.where(v >= 0, v, self.privilege_now[idx])
            self.annulments[idx] += self.log_event[idx, p] == EVENT_CODE["referral_annulled"]
            self.expirations[idx] += (self.log_event[idx, p] == EVENT_CODE["referral_annulled"]) & (self.log_reason[idx, p] == REASON_CODE["expired"])
            self.log_read[idx] = p + 1
            nxt = self.log_at[idx, p + 1]
            self.next_at[idx] = nxt
            idx = idx[nxt <= t]
        return self.status_now[lo:hi], self.privilege_now[lo:hi]

    def state(self, lo, hi, t):
        """(status, privilege) codes of applications lo..hi at instant t, from the whole logs."""
        k = max(int(self.log_length[lo:hi].max()), 1)
        T = self.log_at[lo:hi, :k]
        le = T <= t
        S = self.log_status[lo:hi, :k]
        P = self.log_privilege[lo:hi, :k]
        rows = np.arange(hi - lo)
        ms = le & (S >= 0)
        i = k - 1 - np.argmax(ms[:, ::-1], axis=1)
        st = np.where(ms[rows, i], S[rows, i], -1)
        mp = le & (P >= 0)
        j = k - 1 - np.argmax(mp[:, ::-1], axis=1)
        pv = np.where(mp[rows, j], P[rows, j], -1)
        return st, pv

    # ------------------------------------------------------------------ event chains
    def referral_chain(self, t1, priv, prior, t0=None, take=None, close=None, force=None):
        """(times, kinds) of referral_issued at t1 and what follows it (A4, A5): four columns.

        With `t0`: a priority offer, five columns — notified at t0 (A1), then for `take` the
        referral at t1 and what follows, for the others the window missed at `close` (A2).
        `force` (planted violations only): per row -1 (at random), 0 (used: enrolled) or 1
        (expired: annulled, even a second time)."""
        rng, cal, preset, rules = self.rng, self.calendar, self.preset, self.rules
        m = len(t1)
        d1 = t1 // DAY
        u = rng.random((9, m))
        privileged = priv > 0
        can = prior < rules.max_annulments - 1  # never a second annulment (that would mean removal)
        pf = privileged & can & (u[0] < preset.privilege_fail)
        an = ~pf & can & (u[1] < preset.annul)
        ca = ~pf & ~an & (u[1] >= preset.annul) & (u[1] < preset.annul + preset.cancel)
        if force is not None:
            forced = force >= 0
            pf, ca = pf & ~forced, ca & ~forced
            an = np.where(forced, force == 1, an)
        outcome = np.where(pf, 3, np.where(an, 1, np.where(ca, 2, 0)))
        dc = 1 + (u[2] >= 0.5) + (u[2] >= 0.8)  # privilege confirmed after 1, 2 or 3 working days
        tc = odd(np.minimum(cal.after(d1, dc) * DAY + (9 * HOUR + u[3] * 8 * HOUR).astype(np.int64),
                            t1 + 9 * DAY))
        de = np.maximum(1 + (u[4] * 4).astype(np.int64), np.where(privileged, dc, 0))  # enrolled after 1-4
        te = cal.after(d1, de) * DAY + (9 * HOUR + u[5] * 9 * HOUR).astype(np.int64)
        te = odd(np.where(privileged & (te <= tc), tc + 600 + (u[5] * 3000).astype(np.int64), te))
        valid_last = rules.referral_valid_working_days - 1  # the strictest reading: the issue day is day 1
        ta = odd(cal.after(d1, valid_last) * DAY + (18 * HOUR + u[6] * 1.5 * HOUR).astype(np.int64))
        tpa = odd(np.minimum(cal.after(d1, min(valid_last, 3)) * DAY + (18 * HOUR + u[7] * HOUR).astype(np.int64),
                             t1 + (rules.privilege_confirm_calendar_days - 1) * DAY))
        t_end = np.where(pf, tpa, ta)
        ts = (cal.after(t_end // DAY, rules.stop_list_working_days) + 1) * DAY + 1  # midnight after the last day
        tx = odd(t1 + 1800 + (u[8] * 20 * HOUR).astype(np.int64))
        code = outcome * 2 + privileged
        if t0 is not None:
            kinds = OFFER_CHAINS[np.where(take, code, len(REFERRAL_OUTCOMES))]
            cols = (t1, tc, te, ta, ts, tx, tpa, tpa + 2, t0, close, NEVER, NEVER)
        else:
            kinds = REFERRAL_CHAINS[code]
            cols = (t1, tc, te, ta, ts, tx, tpa, tpa + 2, NEVER, NEVER, NEVER, NEVER)
        times = np.empty((m, len(cols)), np.int64)
        for i, x in enumerate(cols):
            times[:, i] = x
        return times[np.arange(m)[:, None], kinds], kinds

    def priority_chain(self, t0, priv, prior, force=None):
        """notified at t0 (A1), then the place taken in the window (A2) or the window missed."""
        rng, cal, rules = self.rng, self.calendar, self.rules
        m = len(priv)
        d0 = t0 // DAY
        take = rng.random(m) < self.preset.take
        if rules.choice_window_working_days:
            dd = np.minimum(rng.geometric(0.45, m) - 1, rules.choice_window_working_days - 2)
            same = t0 + 600 + (rng.random(m) * (20 * HOUR - (t0 - d0 * DAY) - 900)).astype(np.int64)
            other = cal.after(d0, np.maximum(dd, 1)) * DAY + self.time_of_day(m, 9, 20)
            t1 = odd(np.where(dd == 0, same, other))
            close = cal.after(d0, rules.choice_window_working_days) * DAY + DAY - 1
        else:
            room = (rules.choice_closes_at_hour * HOUR - 1800) - (t0 - d0 * DAY) - 300
            t1 = odd(t0 + 300 + (rng.random(m) * room).astype(np.int64))
            close = d0 * DAY + rules.choice_closes_at_hour * HOUR + 1
        return self.referral_chain(t1, priv, prior, t0=t0, take=take, close=close, force=force)

    def commit(self, rows, t_cut, times, kinds, bu, kg, chan):
        """Write an allocation chain (times, kinds) into the logs of `rows`.

        The last column of the chain is a free slot for ageing out. With `t_cut`: first drop
        what the rows had scheduled after t_cut (they were advanced to t_cut, and nothing of
        theirs is stamped exactly then). The chain is cut at the export, and a chain that ends
        in the queue is followed by ageing out on the birthday. Returns the referrals written."""
        m, width = kinds.shape
        if t_cut is not None:
            n0 = self.log_read[rows]
            et = self.log_at[rows]
            et[np.arange(self.log_width) >= n0[:, None]] = NEVER
            self.log_at[rows] = et
        else:
            n0 = self.log_length[rows]
        age_t = self.aged_out_at[rows]
        ok = (kinds != NO_STEP) & (times < self.export_at)
        st = np.where(ok, STEP_STATUS[kinds], -1)
        li = width - 1 - np.argmax(st[:, ::-1] >= 0, axis=1)
        last_st = st[np.arange(m), li]
        last_st[last_st < 0] = QUEUED  # no status-bearing entry: the log stays queued
        aged = (last_st == QUEUED) & (age_t < self.export_at)
        last_t = np.where(ok, times, 0).max(axis=1)
        assert (last_t < age_t).all(), "a chain reaches past ageing out"
        kinds[:, -1] = np.where(aged, STEP_AGED_OUT, NO_STEP)
        times[:, -1] = age_t
        ok[:, -1] = aged
        first_t = np.where(ok, times, NEVER).min(axis=1)
        assert (first_t > self.log_at[rows, n0 - 1]).all(), "events out of order"
        ri, ci = np.nonzero(ok)
        r = rows[ri]
        c = n0[ri] + (np.cumsum(ok, axis=1) - 1)[ri, ci]
        need = int(c.max(initial=0)) + 2  # always one spare NEVER column for `advance`
        if need > self.log_width:
            self._widen_logs(need)
        k = kinds[ri, ci]
        link = STEP_NAMES_BULLETIN[k]
        pick = lambda x: x[ri] if np.ndim(x) else x  # noqa: E731
        self.log_at[r, c] = times[ri, ci]
        self.log_event[r, c] = STEP_EVENT[k]
        self.log_status[r, c] = STEP_STATUS[k]
        self.log_privilege[r, c] = STEP_PRIVILEGE[k]
        self.log_category[r, c] = -1
        self.log_bulletin[r, c] = np.where(link, pick(bu), -1)
        self.log_kindergarten[r, c] = np.where(link, pick(kg), -1)
        self.log_channel[r, c] = np.where(k == STEP_REFERRAL, pick(chan), -1)
        self.log_reason[r, c] = STEP_REASON[k]
        self.log_length[rows] = n0 + ok.sum(axis=1)
        self.next_at[rows] = self.log_at[rows, self.log_read[rows]]
        return int((k == STEP_REFERRAL).sum())

    # ------------------------------------------------------------------ background
    def background(self):
        preset, rng, rules = self.preset, self.rng, self.rules
        n = self.n_applications
        reg = self.registered_at
        rows = np.arange(n)
        head = EventBlock.empty(n, 1)
        head.set(0, np.ones(n, bool), reg, EVENT_CODE["registered"], pr=self.privilege_at_registration, cat=self.category_at_registration)
        lo = np.maximum(reg, self.year_start) + HOUR
        hi_term = np.minimum(self.export_at, self.aged_out_at) - HOUR
        room = hi_term > lo + DAY
        u = rng.random(n)
        # exits that do not depend on the queue
        wd = room & (u < preset.withdrawn)
        rm = room & (u >= preset.withdrawn) & (u < preset.withdrawn + preset.removed)
        t_raw = odd(lo + (rng.random(n) * np.maximum(hi_term - lo, 0)).astype(np.int64))
        t_exit = odd((t_raw // DAY) * DAY + np.clip(t_raw % DAY, 9 * HOUR, 19 * HOUR))  # office hours
        t_exit = np.where((t_exit < lo) | (t_exit >= hi_term), t_raw, t_exit)
        # A6: a place in a private kindergarten with state order (from 3) or a mini-centre (from 4)
        loc = self.locality
        n_pso = np.bincount(self.kg_locality[self.kg_ownership == OWNERSHIP_CODE["private_state_order"]], minlength=len(self.localities))
        n_mini = np.bincount(self.kg_locality[self.kg_ownership == OWNERSHIP_CODE["mini_centre"]], minlength=len(self.localities))
        w_pso, w_mini = n_pso[loc].astype(float), 0.4 * n_mini[loc]
        mini = rng.random(n) * np.maximum(w_pso + w_mini, 1e-9) >= w_pso
        min_day = np.where(mini, self.mini_centre_age_day, self.private_state_order_age_day)
        pso_from = to_seconds(dt.datetime.fromisoformat(preset.private_state_order_from)) if preset.private_state_order_from else self.year_start
        plo = np.maximum.reduce([lo, np.full(n, pso_from), min_day * DAY])
        phi = np.minimum(self.export_at, self.aged_out_at - 100 * DAY)
        pday = (plo // DAY) + (rng.random(n) * np.maximum((phi - plo) // DAY, 0)).astype(np.int64)
        pday = self.calendar.on_or_after(np.minimum(pday, self.export_day))
        t_pso = odd(pday * DAY + self.time_of_day(n, 9, 18))
        ps = (~wd & ~rm & (u >= preset.withdrawn + preset.removed) & (u < preset.withdrawn + preset.removed + preset.private_state_order)
              & (t_pso >= plo) & (t_pso < phi) & ((w_pso + w_mini) > 0))
        kgs_of = {}
        for own in ("private_state_order", "mini_centre"):
            idx = np.flatnonzero(self.kg_ownership == OWNERSHIP_CODE[own])
            kgs_of[own] = (idx, np.searchsorted(self.kg_locality[idx], np.arange(len(self.localities) + 1)))
        kg = np.full(n, -1, np.int32)
        for own, sel in (("private_state_order", ps & ~mini), ("mini_centre", ps & mini)):
            idx, bnd = kgs_of[own]
            s = np.flatnonzero(sel)
            a, b = bnd[loc[s]], bnd[loc[s] + 1]
            kg[s] = idx[a + np.floor(rng.random(len(s)) * (b - a)).astype(np.int64)]
        t_first_exit = np.where(wd | rm, t_exit, np.where(ps, t_pso, hi_term))
        # privilege gained or lost during the year
        pc_ = (rng.random(n) < preset.privilege_change) & (t_first_exit - lo > 2 * DAY)
        t_pc = odd(lo + (rng.random(n) * np.maximum(t_first_exit - lo - DAY, 0)).astype(np.int64))
        gain = self.privilege_at_registration == NO_PRIVILEGE
        new_pr = np.where(gain, FIRST_PRIORITY, NO_PRIVILEGE).astype(np.int8)
        new_cat = np.where(gain, rng.choice(FIRST_PRIORITY_CATEGORIES, size=n, p=FIRST_PRIORITY_SHARES), -1).astype(np.int8)
        mid = EventBlock.empty(n, 2)
        mid.set(0, pc_, t_pc, EVENT_CODE["privilege_changed"], pr=new_pr, cat=new_cat)
        mid.set(1, wd, t_exit, EVENT_CODE["withdrawn"], rs=REASON_CODE["by_parent"])
        reason = rng.choice(np.array([REASON_CODE["duplicate"], REASON_CODE["moved_away"], REASON_CODE["documents_invalid"]]), size=n, p=[0.4, 0.4, 0.2])
        mid.set(1, rm, t_exit, EVENT_CODE["removed"], rs=reason)
        priv_at = np.where(pc_, new_pr, self.privilege_at_registration)
        self.start_logs()
        self.append(rows, EventBlock.hstack(head, mid))
        s = np.flatnonzero(ps)
        times, kinds = self.referral_chain(t_pso[s], priv_at[s], np.zeros(len(s), np.int64))
        self.commit(s, None, times, kinds, -1, kg[s], CHANNEL_CODE["private_state_order"])
        # ageing out for everyone else still in the queue at the birthday
        rest = np.flatnonzero(~(wd | rm | ps))
        self.commit(rest, None, np.zeros((len(rest), 1), np.int64), np.full((len(rest), 1), NO_STEP), -1, -1, -1)

    # ------------------------------------------------------------------ bulletins
    def bulletins(self):
        preset, rng, rules, cal = self.preset, self.rng, self.rules, self.calendar
        seg_l, seg_y, seats, day = [], [], [], []
        if preset.waves:
            for w in preset.waves:  # a handful of campaigns; vectorised inside
                sizes = self.seat_sizes(w.seats // 3 + 10)
                cs = np.cumsum(sizes)
                cutp = int(np.searchsorted(cs, w.seats))
                sizes = sizes[: cutp + 1].copy()
                sizes[-1] = w.seats - (cs[cutp - 1] if cutp > 0 else 0)
                k = len(sizes)
                d0 = to_day(dt.date.fromisoformat(w.date))
                off = np.where(rng.random(k) < 0.55, 0, rng.integers(1, w.spread_wd + 1, k))
                off[0] = 0
                dd = np.where(off == 0, d0, cal.after(d0, np.maximum(off, 1)))
                for li in range(len(self.localities)):
                    seg_l.append(np.full(k, li))
                    seg_y.append(np.full(k, w.birth_year))
                    seats.append(sizes)
                    day.append(dd)
        else:
            nloc, years = len(self.localities), self.years
            sl = np.repeat(np.arange(nloc), len(years))
            sy = np.tile(years, nloc)
            size = self.segment_end - self.segment_start
            a = np.maximum(self.year_start_day + 1, np.array([to_day(dt.date(int(y) + rules.min_age_state, 3, 1)) for y in sy]))
            b = np.minimum(self.export_day - 1, np.array([to_day(dt.date(int(y) + rules.max_age, 1, 1)) - 100 for y in sy]))
            ok = b > a
            total = preset.seats_per_application * size * np.maximum(b - a, 0) / 365.0
            nb = np.where(ok, rng.poisson(total / preset.mean_seats), 0)
            bl, by_ = np.repeat(sl, nb), np.repeat(sy, nb)
            ba, bb = np.repeat(a, nb), np.repeat(b, nb)
            k = len(bl)
            months = preset.wave_months
            start = self.export.replace(year=self.export.year - 1).date()
            wy = start.year if months[0] >= start.month else start.year + 1
            wa = to_day(dt.date(wy, months[0], 1))
            wb = to_day(dt.date(wy + (months[-1] == 12), months[-1] % 12 + 1, 1)) - 1
            lo_w, hi_w = np.maximum(ba, wa), np.minimum(bb, wb)
            in_wave = (rng.random(k) < preset.wave_share) & (hi_w > lo_w)
            lo_d, hi_d = np.where(in_wave, lo_w, ba), np.where(in_wave, hi_w, bb)
            dd = cal.on_or_after(lo_d + np.floor(rng.random(k) * (hi_d - lo_d + 1)).astype(np.int64))
            keep = dd < self.export_day
            seg_l, seg_y, seats, day = [bl[keep]], [by_[keep]], [self.seat_sizes(k)[keep]], [dd[keep]]
        bl = np.concatenate(seg_l).astype(np.int64)
        byr = np.concatenate(seg_y).astype(np.int64)
        seats = np.concatenate(seats).astype(np.int64)
        day = np.concatenate(day).astype(np.int64)
        k = len(bl)
        seg = bl * len(self.years) + np.searchsorted(self.years, byr)
        t = even(day * DAY + rng.integers(9 * HOUR, 12 * HOUR, k))
        # distinct instants within a segment
        order = np.lexsort((t, seg))
        seg, t, bl, byr, seats, day = seg[order], t[order], bl[order], byr[order], seats[order], day[order]
        while True:
            dup = np.r_[False, (seg[1:] == seg[:-1]) & (t[1:] <= t[:-1])]
            if not dup.any():
                break
            t = np.where(dup, np.r_[t[:1], t[:-1]] + 2, t)
        # kindergarten and language: a state kindergarten of the locality, one of its languages
        kg = np.empty(k, np.int64)
        for li in range(len(self.localities)):
            s = np.flatnonzero(bl == li)
            cand = self.state_kgs_by_locality[li]
            kg[s] = cand[np.floor(rng.random(len(s)) * len(cand)).astype(np.int64)]
        kl = self.kg_language[kg]
        lang = np.where(kl == 2, (rng.random(k) >= 0.6).astype(np.int8), kl).astype(np.int8)
        # published order: by announcement
        order = np.lexsort((seg, t))
        self.bulletin_segment, self.bulletin_at, self.bulletin_locality, self.bulletin_birth_year = seg[order], t[order], bl[order], byr[order]
        self.bulletin_seats, self.bulletin_kindergarten, self.bulletin_language = seats[order], kg[order], lang[order]
        self.n_bulletins = k
        yr = (self.bulletin_at // DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
        self.bulletin_id = pc.binary_join_element_wise(
            "B-", pc.cast(pa.array(yr), pa.string()), "-",
            pc.utf8_lpad(pc.cast(pa.array(np.arange(1, k + 1)), pa.string()), 6, "0"), "")

    def seat_sizes(self, k):
        mean, top = self.preset.mean_seats, self.preset.max_seats
        return np.minimum(self.rng.geometric(1.0 / mean, k), top).astype(np.int64)

    # ------------------------------------------------------------------ allocation
    def allocate(self):
        preset, rng, rules, cal = self.preset, self.rng, self.rules, self.calendar
        k = self.n_bulletins
        d0 = self.bulletin_at // DAY
        close_day = cal.after(d0, rules.choice_window_working_days) if rules.choice_window_working_days else d0
        free_day = cal.after(close_day, 1)
        t_free = free_day * DAY + 9 * HOUR  # even: no event happens exactly then
        self.bulletin_free_choice_day = free_day
        kinds = np.r_[np.zeros(k, np.int8), np.ones(k, np.int8)]
        times = np.r_[self.bulletin_at, t_free]
        idx = np.r_[np.arange(k), np.arange(k)]
        keep = times < self.export_at
        kinds, times, idx = kinds[keep], times[keep], idx[keep]
        order = np.lexsort((idx, kinds, times))
        self.priority_referrals = np.zeros(k, np.int64)
        self.bulletin_clean = np.zeros(k, bool)  # its referrals were neither cancelled nor annulled
        self.plan = Plan(self.seed, int((kinds == 0).sum()), int((kinds == 1).sum()), self.preset.plant)
        a, g = rules.ratio_first, rules.ratio_general
        cycle = a + g
        # the next priority round of each segment: a planted referral must come before it,
        # or that round could offer the child a place and overwrite what was planted
        prio_key = np.sort(self.bulletin_segment[idx[kinds == 0]].astype(np.int64) << 32 | times[kinds == 0])
        round_key = self.bulletin_segment[idx[order]].astype(np.int64) << 32 | times[order]
        pos = np.minimum(np.searchsorted(prio_key, round_key, side="right"), len(prio_key) - 1)
        same = (prio_key[pos] >> 32) == (round_key >> 32)
        next_prio = np.where(same & (prio_key[pos] > round_key), prio_key[pos] & 0xFFFFFFFF, NEVER).tolist()
        steps = [0, 0]  # rounds seen, of each kind
        for kind, t, j, t_next in zip(kinds[order].tolist(), times[order].tolist(), idx[order].tolist(), next_prio):
            step = steps[kind]
            steps[kind] += 1
            seg = self.bulletin_segment[j]
            lo, hi = int(self.segment_start[seg]), int(self.segment_end[seg])
            hi = lo + int(np.searchsorted(self.registered_at[lo:hi], t, side="right"))  # registered by t
            if hi == lo or (kind == 1 and self.bulletin_seats[j] <= self.priority_referrals[j]):
                continue
            st, pv = self.advance(lo, hi, t)
            day = t // DAY
            lang = self.lang[lo:hi]
            lang_ok = (lang == self.bulletin_language[j]) | (lang < 0)
            elig = ((st == QUEUED) & lang_ok
                    & (day >= self.state_age_day[lo:hi]) & (day < self.aged_out_day[lo:hi]))
            if kind == 0:
                # A1 / Q3: the first n eligible applications in Q3 order get the offer
                numbered = IS_NUMBERED[st + 1]
                is_e = numbered & (pv == EXTRAORDINARY)
                is_p = numbered & (pv == FIRST_PRIORITY)
                is_g = numbered & (pv == NO_PRIVILEGE)
                rp = np.cumsum(is_p) - 1
                rg = np.cumsum(is_g) - 1
                m = hi - lo
                key = np.where(is_e, np.arange(m) - m,
                               np.where(is_p, (rp // a) * cycle + rp % a, (rg // g) * cycle + a + rg % g))
                cand = np.flatnonzero(elig)
                n = int(self.bulletin_seats[j])
                wanted = self.plan.wanted(PRIORITY_TYPES, step, j) if len(cand) else []
                ordered = cand[np.argsort(key[cand], kind="stable")] if wanted else None
                if len(cand) > n:
                    cand = cand[np.argpartition(key[cand], n - 1)[:n]]
                cand = cand[np.argsort(key[cand], kind="stable")]
                if not len(cand):
                    continue
                for type_ in wanted:
                    if self.plant_priority(type_, step, t, j, lo, ordered, cand, pv, t_next):
                        break
                else:
                    rows = lo + cand
                    times, kinds = self.priority_chain(t, pv[cand], self.annulments[rows])
                    self.bulletin_clean[j] = not np.isin(kinds, (STEP_CANCELLED_BY_PARENT, STEP_EXPIRED, STEP_PRIVILEGE_NOT_CONFIRMED)).any()
                    self.priority_referrals[j] = self.commit(rows, t, times, kinds, j, self.bulletin_kindergarten[j], CHANNEL_CODE["priority"])
            else:
                # A3: places not taken in the window, first come first served, after it closed
                left = int(self.bulletin_seats[j] - self.priority_referrals[j])
                if left <= 0:
                    continue
                n_staff = int(rng.binomial(left, preset.staff_child)) if preset.staff_child else 0
                n_free = int(rng.binomial(left - n_staff, preset.free_fill))
                want = n_staff + n_free
                if want == 0:
                    continue
                t_end = day * DAY + 20 * HOUR
                quiet = self.next_at[lo:hi] > t_end  # nothing else happens to them before the referral
                cand = np.flatnonzero(elig & quiet)
                if not len(cand):
                    continue
                pick = cand[rng.choice(len(cand), size=min(want, len(cand)), replace=False)]
                m = len(pick)
                t1 = odd(t + 60 + rng.integers(0, 11 * HOUR - 120, m))
                chan = np.where(np.arange(m) < n_staff, CHANNEL_CODE["staff_child"], CHANNEL_CODE["free_choice"]).astype(np.int8)
                force = None
                for type_ in self.plan.wanted(FREE_TYPES, step, j):
                    planted = self.plant_free(type_, step, t, j, lo, st, lang_ok, day, cand, pick, t1, chan, left, t_next)
                    if planted:
                        pick, t1, chan, force = planted
                        break
                rows = lo + pick
                times, kinds = self.referral_chain(t1, pv[pick], self.annulments[rows], force=force)
                self.commit(rows, t, times, kinds, j, self.bulletin_kindergarten[j], chan)

    # ------------------------------------------------------------------ planted violations
    def plant_priority(self, type_, step, t, j, lo, ordered, cand, pv, t_next) -> bool:
        """Plant `type_` in the priority round of bulletin j (demo.planting); False if it
        cannot be planted here. `ordered`: every eligible application in Q3 order; `cand`:
        the first n of them, who should be notified; `t_next`: the segment's next priority round."""
        n, truth, kg = len(cand), self.plan, self.bulletin_kindergarten[j]
        chosen, free = cand, None
        if type_ == "out_of_order_offer":
            # the n-th eligible is passed over for the next general one behind it
            behind = ordered[n:][pv[ordered[n:]] == NO_PRIVILEGE] if len(ordered) > n else ordered[:0]
            if n < self.bulletin_seats[j] or not len(behind):
                return False
            chosen = np.r_[ordered[: n - 1], behind[:1]]
            found = [(type_, lo + behind[0], j)]
        elif type_ == "ratio_breach":
            # a general n-th eligible passed over for a first-priority one behind it
            behind = ordered[n:][pv[ordered[n:]] == FIRST_PRIORITY] if len(ordered) > n else ordered[:0]
            if n < self.bulletin_seats[j] or pv[ordered[n - 1]] != NO_PRIVILEGE or not len(behind):
                return False
            chosen = np.r_[ordered[: n - 1], behind[:1]]
            found = [("out_of_order_offer", lo + behind[0], j), (type_, lo + behind[0], j)]
        elif type_ == "early_free_choice":
            # n - 1 notified; the last seat given by free choice an hour or so later
            if t_next - t < 600:
                return False
            free = ordered[n - 1 + self.plan.rng.integers(0, len(ordered) - n + 1)]
            chosen = ordered[: n - 1]
            found = [(type_, lo + free, j)]
        times, kinds = (self.priority_chain(t, pv[chosen], self.annulments[lo + chosen]) if len(chosen)
                        else (np.zeros((0, OFFER_CHAINS.shape[1]), np.int64), np.zeros((0, OFFER_CHAINS.shape[1]), np.int64)))
        if type_ in ("unconfirmed_privilege", "overdue_referral"):
            used_priv = (kinds[:, 1] == STEP_REFERRAL) & (kinds[:, 2] == STEP_PRIVILEGE_CONFIRMED) & (kinds[:, 3] == STEP_ENROLLED)
            used_plain = (kinds[:, 1] == STEP_REFERRAL) & (kinds[:, 2] == STEP_ENROLLED)
            soon = times[:, 1] + 20 * DAY < self.export_at  # its deadline falls inside the data
            pool = np.flatnonzero((used_priv if type_ == "unconfirmed_privilege" else used_plain) & soon)
            if type_ == "overdue_referral" and len(pool):
                late = odd(self.calendar.after(times[pool, 1] // DAY, self.rules.referral_valid_working_days + 2) * DAY + 10 * HOUR)
                pool = pool[late < self.aged_out_at[lo + chosen[pool]] - DAY]
            if not len(pool):
                return False
            i = pool[self.plan.rng.integers(0, len(pool))]
            if type_ == "unconfirmed_privilege":
                kinds[i, 2] = NO_STEP  # the privilege is never confirmed; the child is enrolled
            else:  # enrolled two working days after the referral expired
                times[i, 2] = odd(self.calendar.after(times[i, 1] // DAY, self.rules.referral_valid_working_days + 2) * DAY + 10 * HOUR)
            found = [(type_, lo + chosen[i], j)]
        refs = self.commit(lo + chosen, t, times, kinds, j, kg, CHANNEL_CODE["priority"]) if len(chosen) else 0
        if free is not None:
            t1 = odd(np.array([min(t + HOUR + self.plan.rng.integers(0, HOUR), t + (t_next - t) // 2)]))
            ft, fk = self.referral_chain(t1, pv[[free]], self.annulments[[lo + free]])
            refs += self.commit(np.array([lo + free]), t, ft, fk, j, kg, CHANNEL_CODE["free_choice"])
        self.priority_referrals[j] = refs
        truth.planted(type_, step, j, *found)
        return True

    def plant_free(self, type_, step, t, j, lo, st, lang_ok, day, cand, pick, t1, chan, left, t_next):
        """Plant `type_` in the free-choice round of bulletin j; None if it cannot be planted
        here, else the round's (pick, t1, chan, force)."""
        rng = self.plan.rng
        free = np.flatnonzero(chan == CHANNEL_CODE["free_choice"])
        force = np.full(len(pick), -1, np.int64)
        if not len(free) or t_next - t < 1200:
            return None
        t1 = odd(np.minimum(t1, t + (t_next - t) // 2))  # all before the next priority round
        i = free[rng.integers(0, len(free))]
        if type_ == "referral_without_offer":
            chan = chan.copy()
            chan[i] = CHANNEL_CODE["priority"]  # a "priority" referral nobody was notified of
        elif type_ in ("blocked_recipient", "underage"):
            rows = np.arange(len(st))
            if type_ == "blocked_recipient":  # someone in the stop-list gets the seat
                pool = rows[(st == STATUS_CODE["stop_list"]) & lang_ok & (day >= self.state_age_day[lo + rows])
                            & (day < self.aged_out_day[lo + rows])]
            else:  # a child under the minimum age gets the seat
                pool = rows[(st == QUEUED) & lang_ok & (day < self.state_age_day[lo + rows])
                            & (self.next_at[lo + rows] > day * DAY + 20 * HOUR)]
            if not len(pool):
                return None
            pick = pick.copy()
            pick[i] = pool[rng.integers(0, len(pool))]
        elif type_ == "missed_removal":  # a second annulment, and the child stays in the queue
            pool = cand[(self.annulments[lo + cand] == self.rules.max_annulments - 1)
                        & (self.expirations[lo + cand] == self.rules.max_annulments - 1)]
            pool = pool[~np.isin(pool, pick)]
            if not len(pool) or t + 30 * DAY >= self.export_at:
                return None
            pick = pick.copy()
            pick[i] = pool[rng.integers(0, len(pool))]
            force[i] = 1
        elif type_ == "overbooked_bulletin":  # one referral more than the seats left
            extra = cand[~np.isin(cand, pick)]
            if not self.bulletin_clean[j] or len(pick) != left or not len(extra):
                return None
            pick = np.r_[pick, extra[rng.integers(0, len(extra))]]
            t1 = odd(np.r_[t1, t1.max() + 2])  # the last one is the seat too many
            chan = np.r_[chan, CHANNEL_CODE["free_choice"]].astype(np.int8)
            force = np.zeros(len(pick), np.int64)  # none of them freed by a cancellation
            i = len(pick) - 1
        found = (type_, lo + pick[i], -1 if type_ == "missed_removal" else j)
        self.plan.planted(type_, step, j, found)
        return pick, t1, chan, force

    # ------------------------------------------------------------------ tables
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

    def tables(self) -> dict[str, pa.Table]:
        n = self.n_applications
        # numbers
        number = pc.binary_join_element_wise(
            "УО.", pc.cast(pa.array(self.reg_year), pa.string()), ".",
            pc.utf8_lpad(pc.cast(pa.array(self.sequence), pa.string()), 6, "0"), ".1", "")
        out = np.lexsort((self.sequence, self.registered_at))  # published order: by registration
        st, pv = self.state(0, n, NEVER - 1)
        k = self.log_width
        rows = np.arange(n)
        ms = (self.log_at < NEVER) & (self.log_status >= 0)
        i = k - 1 - np.argmax(ms[:, ::-1], axis=1)
        status_at = self.log_at[rows, i]
        mp = (self.log_at < NEVER) & (self.log_privilege >= 0)
        j = k - 1 - np.argmax(mp[:, ::-1], axis=1)
        cat = self.log_category[rows, j]
        loc_names = np.array([l.name for l in self.localities], object)
        regions = np.array([l.region for l in self.localities], object)
        apps = {
            "application_number": number.take(pa.array(out)),
            "region": pa.array(regions[self.locality[out]], pa.string()),
            "locality": pa.array(loc_names[self.locality[out]], pa.string()),
            "birth_date": pa.array(self.birth[out].astype(np.int32), pa.date32()),
            "registered_at": ts(self.registered_at[out]),
            "privilege": codes(PRIVILEGE, pv[out]),
            "privilege_category": codes(PRIVILEGE_CATEGORY, cat[out]),
            "language": codes(LANGUAGES, self.lang[out]),
            "status": codes(STATUS, st[out]),
            "status_at": ts(status_at[out]),
        }
        # events
        valid = self.log_at < NEVER
        r, c = np.nonzero(valid)
        et = self.log_at[r, c]
        fields = [self.log_event[r, c], self.log_privilege[r, c], self.log_bulletin[r, c], self.log_kindergarten[r, c], self.log_channel[r, c], self.log_reason[r, c]]
        status = codes(STATUS, st[out]).to_numpy(zero_copy_only=False).astype(object)
        truth = [(t_, row, b) for t_, row, b in self.plan.truth]
        # planted in the register (demo.planting): a status no event explains, an event
        # before the registration
        taken = {row for _, row, _ in truth}
        free_rows = np.flatnonzero((st == QUEUED) & (self.registered_at < self.export_at - 30 * DAY))
        free_rows = free_rows[~np.isin(free_rows, list(taken))]
        recent = free_rows[self.registered_at[free_rows] >= self.year_start + 5 * DAY]  # the event stays inside the year
        chosen = self.plan.rng.choice(free_rows, size=min(len(free_rows), (self.preset.plant + 1) // 2), replace=False)
        early = self.plan.rng.choice(recent[~np.isin(recent, chosen)], size=self.preset.plant // 2, replace=False)
        rank = np.empty(n, np.int64)
        rank[out] = np.arange(n)
        for row in chosen.tolist():  # the register says withdrawn; the events leave it in the queue
            status[rank[row]] = "withdrawn"
            truth.append(("inconsistent_record", row, -1))
        for row in early.tolist():  # interest "confirmed" three days before the application existed
            r, et = np.r_[r, row], np.r_[et, odd(self.registered_at[row] - 3 * DAY)]
            fields = [np.r_[f, v] for f, v in zip(fields, (EVENT_CODE["interest_confirmed"], -1, -1, -1, -1, -1))]
            truth.append(("inconsistent_record", row, -1))
        apps["status"] = pa.array(status, pa.string())
        eo = np.lexsort((rank[r], et))
        r, et = r[eo], et[eo]
        ev, epr, ebu, ekg, ech, ers = (f[eo] for f in fields)
        kg_id = self.kg_id
        events = {
            "application_number": number.take(pa.array(r)),
            "at": ts(et),
            "event": codes(EVENT, ev),
            "privilege": codes(PRIVILEGE, epr),
            "bulletin_id": take(self.bulletin_id, ebu),
            "kindergarten_id": take(kg_id, ekg),
            "channel": codes(CHANNEL, ech),
            "reason": codes(REASONS, ers),
        }
        positions, truth = self.positions(number, truth)
        # groups: every kindergarten's groups, including those the bulletins name
        enrolled_from = np.bincount(self.log_bulletin[valid & (self.log_event == EVENT_CODE["enrolled"]) & (self.log_bulletin >= 0)], minlength=self.n_bulletins)
        self.ground_truth = pa.table({
            "type": pa.array([t_ for t_, _, _ in truth], pa.string()),
            "application_number": number.take(pa.array([row for _, row, _ in truth], pa.int64())),
            "bulletin_id": take(self.bulletin_id, np.array([b for _, _, b in truth], np.int64)),
        })
        groups, group_id, capacity = self.groups(enrolled_from)
        vac = {
            "bulletin_id": self.bulletin_id,
            "kindergarten_id": kg_id.take(pa.array(self.bulletin_kindergarten)),
            "announced_at": ts(self.bulletin_at),
            "birth_year": pa.array(self.bulletin_birth_year, pa.int64()),
            "language": codes(LANGUAGES, self.bulletin_language),
            "seats": pa.array(self.bulletin_seats, pa.int64()),
            "group_id": group_id,
        }
        return {
            "kindergartens": self.kindergarten_table(capacity),
            "groups": groups,
            "vacancies": table("vacancies", vac),
            "applications": table("applications", apps),
            "events": table("events", events),
            "positions": positions,
        }

    def numbers_at(self, seg, day):
        """Q3/Q4 numbers of segment `seg` at the end of `day`: (rows, queue_number,
        privileged_queue_number) of its numbered applications, as a portal would publish."""
        lo, hi = int(self.segment_start[seg]), int(self.segment_end[seg])
        st, pv = self.state(lo, hi, (day + 1) * DAY - 1)
        numbered = IS_NUMBERED[st + 1]
        a, g = self.rules.ratio_first, self.rules.ratio_general
        is_e, is_p, is_g = numbered & (pv == EXTRAORDINARY), numbered & (pv == FIRST_PRIORITY), numbered & (pv == NO_PRIVILEGE)
        rp, rg, m = np.cumsum(is_p) - 1, np.cumsum(is_g) - 1, hi - lo
        key = np.where(is_e, np.arange(m) - m, np.where(is_p, (rp // a) * (a + g) + rp % a, (rg // g) * (a + g) + a + rg % g))
        rows = np.flatnonzero(numbered)
        rows = rows[np.argsort(key[rows], kind="stable")]
        privileged = (pv[rows] != NO_PRIVILEGE)
        return lo + rows, np.arange(1, len(rows) + 1), np.where(privileged, np.cumsum(privileged), 0)

    def positions(self, number, truth):
        """`positions`: the published queue lists of two segments on two days, a few numbers
        planted wrong (position_mismatch)."""
        rng = self.plan.rng
        days = [self.export_day - 31, self.export_day - 1]
        sizes = np.array([len(self.numbers_at(s_, days[-1])[0]) if self.segment_end[s_] > self.segment_start[s_] else 0
                          for s_ in range(self.n_segments)])
        pool = np.flatnonzero((sizes >= 20) & (sizes <= 2500))
        if not len(pool):
            pool = np.argsort(-sizes)[:2]
        segs = rng.choice(pool, size=min(2, len(pool)), replace=False)
        parts = [(d, *self.numbers_at(s_, d)) for d in days for s_ in sorted(segs.tolist())]
        day = np.concatenate([np.full(len(x[1]), x[0]) for x in parts]).astype(np.int64)
        rows = np.concatenate([x[1] for x in parts]).astype(np.int64)
        queue = np.concatenate([x[2] for x in parts]).astype(np.int64)
        priv = np.concatenate([x[3] for x in parts]).astype(np.int64)
        wrong = rng.choice(len(rows), size=min(self.preset.plant, len(rows)), replace=False)
        shifts = rng.permutation(np.array([-3, -2, -1, 1, 2, 3]))
        for w in wrong.tolist():
            # wrong at any moment of that day: neither the number at its start nor at its end
            start_rows, start_queue, _ = self.numbers_at(self.segment[rows[w]], int(day[w]) - 1)
            at_start = start_queue[start_rows == rows[w]]
            queue[w] = next(queue[w] + d for d in shifts
                            if queue[w] + d >= 1 and not (len(at_start) and at_start[0] == queue[w] + d))
        truth = truth + [("position_mismatch", int(rows[w]), -1) for w in wrong]
        order = np.lexsort((number.take(pa.array(rows)).to_numpy(zero_copy_only=False), day))
        cols = {
            "as_of": pa.array(day[order].astype(np.int32), pa.int32()).cast(pa.date32()),
            "application_number": number.take(pa.array(rows[order])),
            "queue_number": pa.array(queue[order], pa.int64()),
            "privileged_queue_number": pa.array(priv[order], pa.int64()),
        }
        return table("positions", cols), truth

    def groups(self, enrolled_from):
        rng, preset = self.rng, self.preset
        X = self.export.year
        nk = self.n_kindergartens
        own = self.kg_ownership
        years = np.arange(X - 6, X - 1)
        # standard groups: (kindergarten, birth year, language)
        kk = np.repeat(np.arange(nk), len(years))
        yy = np.tile(years, nk)
        keep = np.ones(len(kk), bool)
        o = own[kk]
        age = X - yy
        keep &= np.where(o == OWNERSHIP_CODE["private_state_order"], age >= 3, True)
        keep &= np.where(o == OWNERSHIP_CODE["mini_centre"], age >= 4, True)
        keep &= np.where(o == OWNERSHIP_CODE["private"], rng.random(len(kk)) < 0.6, True)
        kk, yy = kk[keep], yy[keep]
        nursery = np.flatnonzero((own == OWNERSHIP_CODE["state"]) & (rng.random(nk) < 0.5))
        kk = np.r_[kk, nursery]
        yy = np.r_[yy, np.full(len(nursery), X - 1)]
        kl = self.kg_language[kk]
        both = kl == 2
        g_kg = np.r_[kk[~both], kk[both], kk[both]]
        g_y = np.r_[yy[~both], yy[both], yy[both]]
        g_l = np.r_[kl[~both], np.zeros(both.sum(), np.int8), np.ones(both.sum(), np.int8)]
        # the groups the bulletins name
        g_kg = np.r_[g_kg, self.bulletin_kindergarten]
        g_y = np.r_[g_y, self.bulletin_birth_year]
        g_l = np.r_[g_l, self.bulletin_language]
        key = (g_kg * 10_000 + g_y) * 2 + g_l
        ukey, inv_first = np.unique(key, return_index=True)
        g_kg, g_y, g_l = g_kg[inv_first], g_y[inv_first], g_l[inv_first]
        m = len(ukey)
        b_group = np.searchsorted(ukey, (self.bulletin_kindergarten * 10_000 + self.bulletin_birth_year) * 2 + self.bulletin_language)
        announced = np.bincount(b_group, weights=self.bulletin_seats, minlength=m).astype(np.int64)
        enrolled_b = np.bincount(b_group, weights=enrolled_from, minlength=m).astype(np.int64)
        o = own[g_kg]
        base = np.select([o == OWNERSHIP_CODE["state"], o == OWNERSHIP_CODE["private_state_order"], o == OWNERSHIP_CODE["private"]],
                         [rng.integers(22, 31, m), rng.integers(18, 26, m), rng.integers(12, 21, m)],
                         rng.integers(10, 21, m))
        cap = np.where(announced > base - 3, announced + rng.integers(3, 11, m), base)
        enrolled = np.where(announced > 0, cap - announced + enrolled_b,
                            np.round(cap * rng.uniform(0.8, 1.0, m)).astype(np.int64))
        capacity = np.bincount(g_kg, weights=cap, minlength=self.n_kindergartens).astype(np.int64)
        age = np.clip(X - g_y, 1, 6)
        label = np.array([names.AGE_GROUP_KK[a] for a in range(1, 7)], object)[age - 1]
        gname = np.array(names.GROUP_NAMES, object)[rng.integers(0, len(names.GROUP_NAMES), m)]
        name = pc.binary_join_element_wise(pa.array(label, pa.string()), " «", pa.array(gname, pa.string()), "»", "")
        program = np.array(names.PROGRAMS, object)[rng.integers(0, len(names.PROGRAMS), m)]
        gid = pc.binary_join_element_wise(pc.cast(pa.array(g_y), pa.string()), "-", codes(LANGUAGES, g_l), "")
        order = np.lexsort((g_l, g_y, g_kg))
        cols = {
            "kindergarten_id": self.kg_id.take(pa.array(g_kg[order])),
            "group_id": gid.take(pa.array(order)),
            "name": name.take(pa.array(order)),
            "birth_year": pa.array(g_y[order], pa.int64()),
            "language": codes(LANGUAGES, g_l[order]),
            "capacity": pa.array(cap[order], pa.int64()),
            "enrolled": pa.array(enrolled[order], pa.int64()),
            "program": pa.array(program[order], pa.string()),
        }
        return table("groups", cols), gid.take(pa.array(b_group)), capacity


# ---------------------------------------------------------------------- arrow helpers
ARROW = {"string": pa.string(), "enum": pa.string(), "list": pa.string(), "int": pa.int64(),
         "float": pa.float64(), "date": pa.date32(), "datetime": pa.timestamp("s"), "bool": pa.bool_()}


def table(name: str, cols: dict) -> pa.Table:
    spec = TABLES[name]
    arrays, fields = [], []
    rows = len(next(iter(cols.values())))
    for col in spec.columns:
        # A column the demo has nothing for (a series' `derived`, `seen_in`): empty.
        arr = cols[col.name] if col.name in cols or col.required else pa.nulls(rows, ARROW[col.type])
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        arrays.append(arr.cast(ARROW[col.type]))
        fields.append(pa.field(col.name, ARROW[col.type], nullable=not col.required))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def ts(seconds) -> pa.Array:
    seconds = np.asarray(seconds, np.int64)
    return pa.array(seconds, pa.int64()).cast(pa.timestamp("s"))


def codes(values, code) -> pa.Array:
    """Strings for integer codes; negative codes are nulls."""
    code = np.asarray(code)
    return pa.array(values, pa.string()).take(pa.array(code.astype(np.int64), mask=code < 0))


def take(strings: pa.Array, index) -> pa.Array:
    index = np.asarray(index)
    return strings.take(pa.array(index.astype(np.int64), mask=index < 0))
