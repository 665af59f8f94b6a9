"""The simulation's state as the tables of the open-data format (engine.schema)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.schema import CHANNEL, EVENT, PRIVILEGE, PRIVILEGE_CATEGORY, STATUS, TABLES
from engine.workdays import DAY
from demo import names
from demo.codes import EVENT_CODE, EXTRAORDINARY, FIRST_PRIORITY, IS_NUMBERED, LANGUAGES, NEVER, NO_PRIVILEGE, OWNERSHIP_CODE, QUEUED, REASONS, odd


class Tables:
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
        at = self.slots("log_at", k)  # (slot, application)
        valid = at < NEVER
        ms = valid & (self.slots("log_status", k) >= 0)
        i = k - 1 - np.argmax(ms[::-1], axis=0)
        status_at = at[i, rows]
        mp = valid & (self.slots("log_privilege", k) >= 0)
        j = k - 1 - np.argmax(mp[::-1], axis=0)
        cat = np.where(mp[j, rows], self.slots("log_category", k)[j, rows], -1)  # (every log starts with one)
        loc_names = np.array([l.name for l in self.localities], object)
        regions = np.array([l.region for l in self.localities], object)
        apps = {
            "application_number": number.take(pa.array(out)),
            "region": pa.array(regions[self.locality[out]], pa.string()),
            "locality": pa.array(loc_names[self.locality[out]], pa.string()),
            "birth_date": pa.array(self.birth[out].astype(np.int32), pa.date32()),
            "registered_at": ts(self.registered_at[out]),
            "privilege": decode(PRIVILEGE, pv[out]),
            "privilege_category": decode(PRIVILEGE_CATEGORY, cat[out]),
            "language": decode(LANGUAGES, self.lang[out]),
            "status": decode(STATUS, st[out]),
            "status_at": ts(status_at[out]),
        }
        # events
        # slot by slot: the order does not matter, each log's times are distinct and the
        # events are sorted by (at, published rank of the application) below
        c, r = np.nonzero(valid)
        et = at[c, r]
        fields = [self.slots(f, k)[c, r] for f in ("log_event", "log_privilege", "log_bulletin", "log_kindergarten", "log_channel", "log_reason")]
        status = decode(STATUS, st[out]).to_numpy(zero_copy_only=False).astype(object)
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
            "event": decode(EVENT, ev),
            "privilege": decode(PRIVILEGE, epr),
            "bulletin_id": take_or_null(self.bulletin_id, ebu),
            "kindergarten_id": take_or_null(kg_id, ekg),
            "channel": decode(CHANNEL, ech),
            "reason": decode(REASONS, ers),
        }
        positions, truth = self.positions(number, truth)
        # groups: every kindergarten's groups, including those the bulletins name
        enrolled_from = np.bincount(ebu[(ev == EVENT_CODE["enrolled"]) & (ebu >= 0)], minlength=self.n_bulletins)
        self.ground_truth = pa.table({
            "type": pa.array([t_ for t_, _, _ in truth], pa.string()),
            "application_number": number.take(pa.array([row for _, row, _ in truth], pa.int64())),
            "bulletin_id": take_or_null(self.bulletin_id, np.array([b for _, _, b in truth], np.int64)),
        })
        groups, group_id, capacity = self.groups(enrolled_from)
        vac = {
            "bulletin_id": self.bulletin_id,
            "kindergarten_id": kg_id.take(pa.array(self.bulletin_kindergarten)),
            "announced_at": ts(self.bulletin_at),
            "birth_year": pa.array(self.bulletin_birth_year, pa.int64()),
            "language": decode(LANGUAGES, self.bulletin_language),
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
        gid = pc.binary_join_element_wise(pc.cast(pa.array(g_y), pa.string()), "-", decode(LANGUAGES, g_l), "")
        order = np.lexsort((g_l, g_y, g_kg))
        cols = {
            "kindergarten_id": self.kg_id.take(pa.array(g_kg[order])),
            "group_id": gid.take(pa.array(order)),
            "name": name.take(pa.array(order)),
            "birth_year": pa.array(g_y[order], pa.int64()),
            "language": decode(LANGUAGES, g_l[order]),
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


def decode(values, code) -> pa.Array:
    """Strings for integer codes; negative codes are nulls."""
    code = np.asarray(code)
    return pa.array(values, pa.string()).take(pa.array(code.astype(np.int64), mask=code < 0))


def take_or_null(strings: pa.Array, index) -> pa.Array:
    index = np.asarray(index)
    return strings.take(pa.array(index.astype(np.int64), mask=index < 0))
