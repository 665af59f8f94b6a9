"""What follows a notification or a referral: its chain of events (A1, A2, A4, A5)."""

from __future__ import annotations

import numpy as np

from engine.workdays import DAY, HOUR
from demo.codes import EVENT_CODE, NEVER, NO_PRIVILEGE, QUEUED, REASON_CODE, STATUS_SET_BY_EVENT, odd
from demo.tables import ts


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
REFERRAL_OUTCOMES = np.array([  # index: outcome * 2 + privileged
    [STEP_REFERRAL, STEP_ENROLLED, NO_STEP, NO_STEP], [STEP_REFERRAL, STEP_PRIVILEGE_CONFIRMED, STEP_ENROLLED, NO_STEP],  # enrolled
    [STEP_REFERRAL, STEP_EXPIRED, STEP_STOP_LIST_ENDED, NO_STEP], [STEP_REFERRAL, STEP_PRIVILEGE_CONFIRMED, STEP_EXPIRED, STEP_STOP_LIST_ENDED],  # expired -> stop-list
    [STEP_REFERRAL, STEP_CANCELLED_BY_PARENT, NO_STEP, NO_STEP], [STEP_REFERRAL, STEP_CANCELLED_BY_PARENT, NO_STEP, NO_STEP],  # cancelled by the parent
    [STEP_REFERRAL, STEP_ENROLLED, NO_STEP, NO_STEP], [STEP_REFERRAL, STEP_PRIVILEGE_NOT_CONFIRMED, STEP_PRIVILEGE_REMOVED, STEP_STOP_LIST_ENDED],  # privilege not confirmed (A5)
])
WINDOW_MISSED = np.array([STEP_WINDOW_MISSED, NO_STEP, NO_STEP, NO_STEP])
# The fields a step writes in a log: event, status, privilege, reason (commit).
STEP_FIELDS = np.array([STEP_EVENT, STEP_STATUS, STEP_PRIVILEGE, STEP_REASON], np.int8)
# The hour a step's time of day starts from and the hours it spreads over (referral_chain):
# privilege confirmed, enrolled, referral annulled, privilege not confirmed.
STEP_FROM_HOUR = np.array([9, 9, 18, 18])[:, None]
STEP_WITHIN_HOURS = np.array([8, 9, 1.5, 1])[:, None]
# with a free last column for ageing out (filled by `commit`)
REFERRAL_CHAINS = np.hstack([REFERRAL_OUTCOMES, np.full((len(REFERRAL_OUTCOMES), 1), NO_STEP)])
OFFER_CHAINS = np.hstack([np.full((len(REFERRAL_OUTCOMES) + 1, 1), STEP_NOTIFIED),
                             np.vstack([REFERRAL_OUTCOMES, WINDOW_MISSED]), np.full((len(REFERRAL_OUTCOMES) + 1, 1), NO_STEP)])


class Referrals:
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
        de = np.maximum(1 + (u[4] * 4).astype(np.int64), np.where(privileged, dc, 0))  # enrolled after 1-4
        valid_last = rules.referral_valid_working_days - 1  # the strictest reading: the issue day is day 1
        # the day of each step, as the n-th working day after the referral's day (cal.after,
        # one look-up for the four): privilege confirmed, enrolled, last valid day, the
        # privilege's deadline; and its time of day (from 09:00 or 18:00, within hours)
        nth = np.array([dc, de, np.full(m, valid_last), np.full(m, min(valid_last, 3))])
        days = cal.days[np.searchsorted(cal.days, d1, side="right") + nth - 1] * DAY
        clock = (STEP_FROM_HOUR * HOUR + u[[3, 5, 6, 7]] * STEP_WITHIN_HOURS * HOUR).astype(np.int64)
        tc = odd(np.minimum(days[0] + clock[0], t1 + 9 * DAY))
        te = days[1] + clock[1]
        te = odd(np.where(privileged & (te <= tc), tc + 600 + (u[5] * 3000).astype(np.int64), te))
        ta = odd(days[2] + clock[2])
        tpa = odd(np.minimum(days[3] + clock[3], t1 + (rules.privilege_confirm_calendar_days - 1) * DAY))
        t_end = np.where(pf, tpa, ta)
        ts = (cal.after(t_end // DAY, rules.stop_list_working_days) + 1) * DAY + 1  # midnight after the last day
        tx = odd(t1 + 1800 + (u[8] * 20 * HOUR).astype(np.int64))
        code = outcome * 2 + privileged
        # the time of each kind of step (STEP_*), then each row's chain of them
        times = np.empty((NO_STEP + 1, m), np.int64)
        times[:STEP_NOTIFIED] = (t1, tc, te, ta, ts, tx, tpa, tpa + 2)
        times[STEP_NOTIFIED:] = NEVER
        if t0 is not None:
            kinds = OFFER_CHAINS[np.where(take, code, len(REFERRAL_OUTCOMES))]
            times[STEP_NOTIFIED], times[STEP_WINDOW_MISSED] = t0, close
        else:
            kinds = REFERRAL_CHAINS[code]
        return times[kinds, np.arange(m)[:, None]], kinds

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
            k = max(int(self.log_length[rows].max()), 1)  # past its length a log is empty already
            et = self.log_at[rows, :k]
            et[np.arange(k) >= n0[:, None]] = NEVER
            self.log_at[rows, :k] = et
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
        event, status, privilege, reason = STEP_FIELDS[:, k]
        self.log_at[r, c] = times[ri, ci]
        self.log_event[r, c] = event
        self.log_status[r, c] = status
        self.log_privilege[r, c] = privilege
        self.log_category[r, c] = -1
        self.log_bulletin[r, c] = np.where(link, bu, -1)  # one bulletin for the whole chain
        self.log_kindergarten[r, c] = np.where(link, kg[ri] if np.ndim(kg) else kg, -1)
        self.log_channel[r, c] = np.where(k == STEP_REFERRAL, chan[ri] if np.ndim(chan) else chan, -1)
        self.log_reason[r, c] = reason
        self.log_length[rows] = n0 + ok.sum(axis=1)
        self.next_at[rows] = self.log_at[rows, self.log_read[rows]]
        return int((k == STEP_REFERRAL).sum())
