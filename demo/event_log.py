"""The event log each application carries through the simulation."""

from __future__ import annotations

import numpy as np

from demo.codes import EVENT_CODE, NEVER, REASON_CODE, STATUS_SET_BY_EVENT


# The fields of a log entry. An entry exists where its time is set (`log_at` < NEVER, the
# empty value): only `log_at` is filled in empty slots, the other fields are written with
# every entry (put, commit) and read only where it exists.
LOG_FIELDS = (("log_at", np.int64), ("log_event", np.int8), ("log_status", np.int8), ("log_privilege", np.int8), ("log_category", np.int8),
              ("log_bulletin", np.int32), ("log_kindergarten", np.int32), ("log_channel", np.int8), ("log_reason", np.int8))


class EventLogs:
    """The logs of all applications, as arrays (one row an application).

    Each field is stored column by column (entry slot, application) and exposed as the
    (application, slot) view `log_*`. A few applications (offered a place again and again)
    need long logs; the storage reserves slots that are only touched when used, so
    widening the logs of a million applications fills the new slots' times instead of
    copying every log (which took a fifth of the national preset's time)."""

    def start_logs(self, width=8, reserve=64):
        n = self.n_applications
        self.log_width = width
        self._log_store = {}
        for name, dtype in LOG_FIELDS:
            store = np.empty((max(reserve, width), n), dtype)  # untouched slots cost no memory
            self._log_store[name] = store
            setattr(self, name, store[:width].T)
        self._log_store["log_at"][:width] = NEVER
        self.log_length = np.zeros(n, np.int64)
        self.log_read = np.zeros(n, np.int64)  # entries already read by `advance`
        self.status_now = np.full(n, -1, np.int8)
        self.privilege_now = np.full(n, -1, np.int8)
        self.annulments = np.zeros(n, np.int64)  # annulments read so far
        self.expirations = np.zeros(n, np.int64)  # ... of them, for an expired referral (A4, not A5)
        self.next_at = np.full(n, NEVER, np.int64)

    def _widen_logs(self, need):
        old = self.log_width
        new = old + max(need - old, 4)
        for name, dtype in LOG_FIELDS:
            store = self._log_store[name]
            if new > store.shape[0]:  # past the reserve: a copy, twice as wide
                grown = np.empty((max(2 * store.shape[0], new), store.shape[1]), dtype)
                grown[:old] = store[:old]
                store = self._log_store[name] = grown
            setattr(self, name, store[:new].T)
        self._log_store["log_at"][old:new] = NEVER
        self.log_width = new

    def put(self, rows, at, event, privilege=-1, category=-1, reason=-1):
        """Append one entry to the log of each of `rows` (distinct), after its last entry:
        an event that names no bulletin, kindergarten or channel."""
        c = self.log_length[rows]
        need = int(c.max(initial=0)) + 2  # always one spare NEVER column for `advance`
        if need > self.log_width:
            self._widen_logs(need)
        # entries must extend the log strictly later in time
        assert (np.where(c > 0, self.log_at[rows, np.maximum(c - 1, 0)], -NEVER) < at).all(), "events out of order"
        self.log_at[rows, c] = at
        self.log_event[rows, c] = event
        self.log_status[rows, c] = STATUS_SET_BY_EVENT[event]
        self.log_privilege[rows, c] = privilege
        self.log_category[rows, c] = category
        self.log_reason[rows, c] = reason
        self.log_bulletin[rows, c] = -1
        self.log_kindergarten[rows, c] = -1
        self.log_channel[rows, c] = -1
        self.log_length[rows] = c + 1
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
            annulled = self.log_event[idx, p] == EVENT_CODE["referral_annulled"]
            self.annulments[idx] += annulled
            self.expirations[idx] += annulled & (self.log_reason[idx, p] == REASON_CODE["expired"])
            self.log_read[idx] = p + 1
            nxt = self.log_at[idx, p + 1]
            self.next_at[idx] = nxt
            idx = idx[nxt <= t]
        return self.status_now[lo:hi], self.privilege_now[lo:hi]

    def slots(self, name, k):
        """The first k entries of every log of field `name`, slot by slot: a (k, applications)
        array, contiguous (whole-log scans read it rather than the `log_*` views)."""
        return self._log_store[name][:k]

    def state(self, lo, hi, t):
        """(status, privilege) codes of applications lo..hi at instant t, from the whole logs."""
        k = max(int(self.log_length[lo:hi].max()), 1)
        T = self.slots("log_at", k)[:, lo:hi]
        le = T <= t
        S = self.slots("log_status", k)[:, lo:hi]
        P = self.slots("log_privilege", k)[:, lo:hi]
        rows = np.arange(hi - lo)
        ms = le & (S >= 0)
        i = k - 1 - np.argmax(ms[::-1], axis=0)
        st = np.where(ms[i, rows], S[i, rows], -1)
        mp = le & (P >= 0)
        j = k - 1 - np.argmax(mp[::-1], axis=0)
        pv = np.where(mp[j, rows], P[j, rows], -1)
        return st, pv
