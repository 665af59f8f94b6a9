"""Vacancy bulletins and who gets their places: notifications in Q3 order, referrals,
free choice (A1-A3)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.workdays import DAY, HOUR, to_day
from demo.codes import CHANNEL_CODE, EXTRAORDINARY, FIRST_PRIORITY, IS_NUMBERED, NEVER, NO_PRIVILEGE, QUEUED, even, odd
from demo.referrals import NO_STEP, STEP_CANCELLED_BY_PARENT, STEP_EXPIRED, STEP_PRIVILEGE_NOT_CONFIRMED
from demo.planting import FREE_TYPES, PRIORITY_TYPES, Plan


# The steps after which a bulletin's referrals are not all clean (cancelled or annulled).
SPOILS_BULLETIN = np.zeros(NO_STEP + 1, bool)
SPOILS_BULLETIN[[STEP_CANCELLED_BY_PARENT, STEP_EXPIRED, STEP_PRIVILEGE_NOT_CONFIRMED]] = True


class Allocation:
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
        # for each language of a bulletin (0 kk, 1 ru): the applications that accept it
        speaks = [(self.lang == lang) | (self.lang < 0) for lang in (0, 1)]
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
            lang_ok = speaks[self.bulletin_language[j]][lo:hi]
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
                cand = np.flatnonzero(elig)
                # the Q3 sort key, of the eligible only
                rp, rg = rp[cand], rg[cand]
                key = np.where(is_e[cand], cand - m,
                               np.where(is_p[cand], (rp // a) * cycle + rp % a, (rg // g) * cycle + a + rg % g))
                n = int(self.bulletin_seats[j])
                wanted = self.plan.wanted(PRIORITY_TYPES, step, j) if len(cand) else []
                ordered = cand[np.argsort(key, kind="stable")] if wanted else None
                if len(cand) > n:
                    first = np.argpartition(key, n - 1)[:n]
                    cand, key = cand[first], key[first]
                cand = cand[np.argsort(key, kind="stable")]
                if not len(cand):
                    continue
                for type_ in wanted:
                    if self.plant_priority(type_, step, t, j, lo, ordered, cand, pv, t_next):
                        break
                else:
                    rows = lo + cand
                    times, kinds = self.priority_chain(t, pv[cand], self.annulments[rows])
                    self.bulletin_clean[j] = not SPOILS_BULLETIN[kinds].any()
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
