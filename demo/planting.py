"""Violations planted on purpose in the demo data, with their ground truth.

Every demo preset breaks each rule the audit checks a few times, deterministically from
its seed, so that the audit can be measured against a known answer: `generate(...)`
returns the list as `DemoDataset.ground_truth` (type, application_number, bulletin_id —
the finding the audit must report; never ingested). Everything else in the data follows
the rules.

The allocation violations are made inside the simulation, at the moment they happen, so
that everything after them is consistent with them (the queue moves on from the state
the violation left). The schedule: each type starts at a seeded point of the year's
allocation rounds and is planted at the first rounds after it where it can be (for
instance a free-choice round with a child in the stop-list in the segment), at most one
violation per bulletin, spaced out, until its quota is met.
"""

from __future__ import annotations

import numpy as np

from engine.workdays import DAY, HOUR
from demo.codes import CHANNEL_CODE, FIRST_PRIORITY, NO_PRIVILEGE, QUEUED, STATUS_CODE, odd
from demo.referrals import NO_STEP, OFFER_CHAINS, STEP_ENROLLED, STEP_PRIVILEGE_CONFIRMED, STEP_REFERRAL


# Planted in the priority round of a bulletin (A1, A2, A5) ...
PRIORITY_TYPES = ("out_of_order_offer", "ratio_breach", "early_free_choice", "unconfirmed_privilege", "overdue_referral")
# ... or in its free-choice round (A3) ...
FREE_TYPES = ("referral_without_offer", "blocked_recipient", "underage", "missed_removal", "overbooked_bulletin")
# ... or in the published tables (positions, the register).
TABLE_TYPES = ("position_mismatch", "inconsistent_record")


class Plan:
    """Which violation to try at which allocation round, and the truth of those planted."""

    def __init__(self, seed: int, priority_rounds: int, free_rounds: int, quota: int):
        self.rng = np.random.default_rng([seed, 0x6B657A656B])  # its own stream: "kezek"
        self.quota = {t: quota for t in PRIORITY_TYPES + FREE_TYPES}
        # start somewhere in the first third of the rounds of its kind, then space out
        rounds = {**{t: priority_rounds for t in PRIORITY_TYPES}, **{t: free_rounds for t in FREE_TYPES}}
        self.next = {t: int(self.rng.uniform(0.02, 0.3) * rounds[t]) for t in self.quota}
        self.gap = {t: max(1, rounds[t] // (8 * max(quota, 1))) for t in self.quota}
        self.bulletins: set[int] = set()  # at most one violation per bulletin
        self.truth: list[tuple[str, int, int]] = []  # (type, application row, bulletin index or -1)

    def wanted(self, types: tuple[str, ...], step: int, bulletin: int) -> list[str]:
        """The types worth trying at this round (`step`: its number among the rounds of its
        kind), in a seeded order."""
        if bulletin in self.bulletins:
            return []
        due = [t for t in types if self.quota[t] > 0 and step >= self.next[t]]
        return [due[i] for i in self.rng.permutation(len(due))] if due else []

    def planted(self, type_: str, step: int, bulletin: int, *found: tuple[str, int, int]) -> None:
        self.quota[type_] -= 1
        self.next[type_] = step + self.gap[type_]
        self.bulletins.add(bulletin)
        self.truth.extend(found)


class Planting:
    """The violations planted inside the allocation rounds."""

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
