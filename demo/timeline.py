"""Applications and what happens to them regardless of the queue: registering, privilege
changes, withdrawals, removals, places in private kindergartens with state order, ageing out."""

from __future__ import annotations

import datetime as dt

import numpy as np

from engine.workdays import DAY, HOUR, to_day, to_seconds
from demo.codes import CHANNEL_CODE, EVENT_CODE, EXTRAORDINARY, EXTRAORDINARY_CATEGORIES, EXTRAORDINARY_SHARES, FIRST_PRIORITY, FIRST_PRIORITY_CATEGORIES, FIRST_PRIORITY_SHARES, NO_PRIVILEGE, OWNERSHIP_CODE, REASON_CODE, REGISTRATION_HOUR_SHARES, odd
from demo.referrals import NO_STEP


class Timeline:
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

    def background(self):
        preset, rng, rules = self.preset, self.rng, self.rules
        n = self.n_applications
        reg = self.registered_at
        rows = np.arange(n)
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
        reason = rng.choice(np.array([REASON_CODE["duplicate"], REASON_CODE["moved_away"], REASON_CODE["documents_invalid"]]), size=n, p=[0.4, 0.4, 0.2])
        priv_at = np.where(pc_, new_pr, self.privilege_at_registration)
        # each log: registered, then a privilege change, then a withdrawal or a removal
        self.start_logs()
        self.put(rows, reg, EVENT_CODE["registered"], privilege=self.privilege_at_registration, category=self.category_at_registration)
        s = np.flatnonzero(pc_)
        self.put(s, t_pc[s], EVENT_CODE["privilege_changed"], privilege=new_pr[s], category=new_cat[s])
        s = np.flatnonzero(wd)
        self.put(s, t_exit[s], EVENT_CODE["withdrawn"], reason=REASON_CODE["by_parent"])
        s = np.flatnonzero(rm)
        self.put(s, t_exit[s], EVENT_CODE["removed"], reason=reason[s])
        s = np.flatnonzero(ps)
        times, kinds = self.referral_chain(t_pso[s], priv_at[s], np.zeros(len(s), np.int64))
        self.commit(s, None, times, kinds, -1, kg[s], CHANNEL_CODE["private_state_order"])
        # ageing out for everyone else still in the queue at the birthday
        rest = np.flatnonzero(~(wd | rm | ps))
        self.commit(rest, None, np.zeros((len(rest), 1), np.int64), np.full((len(rest), 1), NO_STEP), -1, -1, -1)
