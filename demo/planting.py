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
