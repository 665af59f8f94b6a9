"""Integer codes for the schema's enumerations, and the instants of the simulation."""

from __future__ import annotations

import numpy as np

from engine.schema import CHANNEL, EVENT, EVENT_STATUS, NUMBERED_STATUSES, OWNERSHIP, PRIVILEGE, PRIVILEGE_CATEGORY, STATUS


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


def odd(t):
    return np.asarray(t, np.int64) | 1


def even(t):
    return np.asarray(t, np.int64) & ~np.int64(1)

